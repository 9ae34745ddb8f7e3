// Desktop app: the preload's contextBridge API (typed IPC, validated in main).
import type { AppEvent, AppSettings, ChatHistory, ChatTurn, ModelsOverview, VideoAnalysis, VideoRef } from '../../../electron/shared/app-api';
import { deserializeError } from '../../../electron/shared/errors';
import { IPC } from '../../../electron/shared/ipc-channels';
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
    hostInfo: () => invoke<HostInfo>(IPC.hostInfo),
    listVideos: () => invoke<VideoRef[]>(IPC.videoList),
    openFile: async (file) => {
      const r = await bridge.openDroppedFile(file);
      if (!r.ok) throw deserializeError(r.error);
      return r.value as VideoRef;
    },
    pickVideo: () => invoke<VideoRef | null>(IPC.videoPick),
    analyzeVideo: (id) => invoke<VideoAnalysis>(IPC.videoAnalyze, id),
    cancelVideoWork: (id) => invoke(IPC.videoCancel, id),
    thumbnailUrl: (id, clip) => `apollo-media://thumb/${encodeURIComponent(id)}/${clip}`,
    getChat: (id) => invoke<ChatHistory>(IPC.chatGet, id),
    ask: (id, q) => invoke<ChatTurn>(IPC.chatAsk, id, q),
    stop: (id) => invoke(IPC.chatStop, id),
    regenerate: (id) => invoke<ChatTurn>(IPC.chatRegenerate, id),
    editQuestion: (id, turnId, q) => invoke<ChatTurn>(IPC.chatEdit, id, turnId, q),
    clearChat: (id) => invoke(IPC.chatClear, id),
    exportMarkdown: (id) => invoke<string>(IPC.chatExport, id),
    exportSavesFile: true,
    getSettings: () => invoke<AppSettings>(IPC.settingsGet),
    updateSettings: (patch) => invoke<AppSettings>(IPC.settingsUpdate, patch),
    subscribe: (listener) => bridge.onEvent(listener),
    getModels: () => invoke<ModelsOverview>(IPC.modelsList),
    pullModel: (spec, precision) => invoke(IPC.modelsPull, spec, precision),
    pauseDownload: (spec) => invoke(IPC.modelsPause, spec),
    resumeDownload: (spec) => invoke(IPC.modelsResume, spec),
    cancelDownload: (spec) => invoke(IPC.modelsCancel, spec),
    selectModel: (spec) => invoke(IPC.modelsSelect, spec),
    removeModel: (spec) => invoke(IPC.modelsRemove, spec),
  };
}
