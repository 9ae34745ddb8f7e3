// The renderer's only door to the app: one interface, one implementation per host (Electron's
// preload bridge, or HTTP + server-sent events in web mode). Its operations are typed from the
// app contract (electron/shared/app-contract.ts), so the renderer and the hosts agree by
// construction. Stores call it; components never do.
import type { AppEvent, VideoRef } from '../../../electron/shared/app-api';
import type { AppClient, AppOperation } from '../../../electron/shared/app-contract';
import { createBridgeApi, type ApolloBridge } from './bridge-api';
import { createWebApi } from './web-api';

/** The operations both hosts offer (the desktop's dialog and dropped paths are its own). */
export type SharedApi = AppClient<Exclude<AppOperation, 'pickVideo' | 'openDroppedPath'>>;

export interface ApolloApi extends SharedApi {
  /** Opens a file the user dropped or chose (uploaded in web mode). */
  openFile(file: File, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<VideoRef>;
  /** The host's own file dialog, where there is one (desktop app). */
  pickVideo?: AppClient<'pickVideo'>['pickVideo'];
  /** A clip's thumbnail address (in web mode it carries the video's media capability). */
  thumbnailUrl(video: VideoRef, clipIndex: number): string;
  /** True where exportMarkdown already saved the file (desktop save dialog). */
  readonly exportSavesFile?: boolean;
  /** Host events; `onConnection` (web mode) hears when the event stream drops (false) and reopens (true). */
  subscribe(listener: (event: AppEvent) => void, onConnection?: (up: boolean) => void): () => void;
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
