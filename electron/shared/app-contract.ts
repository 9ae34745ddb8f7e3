// The app API between the renderer and its host, declared once: each operation's arguments (zod,
// validated by the host), its result, and how it travels: an IPC channel (Electron), a web route
// (web mode), or both. Electron main, the preload bridge, the web routes and the renderer's
// clients are all typed from APP_API, so a host and the renderer cannot disagree and compile.
// Failures travel as SerializedError (a stable code and a sentence; see errors.ts).
import { z } from 'zod';
import type { AppSettings, ChatHistory, ChatTurn, DeviceStatus, LibraryVideo, ModelsOverview, VideoAnalysis, VideoRef } from './app-api.js';
import { IPC_CHANNELS, type IpcOperation, type IpcReply as ChannelReply } from './app-channels.js';
import { phantomOf, type Phantom, type PhantomType } from './contract-types.js';
import type { SerializedError } from './errors.js';
import { LIMITS } from './limits.js';
import { invalidModelSpecMessage, isModelSpec } from './model-spec.js';

export interface HostInfo {
  host: 'electron' | 'web';
  version: string;
  /** `serve --demo`: a tiny random model answers (random text). */
  demo: boolean;
  /** Whether a model is installed to answer with. */
  modelReady: boolean;
  /** The model answering (catalog name, repo id, or "local folder"), when one is chosen. */
  model?: string;
  /** The device of the last model run in this host process (absent until one ran, or after an engine crash). */
  device?: DeviceStatus;
}

/** The result of an action that has nothing else to say. */
export interface Done {
  ok: true;
}

export interface WebRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below /api/; ":name" segments carry the arguments of that name. */
  path: string;
  /** The arguments' names in order: those not in the path travel as fields of a JSON body. */
  names: readonly string[];
  /** The one argument that is the whole JSON body (instead of a field of it). */
  bodyArg?: string;
  /** Success status (200 when absent). */
  status?: number;
  /** The content type of a response that is not JSON (its body is the result, a string). */
  contentType?: string;
}

interface Operation<A extends z.ZodTuple, R> {
  args: A;
  result: Phantom<R>;
  ipc?: string;
  web?: WebRoute;
}

function op<A extends z.ZodTuple, R, const T extends { ipc?: string; web?: WebRoute }>(args: A, result: Phantom<R>, transport: T): Operation<A, R> & T {
  return { args, result, ...transport };
}

const returns = phantomOf;
const id = z.string().min(1).max(LIMITS.idChars);
const question = z.string().min(1).max(LIMITS.questionChars);
// A catalog name or owner/name[@revision] in the Hub's grammar (model-spec.ts), never a path.
const modelSpec = z.string().min(1).max(LIMITS.modelSpecChars).refine(isModelSpec, { error: (issue) => invalidModelSpecMessage(String(issue.input)) });
const droppedPath = z.string().min(1).max(LIMITS.pathChars);
// Checked field by field by the settings store, which names the setting that is wrong.
const settingsPatch = z.custom<Partial<AppSettings>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be an object of settings');
// A library entry is named by its video's content fingerprint (hex), never by a path.
const libraryId = z.string().regex(/^[0-9a-f]{16,128}$/, 'must be a library video id (as the library lists it)');
const askOptions = z.object({ answerNow: z.boolean().optional() }).strict();
const none = z.tuple([]);
const video = z.tuple([id]);
const model = z.tuple([modelSpec]);
const onVideo = (method: WebRoute['method'], action: string, extra: Omit<WebRoute, 'method' | 'path' | 'names'> = {}): WebRoute => ({ method, path: `videos/:videoId/${action}`, names: ['videoId'], ...extra });
const onModel = (action: string): WebRoute => ({ method: 'POST', path: `models/:spec/${action}`, names: ['spec'] });

