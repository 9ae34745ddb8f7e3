// The engine protocol, declared once: each method's params (zod, validated where a message enters
// the engine), its result and the events it streams. EngineClient (host side) and the engine's
// method table (engine side) are both typed from ENGINE_PROTOCOL, so a mismatch does not compile.
// Wire format: requests {id, method, params}; replies are zero or more {id, kind: 'event'}, then
// one {id, kind: 'result'} or {id, kind: 'error'}.
import { z } from 'zod';
import type { DeviceKind, Precision, VideoAnalysis } from './app-api.js';
import { phantomOf, type Phantom, type PhantomType } from './contract-types.js';
import type { SerializedError } from './errors.js';
import { LIMITS } from './limits.js';
import type { ProgressEvent } from './progress.js';
import type { VideoWarning } from './video-warnings.js';

export const MAX_REQUEST_ID = 2 ** 31 - 1;

const path = z.string().min(1).max(LIMITS.pathChars);
const precision = z.enum(['fp32', 'fp16', 'int4']);

export const engineSettingsSchema = z
  .object({
    device: z.enum(['auto', 'cuda', 'webgpu', 'dml', 'cpu']).default('auto'),
    precision: precision.default('int4'),
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().gt(0).max(1).optional(),
    topK: z.number().int().min(0).max(1_000_000).optional(),
    maxNewTokens: z.number().int().min(1).max(LIMITS.engineMaxNewTokens).optional(),
    clipSamplingRatio: z.number().gt(0).max(1).optional(),
    /** Size limit of the engine's caches (the app's "cache size" setting). */
    cacheSizeGiB: z.number().min(0.1).max(1024).optional(),
    greedy: z.boolean().optional(),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  })
  .strict();

export const analyzeVideoParams = z.object({
  path,
  /** The content fingerprint the host computed when it opened the video; computed here when absent. */
  videoKey: z.string().regex(/^[0-9a-f]{16,128}$/).optional(),
  clipSamplingRatio: z.number().gt(0).max(1),
  modelDir: path.optional(),
});

/** A per-clip encoding rate measured on this device and model (the ETA's basis until a run measures its own). */
export const encodeRateSchema = z.object({ msPerClip: z.number().positive().max(1e8), startupMs: z.number().min(0).max(1e8) });

/** What an encode run measured: steady time per clip (start-up excluded) and what the first clip cost beyond it. */
export type EncodeRate = z.infer<typeof encodeRateSchema>;

export const encodeParams = z.object({
  videoPath: path,
  videoKey: z.string().regex(/^[0-9a-f]{16,128}$/),
  modelDir: path,
  settings: engineSettingsSchema,
  /** The rate last measured here for this model, device and precision (the host's encode-rates.json). */
  expectedRate: encodeRateSchema.optional(),
});

export const askParams = encodeParams.extend({
  history: z.array(z.object({ question: z.string().max(LIMITS.questionChars), answer: z.string().max(LIMITS.answerChars) })).max(LIMITS.historyTurns),
  question: z.string().min(1).max(LIMITS.questionChars),
  /**
   * "Answer now": answer from the clips encoded so far (kept by a cancelled or stopped encode), as
   * Apollo's prompt for that subset, encoding nothing more. With `answerAfterClips`, clips are first
   * encoded (coarse-to-fine) until that many exist.
   */
  answerNow: z.boolean().optional(),
  answerAfterClips: z.number().int().min(1).max(100_000).optional(),
});

export const prepareParams = z.object({ modelDir: path, precision });

const videoKey = z.string().regex(/^[0-9a-f]{16,128}$/);
export const videoCachesParams = z.object({ videoKeys: z.array(videoKey).max(LIMITS.libraryVideos) });
export const forgetVideoCachesParams = z.object({ videoKey });

/** What the engine's cache holds of one video (video-cache-entries.ts). */
export interface VideoCacheStatus {
  videoKey: string;
  /** Clip embeddings: whole (with any settings), only some clips (an interrupted encode), or none. */
  embeddings: 'complete' | 'partial' | 'none';
  encodedClips?: number;
  totalClips?: number;
  /** A saved KV cache of the video's prompt prefix (the first answer on a re-open starts at once). */
  kvPrefix: boolean;
  bytes: number;
}

const noParams = z.object({}).optional();

/** What `analyze-video` returns: the probe and the clip plan (the host adds the video's ref). */
export type AnalyzeVideoResult = Omit<VideoAnalysis, 'video'>;

export interface DeviceReport {
  device: DeviceKind;
  /** How the device was chosen; starts with "fallback" when the preferred one was not usable. */
  deviceReason: string;
  precision: Precision;
}

export interface EncodeResult extends DeviceReport {
  clips: number;
  fromCache: boolean;
  encodeMs: number;
  effectiveRatio: number;
  /** What the user should know about the video (damaged frames, a derived frame rate); empty normally. */
  videoWarnings: VideoWarning[];
  /** What this encode measured, when it encoded at least two clips (for the next run's `expectedRate`). */
  measuredRate?: EncodeRate;
}

export interface AskTimings {
  encodeMs: number;
  ttftMs: number;
  prefillTokens: number;
  decodeTokens: number;
  decodeTokensPerSecond: number;
}

