// The IPC channel of each app operation that travels over Electron IPC. Kept apart from the rest of
// the contract (app-contract.ts, which uses these names) so that the sandboxed preload bundles
// these strings and not the schema library.
export const IPC_CHANNELS = {
  hostInfo: 'app:host-info',
  listVideos: 'video:list',
  pickVideo: 'video:pick',
  openDroppedPath: 'video:open-dropped',
  analyzeVideo: 'video:analyze',
  cancelVideoWork: 'video:cancel',
  resumeEncoding: 'video:resume-encoding',
  getChat: 'chat:get',
  ask: 'chat:ask',
  answerNow: 'chat:answer-now',
  stop: 'chat:stop',
  regenerate: 'chat:regenerate',
  editQuestion: 'chat:edit',
  clearChat: 'chat:clear',
  selectVersion: 'chat:select-version',
  exportMarkdown: 'chat:export',
  newChat: 'chat:new',
  openChat: 'chat:open',
  listLibrary: 'library:list',
  openLibraryVideo: 'library:open',
  removeLibraryVideo: 'library:remove',
  getSettings: 'settings:get',
  updateSettings: 'settings:update',
  getModels: 'models:list',
  pullModel: 'models:pull',
  pauseDownload: 'models:pause',
  resumeDownload: 'models:resume',
  cancelDownload: 'models:cancel',
  selectModel: 'models:select',
  removeModel: 'models:remove',
} as const;

/** main → renderer: the AppEvent stream (see app-api.ts). */
export const APP_EVENT_CHANNEL = 'app:event';

export type IpcOperation = keyof typeof IPC_CHANNELS;
export const IPC_OPERATIONS = Object.keys(IPC_CHANNELS) as IpcOperation[];

export function ipcChannelOf(operation: IpcOperation): string {
  return IPC_CHANNELS[operation];
}

/** What an IPC invoke resolves to: never a thrown exception (Electron would flatten it to a string). */
export type IpcReply<R, E = { code: string; message: string }> = { ok: true; value: R } | { ok: false; error: E };
