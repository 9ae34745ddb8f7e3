// From a planned video to its clip embeddings, through the cache: (cache hit: done, no session) →
// sessions over the prepared folder's vision graphs → chunked encoding → cache entry. The probe and plan
// come from video/plan-video.ts (through the engine's memo), the key from the content fingerprint.
import { join } from 'node:path';
import type { EncodeRate } from '../../shared/engine-protocol.js';
import type { ProgressListener } from '../../shared/progress.js';
import { loadApolloCheckpointConfig, type ApolloCheckpointConfig } from '../model/apollo-config.js';
import type { PreparedManifest } from '../prepare/prepare-manifest.js';
import { assertVideoUnchanged, videoFileStamp } from '../../common/fingerprint/video-fingerprint.js';
import { apolloCacheDir } from '../../common/platform/prepare-cache-dir.js';
import { fingerprintSource } from '../prepare/source-fingerprint.js';
import type { PlannedVideo } from '../video/plan-video.js';
import type { SamplingSettings } from '../video/sampling-settings.js';
import { preprocessorConfigOf } from '../video/preprocessor-config.js';
import { clipCacheKey, partialClipCacheKey, type CachedClipEmbeddings, type ClipEmbeddingCache } from './clip-embedding-cache.js';
import { encodeOrder, type EncodeOrder } from './encode-order.js';
import { encodeVideoClips, newEncodeState, type EncodedChunk, type EncodeFallback, type EncodeState } from './encode-video-clips.js';
import type { VisionDtype } from './vision-graph-parts.js';
import { visionEmbeddingTag, visionGraphPaths } from './vision-prepare-artifact.js';
import { openVisionSessions, type VisionRunner, type VisionSessionOptions } from './vision-sessions.js';
import { visionShapesOf } from './vision-shapes-from-config.js';
import type { VisionShapes } from './vision-shapes.js';
import { towerClipRequests, videoChunkPreparer } from './video-chunk-preparer.js';

export interface VisionModel {
  dir: string;
  config: ApolloCheckpointConfig;
  shapes: VisionShapes;
  /** Content identity of the checkpoint (configs, tokenizer, tensor headers). */
  modelId: string;
}

export async function loadVisionModel(dir: string): Promise<VisionModel> {
  const config = await loadApolloCheckpointConfig(dir);
  return { dir, config, shapes: visionShapesOf(config), modelId: (await fingerprintSource(dir)).digest };
}

export function defaultClipCacheDir(cacheDir = apolloCacheDir()): string {
  return join(cacheDir, 'clip-embeddings');
}

/** A prepared folder (prepare/prepare-model.ts) holding the vision graphs. */
export interface PreparedVisionFolder {
  preparedDir: string;
  manifest: PreparedManifest;
}

/** Opens sessions over the prepared folder's vision graphs at `dtype`. */
export function openVisionRunner(model: VisionModel, prepared: PreparedVisionFolder, dtype: VisionDtype, options: VisionSessionOptions = {}): Promise<VisionRunner> {
  return openVisionSessions(visionGraphPaths(prepared, dtype), model.shapes, options);
}

/** The plan as stored with embeddings: frame indices and timestamps per tower clip. */
export function planMetadata(input: PlannedVideo): Record<string, unknown> {
  const { plan, settings } = input;
  return {
    frameCount: plan.frameCount,
    fps: plan.fps,
    duration: plan.duration,
    effectiveRatio: plan.effectiveRatio,
    branch: plan.branch,
    groupCount: plan.groupCount,
    framesPerClip: settings.framesPerClip,
    clips: plan.clips.map((c) => ({ index: c.index, frameIndices: c.frameIndices, start: c.start, end: c.end })),
  };
}

export interface EncodeVideoOptions {
  dtype: VisionDtype;
  /** The graphs a GPU that runs out of memory hands over to on the CPU (default float32; see visionDtypeFor). */
  cpuDtype?: VisionDtype;
  /** The prepared folder whose vision graphs run (unused when `runner` is given or on a cache hit). */
  prepared: PreparedVisionFolder;
  session?: VisionSessionOptions;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  onChunk?: (chunk: EncodedChunk) => void | Promise<void>;
  /**
   * Sessions kept warm by the caller (not released here), or how to get them (called on a cache
   * miss only), instead of opening and releasing sessions for this video.
   */
  runner?: VisionRunner | (() => Promise<VisionRunner>);
  /** The order clips are encoded in (default sequential; the app encodes coarse-to-fine). */
  order?: EncodeOrder;
  /** Clips already encoded (resumed) and where the embeddings go; filled in place, so kept on a cancel. */
  state?: EncodeState;
  /** Stop once this many clips are encoded (the rest are left for a later encode). */
  stopAfter?: number;
  /** The ETA's basis until this run has measured its own rate (see encode-eta.ts). */
  expectedRate?: EncodeRate;
  /** Told what this run measured (see EncodeOptions.onMeasuredRate). */
  onMeasuredRate?: (rate: EncodeRate) => void;
  /** Where the times of damaged and missing frames are collected (a resumed encode passes the earlier ones). */
  frameIssues?: FrameIssues;
}

