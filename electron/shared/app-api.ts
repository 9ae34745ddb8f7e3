// The app's API between the renderer and its host (Electron main over IPC, or the web-mode
// server over HTTP + server-sent events): one declaration, used on both sides. No Node here.
import type { VideoWarning } from './video-warnings.js';
import type { SerializedError } from './errors.js';
import type { ProgressEvent } from './progress.js';

export type DeviceKind = 'cuda' | 'webgpu' | 'dml' | 'cpu';
export type Precision = 'fp32' | 'fp16' | 'int4';

export interface VideoRef {
  /** Opaque id: the renderer never sees the file's path. */
  id: string;
  name: string;
  sizeBytes: number;
  /** Where <video> loads it from (apollo-media:// in the app, an /api/media URL in web mode). */
  mediaUrl: string;
  /**
   * Web mode: this video's media capability (unguessable, for this video only, expiring), carried
   * by its media and thumbnail addresses instead of the session token; issued afresh each time the
   * host hands the video out.
   */
  mediaCapability?: string;
}

export interface ClipSummary {
  index: number;
  start: number;
  end: number;
  /** The "a-b" text the model sees for this clip, e.g. "2.0-3.5". */
  label: string;
  frameIndices: number[];
  /**
   * The player's time (seconds) of the clip's middle planned frame, where its thumbnail is taken.
   * start/end count frames at the reference's rate (index / fps); where the frames are not evenly
   * spaced (variable frame rate, a timeline that starts again) only this time shows a frame the
   * model sees, and it never lies past the file's end.
   */
  pictureSeconds?: number;
}

export interface VideoAnalysis {
  video: VideoRef;
  probe: { frameCount: number; fps: number; duration: number; width: number; height: number; rotation: number; codec: string };
  clips: ClipSummary[];
  clipSamplingRatio: number;
  /** What the user should know about the video (a derived frame rate, …); damaged frames come with `encode`/`ask`. */
  warnings?: VideoWarning[];
  /** Language-model positions per clip (the connector's output tokens), from the model's config. */
  tokensPerClip?: number;
  /** What encoding this video costs here: the per-clip time last measured on this device and precision. */
  estimate?: { msPerClip: number; device: string; precision: Precision };
  /** Once the video is encoded with this plan: how long it took here (the estimate, corrected), or that it came from the cache. */
  encoded?: { ms: number; clips: number; fromCache: boolean };
}

export type TurnStatus = 'pending' | 'streaming' | 'done' | 'stopped' | 'error';

export interface TurnTimings {
  encodeMs?: number;
  ttftMs?: number;
  prefillTokens?: number;
  decodeTokens?: number;
  decodeTokensPerSecond?: number;
}

/** The clips an answer saw: all of them, or for "Answer now" those watched so far ("from 21 of 84 clips"). */
export interface ClipsUsed {
  used: number;
  total: number;
  label: string;
}

export interface ChatTurn {
  id: string;
  question: string;
  answer: string;
  status: TurnStatus;
  error?: SerializedError;
  timings?: TurnTimings;
  /** Set once answered: how many of the video's clips the answer was written from. */
  clipsUsed?: ClipsUsed;
  createdAt: string;
  /** The turn's other versions (Regenerate and Edit keep the earlier ones), in order, without the shown one. */
  versions?: TurnVersion[];
  /** Where the shown version sits among all versions (0-based; versions.length + 1 in all). */
  versionIndex?: number;
}

/** A version of a turn that is not shown: its question and answer, and the turns that followed it. */
export interface TurnVersion {
  question: string;
  answer: string;
  status: TurnStatus;
  error?: SerializedError;
  timings?: TurnTimings;
  clipsUsed?: ClipsUsed;
  createdAt: string;
  /** The conversation after this version (an edit branches it; shown again with this version). */
  later: ChatTurn[];
}

export interface ChatHistory {
  videoId: string;
  videoName: string;
  /** Which of the video's chats this is (a video keeps several: New chat starts another). */
  chatId?: string;
  turns: ChatTurn[];
  /** Set when older turns were left out of the model's context to fit its token budget. */
  droppedTurns?: number;
}

