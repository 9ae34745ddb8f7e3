// The APP_API operations both hosts (Electron IPC, web mode) implement the same way: each is the
// AppService call behind it. The host-specific ones (host info, dialogs, export) live with each host.
import type { AppHandlers, AppOperation } from '../../shared/app-contract.js';
import type { AppService } from './app-service.js';

export type SharedOperation = Exclude<AppOperation, 'hostInfo' | 'pickVideo' | 'openDroppedPath' | 'exportMarkdown'>;

export function sharedAppHandlers(app: AppService): AppHandlers<SharedOperation> {
  const done = { ok: true } as const;
  return {
    listVideos: () => app.videos.list(),
    analyzeVideo: (videoId) => app.analyzeVideo(videoId),
    cancelVideoWork: (videoId) => (app.cancelVideoWork(videoId), done),
    resumeEncoding: (videoId) => (app.resumeEncoding(videoId), done),
    getChat: (videoId) => app.chat(videoId),
    ask: async (videoId, question, options) => ({ turn: (await app.startTurn(videoId, question, undefined, options)).turn }),
    answerNow: (videoId) => (app.answerNow(videoId), done),
    stop: (videoId) => ({ stopped: app.stop(videoId) }),
    regenerate: async (videoId) => ({ turn: (await app.regenerate(videoId)).turn }),
    editQuestion: async (videoId, turnId, question) => ({ turn: (await app.editQuestion(videoId, turnId, question)).turn }),
    selectVersion: (videoId, turnId, index) => app.selectVersion(videoId, turnId, index),
    clearChat: async (videoId) => (await app.clearChat(videoId), done),
    newChat: (videoId) => app.newChat(videoId),
    openChat: (videoId, chatId) => app.openChat(videoId, chatId),
    listLibrary: () => app.library(),
    openLibraryVideo: (libraryId) => app.openLibraryVideo(libraryId),
    removeLibraryVideo: (libraryId) => app.removeLibraryVideo(libraryId),
    getSettings: () => app.settings.get(),
    updateSettings: (patch) => app.updateSettings(patch),
    getModels: () => app.modelsOverview(),
    pullModel: (spec, precision) => (app.models.pull(spec, precision), { started: true }),
    pauseDownload: (spec) => (app.models.pause(spec), done),
    resumeDownload: (spec) => (app.models.resume(spec), done),
    cancelDownload: (spec) => (app.models.cancel(spec), done),
    selectModel: async (spec) => (await app.selectModel(spec), done),
    removeModel: async (spec) => (await app.removeModel(spec), done),
  };
}