export const APP_API = {
  hostInfo: op(none, returns<HostInfo>(), { ipc: IPC_CHANNELS.hostInfo, web: { method: 'GET', path: 'health', names: [] } }),
  listVideos: op(none, returns<VideoRef[]>(), { ipc: IPC_CHANNELS.listVideos, web: { method: 'GET', path: 'videos', names: [] } }),
  /** The host's Open dialog (desktop only); null when cancelled. */
  pickVideo: op(none, returns<VideoRef | null>(), { ipc: IPC_CHANNELS.pickVideo }),
  /** A dropped file's path, resolved by the preload (the page never sees it); web mode uploads instead. */
  openDroppedPath: op(z.tuple([droppedPath]), returns<VideoRef>(), { ipc: IPC_CHANNELS.openDroppedPath }),
  analyzeVideo: op(video, returns<VideoAnalysis>(), { ipc: IPC_CHANNELS.analyzeVideo, web: onVideo('POST', 'analyze') }),
  cancelVideoWork: op(video, returns<Done>(), { ipc: IPC_CHANNELS.cancelVideoWork, web: onVideo('POST', 'cancel') }),
  /** Encodes the rest of the video after a Cancel (the clips already encoded are kept); progress streams as events. */
  resumeEncoding: op(video, returns<Done>(), { ipc: IPC_CHANNELS.resumeEncoding, web: onVideo('POST', 'encode') }),
  getChat: op(video, returns<ChatHistory>(), { ipc: IPC_CHANNELS.getChat, web: onVideo('GET', 'chat') }),
  /**
   * Resolves once the turn exists; the answer streams as events. With `answerNow`, the answer is
   * written from the clips encoded so far instead of waiting for all of them (encoding goes on after it).
   */
  ask: op(z.tuple([id, question, askOptions.optional()]), returns<{ turn: ChatTurn }>(), { ipc: IPC_CHANNELS.ask, web: { method: 'POST', path: 'videos/:videoId/ask', names: ['videoId', 'question', 'options'], status: 202 } }),
  /** The question waiting for the video's encoding is answered now, from the clips encoded so far. */
  answerNow: op(video, returns<Done>(), { ipc: IPC_CHANNELS.answerNow, web: onVideo('POST', 'answer-now') }),
  stop: op(video, returns<{ stopped: boolean }>(), { ipc: IPC_CHANNELS.stop, web: onVideo('POST', 'stop') }),
  regenerate: op(video, returns<{ turn: ChatTurn }>(), { ipc: IPC_CHANNELS.regenerate, web: onVideo('POST', 'regenerate', { status: 202 }) }),
  editQuestion: op(z.tuple([id, id, question]), returns<{ turn: ChatTurn }>(), { ipc: IPC_CHANNELS.editQuestion, web: { method: 'POST', path: 'videos/:videoId/edit', names: ['videoId', 'turnId', 'question'], status: 202 } }),
  /** Shows another version of a turn (and the conversation that followed it); the next question continues from it. */
  selectVersion: op(z.tuple([id, id, z.number().int().min(0).max(LIMITS.historyTurns)]), returns<ChatHistory>(), {
    ipc: IPC_CHANNELS.selectVersion,
    web: { method: 'POST', path: 'videos/:videoId/version', names: ['videoId', 'turnId', 'index'] },
  }),
  clearChat: op(video, returns<Done>(), { ipc: IPC_CHANNELS.clearChat, web: onVideo('POST', 'clear') }),
  /** The chat as Markdown (the desktop host also offers to save it). */
  exportMarkdown: op(video, returns<string>(), { ipc: IPC_CHANNELS.exportMarkdown, web: onVideo('GET', 'export', { contentType: 'text/markdown; charset=utf-8' }) }),
  /** Starts another chat on the video (the one shown is kept in its library entry). */
  newChat: op(video, returns<ChatHistory>(), { ipc: IPC_CHANNELS.newChat, web: onVideo('POST', 'chats') }),
  /** Shows one of the video's earlier chats; the next question continues it. */
  openChat: op(z.tuple([id, id]), returns<ChatHistory>(), { ipc: IPC_CHANNELS.openChat, web: { method: 'POST', path: 'videos/:videoId/chats/:chatId/open', names: ['videoId', 'chatId'] } }),
  /** The videos opened before, newest first, with their cache state and chats. */
  listLibrary: op(none, returns<LibraryVideo[]>(), { ipc: IPC_CHANNELS.listLibrary, web: { method: 'GET', path: 'library', names: [] } }),
  openLibraryVideo: op(z.tuple([libraryId]), returns<VideoRef>(), { ipc: IPC_CHANNELS.openLibraryVideo, web: { method: 'POST', path: 'library/:libraryId/open', names: ['libraryId'] } }),
  /** Forgets a video: its chats, its cached clip embeddings and saved KV prefix (the video file itself is kept). */
  removeLibraryVideo: op(z.tuple([libraryId]), returns<{ freedBytes: number }>(), { ipc: IPC_CHANNELS.removeLibraryVideo, web: { method: 'DELETE', path: 'library/:libraryId', names: ['libraryId'] } }),
  getSettings: op(none, returns<AppSettings>(), { ipc: IPC_CHANNELS.getSettings, web: { method: 'GET', path: 'settings', names: [] } }),
  updateSettings: op(z.tuple([settingsPatch]), returns<AppSettings>(), { ipc: IPC_CHANNELS.updateSettings, web: { method: 'PUT', path: 'settings', names: ['patch'], bodyArg: 'patch' } }),
  getModels: op(none, returns<ModelsOverview>(), { ipc: IPC_CHANNELS.getModels, web: { method: 'GET', path: 'models', names: [] } }),
  /** Resolves once the download has started; progress streams as events. */
  pullModel: op(z.tuple([modelSpec, z.enum(['fp16', 'int4'])]), returns<{ started: true }>(), { ipc: IPC_CHANNELS.pullModel, web: { method: 'POST', path: 'models/:spec/pull', names: ['spec', 'precision'], status: 202 } }),
  pauseDownload: op(model, returns<Done>(), { ipc: IPC_CHANNELS.pauseDownload, web: onModel('pause') }),
  resumeDownload: op(model, returns<Done>(), { ipc: IPC_CHANNELS.resumeDownload, web: onModel('resume') }),
  cancelDownload: op(model, returns<Done>(), { ipc: IPC_CHANNELS.cancelDownload, web: onModel('cancel') }),
  selectModel: op(model, returns<Done>(), { ipc: IPC_CHANNELS.selectModel, web: onModel('select') }),
  removeModel: op(model, returns<Done>(), { ipc: IPC_CHANNELS.removeModel, web: { method: 'DELETE', path: 'models/:spec', names: ['spec'] } }),
} satisfies { [K in IpcOperation]: { ipc: (typeof IPC_CHANNELS)[K] } };

