// The renderer's only door to the app: one interface, one implementation per host (Electron's
// preload bridge, or HTTP + server-sent events in web mode). Stores call it; components never do.
import type { AppEvent, AppSettings, ChatHistory, ChatTurn, ModelsOverview, VideoAnalysis, VideoRef } from '../../../electron/shared/app-api';
import { createBridgeApi, type ApolloBridge } from './bridge-api';
import { createWebApi } from './web-api';

export interface HostInfo {
  host: 'electron' | 'web';
  version: string;
  /** `serve --demo`: a tiny random model answers (random text). */
  demo?: boolean;
  /** Whether a model is installed to answer with. */
  modelReady?: boolean;
}

export interface ApolloApi {
  hostInfo(): Promise<HostInfo>;
  listVideos(): Promise<VideoRef[]>;
  /** Opens a file the user dropped or chose (uploaded in web mode). */
  openFile(file: File, onProgress?: (done: number, total: number) => void): Promise<VideoRef>;
  /** The host's own file dialog, where there is one (desktop app). */
  pickVideo?(): Promise<VideoRef | null>;
  analyzeVideo(videoId: string): Promise<VideoAnalysis>;
  cancelVideoWork(videoId: string): Promise<void>;
  thumbnailUrl(videoId: string, clipIndex: number): string;
  getChat(videoId: string): Promise<ChatHistory>;
  ask(videoId: string, question: string): Promise<ChatTurn>;
  stop(videoId: string): Promise<void>;
  regenerate(videoId: string): Promise<ChatTurn>;
  editQuestion(videoId: string, turnId: string, question: string): Promise<ChatTurn>;
  clearChat(videoId: string): Promise<void>;
  exportMarkdown(videoId: string): Promise<string>;
  /** True where exportMarkdown already saved the file (desktop save dialog). */
  readonly exportSavesFile?: boolean;
  getSettings(): Promise<AppSettings>;
  updateSettings(patch: Partial<AppSettings>): Promise<AppSettings>;
  subscribe(listener: (event: AppEvent) => void): () => void;
  getModels(): Promise<ModelsOverview>;
  pullModel(spec: string, precision: 'fp16' | 'int4'): Promise<void>;
  pauseDownload(spec: string): Promise<void>;
  resumeDownload(spec: string): Promise<void>;
  cancelDownload(spec: string): Promise<void>;
  selectModel(spec: string): Promise<void>;
  removeModel(spec: string): Promise<void>;
}

declare global {
  interface Window {
    /** Exposed by electron/preload through contextBridge; absent in web mode. */
    apolloBridge?: ApolloBridge;
  }
}

export function createApolloApi(): ApolloApi {
  const bridge = window.apolloBridge;
  return bridge !== undefined ? createBridgeApi(bridge) : createWebApi();
}
