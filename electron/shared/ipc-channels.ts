// IPC channel names, declared once for main, preload and their tests.
export const IPC = {
  hostInfo: 'app:host-info',
  videoList: 'video:list',
  videoPick: 'video:pick',
  videoOpenDropped: 'video:open-dropped',
  videoAnalyze: 'video:analyze',
  videoCancel: 'video:cancel',
  chatGet: 'chat:get',
  chatAsk: 'chat:ask',
  chatStop: 'chat:stop',
  chatRegenerate: 'chat:regenerate',
  chatEdit: 'chat:edit',
  chatClear: 'chat:clear',
  chatExport: 'chat:export',
  settingsGet: 'settings:get',
  settingsUpdate: 'settings:update',
  modelsList: 'models:list',
  modelsPull: 'models:pull',
  modelsPause: 'models:pause',
  modelsResume: 'models:resume',
  modelsCancel: 'models:cancel',
  modelsSelect: 'models:select',
  modelsRemove: 'models:remove',
  /** main → renderer: AppEvent stream. */
  event: 'app:event',
} as const;

export type InvokeChannel = Exclude<(typeof IPC)[keyof typeof IPC], typeof IPC.event>;