export interface AskResult extends DeviceReport {
  answer: string;
  tokenIds: number[];
  stopReason: 'stop-token' | 'max-new-tokens' | 'cancelled';
  droppedTurns: number;
  plan: { clips: number; effectiveRatio: number };
  /** The clips the answer saw: all of them normally; fewer for "answer now" (label: "from 21 of 84 clips"). */
  clipsUsed: { used: number; total: number; label: string };
  embeddingsFromCache: boolean;
  /** Why the vision towers did not run as planned (GPU out of memory: smaller batches, or the CPU); empty normally. */
  visionFallbacks: string[];
  /** What the user should know about the video (damaged frames, a derived frame rate); empty normally. */
  videoWarnings: VideoWarning[];
  timings: AskTimings;
  /** What the encode this answer waited for measured (as EncodeResult.measuredRate). */
  measuredRate?: EncodeRate;
}

/** Events of the model methods (`encode`, `ask`): progress of each stage, and answer text as it is written. */
export type RuntimeEvent = { type: 'progress'; progress: ProgressEvent } | { type: 'delta'; delta: string };

interface MethodSpec<P extends z.ZodType, R, E> {
  params: P;
  result: Phantom<R>;
  event: Phantom<E>;
}

function method<P extends z.ZodType, R, E = never>(params: P, result: Phantom<R>, event: Phantom<E> = phantomOf<E>()): MethodSpec<P, R, E> {
  return { params, result, event };
}

const returns = phantomOf;
const streams = phantomOf;

export const ENGINE_PROTOCOL = {
  // Built into the engine's message loop.
  ping: method(noParams, returns<{ pid: number }>()),
  cancel: method(z.object({ target: z.number().int().nonnegative().max(MAX_REQUEST_ID) }), returns<{ cancelled: boolean }>()),
  shutdown: method(noParams, returns<{ bye: true }>()),
  // The engine's work.
  'analyze-video': method(analyzeVideoParams, returns<AnalyzeVideoResult>(), streams<ProgressEvent>()),
  encode: method(encodeParams, returns<EncodeResult>(), streams<RuntimeEvent>()),
  ask: method(askParams, returns<AskResult>(), streams<RuntimeEvent>()),
  prepare: method(prepareParams, returns<{ reused: boolean; precision: Precision }>(), streams<ProgressEvent>()),
  /** What the cache holds of each video (the library's "cached"). */
  'video-caches': method(videoCachesParams, returns<{ videos: VideoCacheStatus[] }>()),
  /** Deletes a video's clip embeddings and saved KV prefixes, and forgets them in memory (removing it from the library). */
  'forget-video-caches': method(forgetVideoCachesParams, returns<{ removedFiles: number; freedBytes: number }>()),
  // Served only with APOLLO_ENGINE_TEST_HOOKS=1: crash, out-of-memory and cancellation tests.
  'test:crash': method(z.object({ code: z.number().int().min(1).max(255) }), returns<never>()),
  'test:exhaust-memory': method(z.object({}), returns<never>()),
  'test:count': method(z.object({ to: z.number().int().min(1).max(1000), everyMs: z.number().int().min(1).max(1000) }), returns<{ counted: number }>(), streams<ProgressEvent>()),
} as const;

export type EngineMethodName = keyof typeof ENGINE_PROTOCOL;
export const ENGINE_BUILTIN_METHODS = ['ping', 'cancel', 'shutdown'] as const satisfies readonly EngineMethodName[];
export const ENGINE_TEST_HOOK_METHODS = ['test:crash', 'test:exhaust-memory', 'test:count'] as const satisfies readonly EngineMethodName[];
export type EngineBuiltinMethod = (typeof ENGINE_BUILTIN_METHODS)[number];
export type EngineTestHookMethod = (typeof ENGINE_TEST_HOOK_METHODS)[number];
/** The methods the engine's method table implements (the built-ins live in the message loop). */
export type EngineWorkMethod = Exclude<EngineMethodName, EngineBuiltinMethod | EngineTestHookMethod>;

/** Params as a caller writes them (defaults may be left out). */
export type EngineParamsIn<M extends EngineMethodName> = z.input<(typeof ENGINE_PROTOCOL)[M]['params']>;
/** Params as a method receives them (validated, defaults filled in). */
export type EngineParams<M extends EngineMethodName> = z.output<(typeof ENGINE_PROTOCOL)[M]['params']>;
export type EngineResult<M extends EngineMethodName> = PhantomType<(typeof ENGINE_PROTOCOL)[M]['result']>;
export type EngineEvent<M extends EngineMethodName> = PhantomType<(typeof ENGINE_PROTOCOL)[M]['event']>;

export function isEngineMethodName(name: string): name is EngineMethodName {
  return Object.prototype.hasOwnProperty.call(ENGINE_PROTOCOL, name);
}

export const requestEnvelopeSchema = z.object({
  id: z.number().int().nonnegative().max(MAX_REQUEST_ID),
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

export type EngineRequest = z.infer<typeof requestEnvelopeSchema>;

export type EngineReply =
  | { id: number; kind: 'event'; event: unknown }
  | { id: number; kind: 'result'; result: unknown }
  | { id: number | null; kind: 'error'; error: SerializedError };
