// Web mode: the app contract's web routes over fetch, events over EventSource, uploads with
// progress over XMLHttpRequest. The session token comes from the page's own address (the server
// sets no cookie): API calls send it as a Bearer header, the event stream in its address; media
// and thumbnail addresses carry the video's own capability instead (VideoRef.mediaCapability).
import type { AppEvent, VideoRef } from '../../../electron/shared/app-api';
import { APP_API, WEB_STREAM_ROUTES, type AppArgs, type AppResult, type WebErrorBody, type WebOperation } from '../../../electron/shared/app-contract';
import { webRouteRequest } from '../../../electron/shared/app-routes';
import { ApolloError, deserializeError } from '../../../electron/shared/errors';
import { webThumbnailUrlFor } from '../../../electron/shared/media-urls';
import type { ApolloApi } from './apollo-api';

/** The token in the address the server printed (`/?token=…`); kept there so a reload still works. */
const sessionToken = new URLSearchParams(window.location.search).get('token') ?? '';
const authorization = { authorization: `Bearer ${sessionToken}` };

async function request(method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'omit',
      headers: body === undefined ? { accept: 'application/json', ...authorization } : { accept: 'application/json', 'content-type': 'application/json', ...authorization },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApolloError('ENGINE_CRASHED', 'The Apollo server cannot be reached; check that `apollo-chat serve` is still running.');
  }
  const type = response.headers.get('content-type') ?? '';
  const payload = type.includes('application/json') ? ((await response.json()) as unknown) : await response.text();
  if (!response.ok) throw deserializeError((payload as Partial<WebErrorBody>).error);
  return payload;
}

function call<K extends WebOperation>(operation: K) {
  const route = APP_API[operation].web;
  return async (...args: AppArgs<K>): Promise<AppResult<K>> => {
    const { path, body } = webRouteRequest(route, args);
    // The server answers with the contract's result type for this route.
    return (await request(route.method, `api/${path}`, body)) as AppResult<K>;
  };
}

function upload(file: File, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<VideoRef> {
  return new Promise<VideoRef>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    if (signal?.aborted) {
      reject(new ApolloError('CANCELLED'));
      return;
    }
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.onabort = () => reject(new ApolloError('CANCELLED'));
    xhr.open(WEB_STREAM_ROUTES.upload.method, `api/${WEB_STREAM_ROUTES.upload.path}`);
    xhr.setRequestHeader('x-file-name', encodeURIComponent(file.name));
    xhr.setRequestHeader('authorization', authorization.authorization);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total);
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText) as unknown;
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as VideoRef);
      else reject(deserializeError((body as Partial<WebErrorBody> | undefined)?.error));
    };
    xhr.onerror = () => reject(new ApolloError('INVALID_MESSAGE', 'The upload was interrupted; drop the file again.'));
    xhr.send(file);
  });
}

export function createWebApi(): ApolloApi {
  return {
    hostInfo: call('hostInfo'),
    listVideos: call('listVideos'),
    openFile: upload,
    analyzeVideo: call('analyzeVideo'),
    cancelVideoWork: call('cancelVideoWork'),
    resumeEncoding: call('resumeEncoding'),
    thumbnailUrl: (video, clipIndex) => webThumbnailUrlFor(video.id, clipIndex, video.mediaCapability),
    getChat: call('getChat'),
    ask: call('ask'),
    answerNow: call('answerNow'),
    stop: call('stop'),
    regenerate: call('regenerate'),
    editQuestion: call('editQuestion'),
    clearChat: call('clearChat'),
    selectVersion: call('selectVersion'),
    newChat: call('newChat'),
    openChat: call('openChat'),
    listLibrary: call('listLibrary'),
    openLibraryVideo: call('openLibraryVideo'),
    removeLibraryVideo: call('removeLibraryVideo'),
    exportMarkdown: call('exportMarkdown'),
    getSettings: call('getSettings'),
    updateSettings: call('updateSettings'),
    getModels: call('getModels'),
    pullModel: call('pullModel'),
    pauseDownload: call('pauseDownload'),
    resumeDownload: call('resumeDownload'),
    cancelDownload: call('cancelDownload'),
    selectModel: call('selectModel'),
    removeModel: call('removeModel'),
    subscribe(listener, onConnection) {
      const source = new EventSource(`api/${WEB_STREAM_ROUTES.events.path}?token=${encodeURIComponent(sessionToken)}`);
      let opened = false;
      source.onopen = () => {
        // The first open is the page's start; a later one is the server back after a drop.
        if (opened) onConnection?.(true);
        opened = true;
      };
      source.onerror = () => onConnection?.(false);
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