/** One of a video's chats, as the library lists it. */
export interface LibraryChat {
  id: string;
  /** Its first question (shortened), or "New chat". */
  title: string;
  turns: number;
  /** When its last question was asked. */
  updatedAt?: string;
  /** The chat the video opens with. */
  current: boolean;
}

/** A video opened before (desktop or web mode), as the library lists it. */
export interface LibraryVideo {
  /** The video's content fingerprint: the library's id for it (the renderer never sees a path). */
  id: string;
  name: string;
  sizeBytes?: number;
  openedAt: string;
  /** Present while its file is where it was: thumbnails load through it and it can be reopened. */
  video?: VideoRef;
  duration?: number;
  /** Clips at its last clip plan, and that plan's sampling ratio. */
  clips?: number;
  clipSamplingRatio?: number;
  /** The clip whose thumbnail stands for the video. */
  posterClip?: number;
  /** What the engine's cache holds of it: clip embeddings (whole, some clips, none) and a saved KV prefix. */
  cache: { embeddings: 'complete' | 'partial' | 'none' | 'unknown'; encodedClips?: number; totalClips?: number; kvPrefix: boolean; bytes: number };
  chats: LibraryChat[];
}

export interface DeviceStatus {
  device: DeviceKind;
  /** Why a preferred device was not used; absent when the first choice works. */
  fallbackReason?: string;
  precision: Precision;
}

export interface AppSettings {
  device: 'auto' | DeviceKind;
  precision: Precision;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  clipSamplingRatio: number;
  cacheSizeGiB: number;
  /** The installed model to answer with (catalog name, repo id or local folder). */
  model?: string;
}

export const DEFAULT_SETTINGS: AppSettings = {
  device: 'auto',
  precision: 'int4',
  temperature: 0.4,
  topP: 0.7,
  maxNewTokens: 256,
  clipSamplingRatio: 0.65,
  cacheSizeGiB: 10,
};

export interface CatalogEntry {
  name: string;
  title: string;
  approxDownloadBytes: number;
  /** Memory needed to run it, per precision (bytes). */
  memory: { fp16: number; int4: number };
}

export interface InstalledModelInfo {
  /** What to pass to select/remove: the catalog name, else the repository id. */
  spec: string;
  name?: string;
  repoId: string;
  revision: string;
  sizeBytes: number;
  /** Every file matched a content hash from the hub. */
  verified: boolean;
  /** How many files the hub sent no hash for (checked by size only); 0 when verified. */
  sizeOnly: number;
  prepared: Array<'fp32' | 'fp16' | 'int4'>;
}

export type DownloadState = 'downloading' | 'paused' | 'preparing' | 'done' | 'cancelled' | 'error';

export interface ModelDownload {
  spec: string;
  state: DownloadState;
  doneBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  etaMs?: number;
  message?: string;
  error?: SerializedError;
}

export interface ModelsOverview {
  catalog: CatalogEntry[];
  installed: InstalledModelInfo[];
  /** The model answering now, if any (a spec, or "local folder"). */
  selected?: string;
  defaultPick: { name: string; precision: 'fp16' | 'int4'; reason: string };
  downloads: ModelDownload[];
  freeBytes?: number;
}

export type AppEvent =
  | { type: 'progress'; scope: 'video' | 'model'; id: string; progress: ProgressEvent }
  | { type: 'analysis'; analysis: VideoAnalysis }
  | { type: 'turn'; videoId: string; turn: ChatTurn }
  | { type: 'turn-delta'; videoId: string; turnId: string; delta: string }
  | { type: 'device'; status: DeviceStatus }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string }
  /** The host opened a video by itself (menu, second launch with a file). */
  | { type: 'open-video'; video: VideoRef }
  | { type: 'menu'; action: 'export-chat' }
  | { type: 'model-download'; download: ModelDownload }
  | { type: 'models-changed' };