export interface FrameIssues {
  damagedTimes: number[];
  missingTimes: number[];
}

/** True when the sessions run on the CPU provider only (no device memory to run out of). */
function cpuOnly(session: VisionSessionOptions | undefined): boolean {
  const providers = session?.executionProviders ?? ['cpu'];
  return providers.every((p) => (typeof p === 'string' ? p : p.name) === 'cpu');
}

/**
 * Encodes every tower clip of the plan; returns the (clips, latents, hidden) embeddings, the runner
 * (released if opened here; its run counts stay readable) and any out-of-memory fallback taken.
 */
export async function encodeVideo(model: VisionModel, input: PlannedVideo, options: EncodeVideoOptions): Promise<CachedClipEmbeddings & { runner: VisionRunner; fallbacks: EncodeFallback[] }> {
  const F = model.shapes.fusion.frames;
  if (input.settings.framesPerClip !== F) throw new RangeError(`the plan samples ${input.settings.framesPerClip} frames per clip, the towers take ${F}`);
  const owned = options.runner === undefined;
  const given = typeof options.runner === 'function' ? await options.runner() : options.runner;
  const runner = given ?? (await openVisionRunner(model, options.prepared, options.dtype, options.session));
  const clips = towerClipRequests(input.plan, F);
  const preprocessing = preprocessorConfigOf(model.config);
  let embeddings: Float32Array;
  const fallbacks: EncodeFallback[] = [];
  const { damagedTimes, missingTimes } = options.frameIssues ?? { damagedTimes: [], missingTimes: [] };
  // A GPU that runs out of memory even one clip at a time hands over to float32 graphs on the CPU.
  const cpuFallback = () => openVisionRunner(model, options.prepared, options.cpuDtype ?? 'float32', { executionProviders: ['cpu'], ...(options.session?.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.session.intraOpNumThreads }) });
  try {
    embeddings = await encodeVideoClips(runner, model.shapes, videoChunkPreparer(input.probe, clips, preprocessing, F, (issues) => {
      damagedTimes.push(...issues.damagedTimes);
      missingTimes.push(...issues.missingTimes);
    }), {
    clipCount: clips.length,
    chunkSize: model.shapes.encodeBatchSize,
    order: encodeOrder(options.order ?? 'sequential', clips.length),
    ...(options.state === undefined ? {} : { state: options.state }),
    ...(options.stopAfter === undefined ? {} : { stopAfter: options.stopAfter }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.onChunk === undefined ? {} : { onChunk: options.onChunk }),
    ...(options.expectedRate === undefined ? {} : { expectedRate: options.expectedRate }),
    ...(options.onMeasuredRate === undefined ? {} : { onMeasuredRate: options.onMeasuredRate }),
    ...(cpuOnly(options.session) ? {} : { cpuFallback }),
    onFallback: (f) => fallbacks.push(f),
    });
  } finally {
    if (owned) await runner.release();
  }
  return { clips: clips.length, numLatents: model.shapes.connector.numLatents, hiddenSize: model.shapes.connector.textHiddenSize, embeddings, metadata: { plan: planMetadata(input), damagedTimes: [...new Set(damagedTimes)].sort((a, b) => a - b), missingTimes: [...new Set(missingTimes)].sort((a, b) => a - b) }, runner, fallbacks };
}

/** The damaged and missing frame times an entry was encoded with (stored in its metadata, so a cache hit still warns). */
export function frameIssuesOf(entry: CachedClipEmbeddings): FrameIssues {
  const times = (v: unknown) => (Array.isArray(v) ? v.filter((t): t is number => typeof t === 'number') : []);
  return { damagedTimes: times(entry.metadata.damagedTimes), missingTimes: times(entry.metadata.missingTimes) };
}

export interface VideoEmbeddingsResult {
  entry: CachedClipEmbeddings;
  fromCache: boolean;
  key: string;
  /** The runner that encoded (undefined on a cache hit: no graph built, no session opened). */
  runner?: VisionRunner;
  /** Out-of-memory fallbacks taken while encoding (smaller tower batches, the CPU); empty normally. */
  fallbacks: EncodeFallback[];
  /**
   * Present when not every clip is encoded (`stopAfter`, or `videoClipsSoFar`): the clips whose rows
   * `entry.embeddings` holds (ascending; the other rows are zero). Absent: all of them.
   */
  encodedClips?: number[];
}

/** The video to embed: its content fingerprint, the sampling settings, and its plan (made on a cache miss only). */
export interface VideoToEmbed {
  key: string;
  settings: SamplingSettings;
  planned: () => Promise<PlannedVideo>;
}

function cacheKeyOf(video: VideoToEmbed, model: VisionModel, dtype: VisionDtype): string {
  return clipCacheKey({ videoFingerprint: video.key, modelId: model.modelId, sampling: video.settings, precision: visionEmbeddingTag(dtype) });
}

