// Desktop app: the preload's contextBridge API (typed IPC, validated in main).
import type { AppEvent, AppSettings, ChatHistory, ChatTurn, VideoAnalysis, VideoRef } from '../../../electron/shared/app-api';
import { deserializeError } from '../../../electron/shared/errors';
import type { ApolloApi, HostInfo } from './apollo-api';

/** What electron/preload exposes as window.apolloBridge. Every call resolves to {ok, value|error}. */
export interface ApolloBridge {
  invoke(channel: string, ...args: unknown[]): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
  /** Opens a dropped File (the preload asks Electron for its path; the renderer never sees it). */
  openDroppedFile(file: File): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
  onEvent(listener: (event: AppEvent) => void): () => void;
}

export function createBridgeApi(bridge: ApolloBridge): ApolloApi {
  const invoke = async <T>(channel: string, ...args: unknown[]): Promise<T> => {
    const r = await bridge.invoke(channel, ...args);
    if (!r.ok) throw deserializeError(r.error);
    return r.value as T;
  };
  return {
    hostInfo: () => invoke<HostInfo>('app:host-info'),
    listVideos: () => invoke<VideoRef[]>('video:list'),
    openFile: async (file) => {
      const r = await bridge.openDroppedFile(file);
      if (!r.ok) throw deserializeError(r.error);
      return r.value as VideoRef;
    },
    pickVideo: () => invoke<VideoRef | null>('video:pick'),
    analyzeVideo: (id) => invoke<VideoAnalysis>('video:analyze', id),
    cancelVideoWork: (id) => invoke('video:cancel', id),
    thumbnailUrl: (id, clip) => `apollo-media://thumb/${encodeURIComponent(id)}/${clip}`,
    getChat: (id) => invoke<ChatHistory>('chat:get', id),
    ask: (id, q) => invoke<ChatTurn>('chat:ask', id, q),
    stop: (id) => invoke('chat:stop', id),
    regenerate: (id) => invoke<ChatTurn>('chat:regenerate', id),
    editQuestion: (id, turnId, q) => invoke<ChatTurn>('chat:edit', id, turnId, q),
    clearChat: (id) => invoke('chat:clear', id),
    exportMarkdown: (id) => invoke<string>('chat:export', id),
    getSettings: () => invoke<AppSettings>('settings:get'),
    updateSettings: (patch) => invoke<AppSettings>('settings:update', patch),
    subscribe: (listener) => bridge.onEvent(listener),
  };
}