/** Web routes that stream rather than answer JSON: events, uploads, the video and its thumbnails. */
export const WEB_STREAM_ROUTES = {
  events: { method: 'GET', path: 'events' },
  upload: { method: 'POST', path: 'videos' },
  media: { method: 'GET', path: 'media/:videoId' },
  thumbnail: { method: 'GET', path: 'videos/:videoId/thumbnails/:clip' },
} as const satisfies Record<string, Pick<WebRoute, 'method' | 'path'>>;

type Api = typeof APP_API;
export type AppOperation = keyof Api;
export type WebOperation = { [K in AppOperation]: Api[K] extends { web: WebRoute } ? K : never }[AppOperation];
/** Arguments as a caller passes them. */
export type AppArgs<K extends AppOperation> = z.input<Api[K]['args']>;
/** Arguments as a host receives them, validated. */
export type AppArgsParsed<K extends AppOperation> = z.output<Api[K]['args']>;
export type AppResult<K extends AppOperation> = PhantomType<Api[K]['result']>;

/** A host's implementation of some operations. */
export type AppHandlers<K extends AppOperation> = { [P in K]: (...args: AppArgsParsed<P>) => AppResult<P> | Promise<AppResult<P>> };
/** The renderer's view of some operations. */
export type AppClient<K extends AppOperation> = { [P in K]: (...args: AppArgs<P>) => Promise<AppResult<P>> };

/** What an IPC invoke resolves to, with the typed error model. */
export type IpcReply<R> = ChannelReply<R, SerializedError>;
/** A web route's error body. */
export interface WebErrorBody {
  error: SerializedError;
}

export const WEB_OPERATIONS = (Object.keys(APP_API) as AppOperation[]).filter((k): k is WebOperation => APP_API[k].web !== undefined);

export { APP_EVENT_CHANNEL, IPC_OPERATIONS, ipcChannelOf, type IpcOperation } from './app-channels.js';