/** The clips a partial entry holds, when it fits this video's clip count and model. */
function partialClips(entry: CachedClipEmbeddings, clips: number, model: VisionModel): number[] | undefined {
  const list = entry.metadata.encodedClips;
  if (entry.clips !== clips || entry.numLatents !== model.shapes.connector.numLatents || entry.hiddenSize !== model.shapes.connector.textHiddenSize) return undefined;
  if (!Array.isArray(list) || !list.every((i) => Number.isInteger(i) && i >= 0 && i < clips)) return undefined;
  return [...new Set(list as number[])].sort((a, b) => a - b);
}

/**
 * The clip embeddings of a video: from the cache when this content (the fingerprint), model,
 * sampling and precision were encoded before (no probe, tower or connector run), else planned,
 * encoded and stored. An encode resumes from the video's partial entry (clips kept from a cancelled
 * or stopped encode) and, when it stops early or is cancelled, leaves what it did as that entry.
 */
export async function videoClipEmbeddings(video: VideoToEmbed, model: VisionModel, cache: ClipEmbeddingCache, options: EncodeVideoOptions): Promise<VideoEmbeddingsResult> {
  const key = cacheKeyOf(video, model, options.dtype);
  const found = await cache.lookup(key);
  if ('hit' in found) return { entry: found.hit, fromCache: true, key, fallbacks: [] };
  const planned = await video.planned();
  const clipCount = planned.plan.groupCount;
  const partialKey = partialClipCacheKey(key);
  const state = options.state ?? newEncodeState(model.shapes, clipCount);
  const partial = await cache.get(partialKey);
  const kept = partial === undefined ? undefined : partialClips(partial, clipCount, model);
  // Frame damage seen by the earlier, interrupted encode stays reported when it resumes.
  const frameIssues: FrameIssues = kept === undefined || partial === undefined ? { damagedTimes: [], missingTimes: [] } : frameIssuesOf(partial);
  if (partial !== undefined && kept !== undefined && state.encoded.size === 0) {
    state.embeddings.set(partial.embeddings);
    for (const i of kept) state.encoded.add(i);
  }
  // Stored only if the file is the content `video.key` names, unchanged from before the probe's
  // result is used to the end of extraction (else another video's embeddings would be cached, and
  // answered from, under this one's key).
  const before = await videoFileStamp(planned.probe.path);
  const unchanged = () => assertVideoUnchanged(planned.probe.path, video.key, before);
  const keepPartial = async () => {
    if (state.encoded.size === 0) return;
    const encodedClips = [...state.encoded].sort((a, b) => a - b);
    const entry = { clips: clipCount, numLatents: model.shapes.connector.numLatents, hiddenSize: model.shapes.connector.textHiddenSize, embeddings: state.embeddings, metadata: { plan: planMetadata(planned), encodedClips, ...frameIssues, videoFingerprint: video.key } };
    // a partial entry that cannot be written (or of a file changed meanwhile) costs a later encode those clips, not this one
    await unchanged()
      .then(() => cache.put(partialKey, entry))
      .catch(() => {});
  };
  let result: Awaited<ReturnType<typeof encodeVideo>>;
  try {
    result = await encodeVideo(model, planned, { ...options, state, frameIssues });
  } catch (error) {
    await keepPartial();
    throw error;
  }
  await unchanged();
  const { runner, fallbacks, ...encoded } = result;
  // Whose entry this is, so removing the video from the library frees it (video-cache-entries.ts).
  const entry = { ...encoded, metadata: { ...encoded.metadata, videoFingerprint: video.key } };
  if (state.encoded.size < clipCount) {
    await keepPartial();
    return { entry, fromCache: false, key: partialKey, runner, fallbacks, encodedClips: [...state.encoded].sort((a, b) => a - b) };
  }
  await cache.put(key, entry);
  await cache.remove(partialKey);
  return { entry, fromCache: false, key, runner, fallbacks };
}

/**
 * What is encoded of a video so far, without encoding anything: the whole entry, or the partial
 * one (`encodedClips` set), or undefined when no clip is encoded yet.
 */
export async function videoClipsSoFar(video: VideoToEmbed, model: VisionModel, cache: ClipEmbeddingCache, dtype: VisionDtype): Promise<VideoEmbeddingsResult | undefined> {
  const key = cacheKeyOf(video, model, dtype);
  const full = await cache.get(key);
  if (full !== undefined) return { entry: full, fromCache: true, key, fallbacks: [] };
  const partialKey = partialClipCacheKey(key);
  const partial = await cache.get(partialKey);
  if (partial === undefined) return undefined;
  const kept = partialClips(partial, partial.clips, model);
  if (kept === undefined || kept.length === 0) return undefined;
  return { entry: partial, fromCache: true, key: partialKey, fallbacks: [], encodedClips: kept };
}
