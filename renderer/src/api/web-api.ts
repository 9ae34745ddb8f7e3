// Web mode: JSON over fetch (the session cookie authenticates every request), events over
// EventSource, uploads with progress over XMLHttpRequest.
import type { AppEvent, ChatTurn, VideoRef } from '../../../electron/shared/app-api';
import { ApolloError, deserializeError } from '../../../electron/shared/errors';
import type { ApolloApi } from './apollo-api';

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApolloError('ENGINE_CRASHED', 'The Apollo server cannot be reached; check that `apollo-chat serve` is still running.');
  }
  const type = response.headers.get('content-type') ?? '';
  const payload = type.includes('application/json') ? ((await response.json()) as unknown) : await response.text();
  if (!response.ok) throw deserializeError((payload as { error?: unknown }).error);
  return payload as T;
}

const v = (id: string) => `api/videos/${encodeURIComponent(id)}`;
const m = (spec: string) => `api/models/${encodeURIComponent(spec)}`;

export function createWebApi(): ApolloApi {
  return {
    async hostInfo() {
      const health = await call<{ version: string; demo?: boolean; modelReady?: boolean }>('GET', 'api/health');
      return { host: 'web', version: health.version, demo: health.demo === true, modelReady: health.modelReady === true };
    },
    listVideos: () => call('GET', 'api/videos'),
    openFile(file, onProgress) {
      return new Promise<VideoRef>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', 'api/videos');
        xhr.setRequestHeader('x-file-name', encodeURIComponent(file.name));
        xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total);
        xhr.onload = () => {
          let body: unknown;
          try {
            body = JSON.parse(xhr.responseText) as unknown;
          } catch {
            body = undefined;
          }
          if (xhr.status >= 200 && xhr.status < 300) resolve(body as VideoRef);
          else reject(deserializeError((body as { error?: unknown } | undefined)?.error));
        };
        xhr.onerror = () => reject(new ApolloError('INVALID_MESSAGE', 'The upload was interrupted; drop the file again.'));
        xhr.send(file);
      });
    },
    analyzeVideo: (id) => call('POST', `${v(id)}/analyze`),
    cancelVideoWork: (id) => call('POST', `${v(id)}/cancel`),
    thumbnailUrl: (id, clip) => `${v(id)}/thumbnails/${clip}`,
    getChat: (id) => call('GET', `${v(id)}/chat`),
    ask: async (id, question) => (await call<{ turn: ChatTurn }>('POST', `${v(id)}/ask`, { question })).turn,
    stop: (id) => call('POST', `${v(id)}/stop`),
    regenerate: async (id) => (await call<{ turn: ChatTurn }>('POST', `${v(id)}/regenerate`)).turn,
    editQuestion: async (id, turnId, question) => (await call<{ turn: ChatTurn }>('POST', `${v(id)}/edit`, { turnId, question })).turn,
    clearChat: (id) => call('POST', `${v(id)}/clear`),
    exportMarkdown: (id) => call('GET', `${v(id)}/export`),
    getSettings: () => call('GET', 'api/settings'),
    updateSettings: (patch) => call('PUT', 'api/settings', patch),
    getModels: () => call('GET', 'api/models'),
    pullModel: (spec, precision) => call('POST', `${m(spec)}/pull`, { precision }),
    pauseDownload: (spec) => call('POST', `${m(spec)}/pause`),
    resumeDownload: (spec) => call('POST', `${m(spec)}/resume`),
    cancelDownload: (spec) => call('POST', `${m(spec)}/cancel`),
    selectModel: (spec) => call('POST', `${m(spec)}/select`),
    removeModel: (spec) => call('DELETE', m(spec)),
    subscribe(listener) {
      const source = new EventSource('api/events');
      source.onmessage = (e: MessageEvent<string>) => {
        try {
          listener(JSON.parse(e.data) as AppEvent);
        } catch {
          // a malformed event is ignored
        }
      };
      return () => source.close();
    },
  };
}
