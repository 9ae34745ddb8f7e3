// Desktop app: the preload's contextBridge API (IPC channels of the app contract, validated in main).
import type { AppEvent, VideoRef } from '../../../electron/shared/app-api';
import { ipcChannelOf, type AppArgs, type AppResult, type IpcOperation, type IpcReply } from '../../../electron/shared/app-contract';
import { deserializeError } from '../../../electron/shared/errors';
import { thumbnailUrlFor } from '../../../electron/shared/media-urls';
import type { ApolloApi } from './apollo-api';

/** What electron/preload exposes as window.apolloBridge. Every call resolves to an IpcReply. */
export interface ApolloBridge {
  invoke(channel: string, ...args: unknown[]): Promise<IpcReply<unknown>>;
  /** Opens a dropped File (the preload asks Electron for its path; the renderer never sees it). */
  openDroppedFile(file: File): Promise<IpcReply<unknown>>;
  onEvent(listener: (event: AppEvent) => void): () => void;
}

function unwrap<R>(reply: IpcReply<unknown>): R {
  if (!reply.ok) throw deserializeError(reply.error);
  // Main answers with the contract's result type for this channel.
  return reply.value as R;
}

export function createBridgeApi(bridge: ApolloBridge): ApolloApi {
  const call =
    <K extends IpcOperation>(operation: K) =>
    async (...args: AppArgs<K>): Promise<AppResult<K>> =>
      unwrap<AppResult<K>>(await bridge.invoke(ipcChannelOf(operation), ...args));
  return {
    hostInfo: call('hostInfo'),
    listVideos: call('listVideos'),
    openFile: async (file) => unwrap<VideoRef>(await bridge.openDroppedFile(file)),
    pickVideo: call('pickVideo'),
    analyzeVideo: call('analyzeVideo'),
    cancelVideoWork: call('cancelVideoWork'),
    resumeEncoding: call('resumeEncoding'),
    thumbnailUrl: (video, clipIndex) => thumbnailUrlFor(video.id, clipIndex),
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
    exportSavesFile: true,
    getSettings: call('getSettings'),
    updateSettings: call('updateSettings'),
    subscribe: (listener) => bridge.onEvent(listener),
    getModels: call('getModels'),
    pullModel: call('pullModel'),
    pauseDownload: call('pauseDownload'),
    resumeDownload: call('resumeDownload'),
    cancelDownload: call('cancelDownload'),
    selectModel: call('selectModel'),
    removeModel: call('removeModel'),
  };
}
