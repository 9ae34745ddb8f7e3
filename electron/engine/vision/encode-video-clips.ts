// The encoder pipeline: clips in chunks of encode_batch_size, the next chunk's extraction and
// preprocessing running while the current one is encoded, progress per clip (stage 'encode'),
// cancellable between clips. Memory holds at most two chunks of pixels and the clip embeddings.
import { ApolloError } from '../../shared/errors.js';
import { EtaEstimator, type ProgressListener } from '../../shared/progress.js';
import type { VisionRunner } from './vision-sessions.js';
import { internVideoGridFrames, internVideoGridSide, siglipGridSide, type VisionShapes } from './vision-shapes.js';

/** Both towers' inputs for consecutive clips: SigLIP (clips, F, ch, S, S), InternVideo2 (clips, ch, F, S2, S2). */
export interface PreparedChunk {
  clips: number;
  siglipPixels: Float32Array;
  internVideoPixels: Float32Array;
}

/** Extracts and preprocesses clips [first, first + count). */
export type ChunkPreparer = (first: number, count: number, signal: AbortSignal | undefined) => Promise<PreparedChunk>;

export interface EncodedChunk {
  first: number;
  prepared: PreparedChunk;
  /** (clips, F, G, G, C1) */
  siglipFeatures: Float32Array;
  /** (clips, F/U, G2, G2, C2) */
  internVideoFeatures: Float32Array;
  /** (clips, numLatents, textHidden) */
  embeddings: Float32Array;
}

export interface EncodeOptions {
  clipCount: number;
  /** Clips extracted and preprocessed together (config encode_batch_size). */
  chunkSize: number;
  /** Clips per tower run inside a chunk (1 gives per-clip progress; larger batches suit GPUs). */
  runClips?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Sees every chunk's inputs and features before they are dropped (e.g. to write them out). */
  onChunk?: (chunk: EncodedChunk) => void | Promise<void>;
  now?: () => number;
  /**
   * Opens a CPU runner for when the device runs out of memory even one clip at a time (GPU runners
   * only; absent, that failure is thrown). The runner opened is released before returning.
   */
  cpuFallback?: () => Promise<VisionRunner>;
  /** Told of every out-of-memory retry (also carried as `detail` in the progress events after it). */
  onFallback?: (fallback: EncodeFallback) => void;
}

/** How the encoder got past an out-of-memory failure: a smaller tower batch, or the CPU. */
export interface EncodeFallback {
  kind: 'smaller-batch' | 'cpu';
  /** Clips per tower run from now on. */
  runClips: number;
  /** A line for the user: what failed and what is done instead. */
  reason: string;
}

// onnxruntime's allocator (BFCArena) and the CUDA / DirectML providers word an exhausted device this way.
const ALLOCATION_FAILURE = /Failed to allocate memory|bad_alloc|out of memory|OUT_OF_MEMORY|cudaErrorMemoryAllocation|E_OUTOFMEMORY|AllocateRawInternal/i;

/** True when the error (or any error it wraps) is an allocation failure of the runtime. */
export function isAllocationFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
    if (ALLOCATION_FAILURE.test(message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

export interface VisionSizes {
  siglipPixelsPerClip: number;
  internVideoPixelsPerClip: number;
  siglipFeaturesPerClip: number;
  internVideoFeaturesPerClip: number;
  embeddingsPerClip: number;
}

/** Element counts per clip of every tensor the pipeline moves; frames per clip = the fusion grid's T. */
export function visionSizes(shapes: VisionShapes): VisionSizes {
  const F = shapes.fusion.frames;
  const s = shapes.siglip;
  const v = shapes.internVideo;
  return {
    siglipPixelsPerClip: F * s.numChannels * s.imageSize * s.imageSize,
    internVideoPixelsPerClip: v.numChannels * v.numFrames * v.imageSize * v.imageSize,
    siglipFeaturesPerClip: F * siglipGridSide(s) ** 2 * s.hiddenSize,
    internVideoFeaturesPerClip: internVideoGridFrames(v) * internVideoGridSide(v) ** 2 * v.hiddenSize,
    embeddingsPerClip: shapes.connector.numLatents * shapes.connector.textHiddenSize,
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof ApolloError ? signal.reason : new ApolloError('CANCELLED');
}

/** Encodes every clip; returns the clip embeddings (clipCount, numLatents, textHidden). */
export async function encodeVideoClips(runner: VisionRunner, shapes: VisionShapes, prepare: ChunkPreparer, options: EncodeOptions): Promise<Float32Array> {
  const { clipCount, signal } = options;
  const chunkSize = Math.max(1, Math.floor(options.chunkSize));
  let runClips = Math.max(1, Math.min(chunkSize, Math.floor(options.runClips ?? 1)));
  let active = runner;
  let cpuRunner: VisionRunner | undefined;
  let fallbackDetail: string | undefined;
  const fallBack = (fallback: EncodeFallback) => {
    fallbackDetail = fallback.reason;
    options.onFallback?.(fallback);
  };
  // One tower batch; on an allocation failure the batch is halved, and below one clip the CPU takes over.
  const encodeRun = async (siglipPixels: Float32Array, ivPixels: Float32Array, n: number) => {
    const sig = await active.siglip(siglipPixels, n * framesPerClip);
    const iv = await active.internVideo(ivPixels, n);
    return { sig, iv, emb: await active.connector(sig, iv, n) };
  };
  const sizes = visionSizes(shapes);
  const framesPerClip = shapes.fusion.frames;
  const embeddings = new Float32Array(clipCount * sizes.embeddingsPerClip);
  const eta = new EtaEstimator();
  const now = options.now ?? (() => Date.now());
  const report = (done: number) => {
    const etaMs = eta.update(done, clipCount, now());
    options.onProgress?.({ stage: 'encode', done, total: clipCount, unit: 'clips', ...(etaMs === undefined ? {} : { etaMs }), ...(fallbackDetail === undefined ? {} : { detail: fallbackDetail }) });
  };
  report(0);
  const start = (first: number): Promise<PreparedChunk> | undefined => {
    if (first >= clipCount) return undefined;
    const p = prepare(first, Math.min(chunkSize, clipCount - first), signal);
    p.catch(() => {}); // a failure surfaces when the chunk is awaited; never as an unhandled rejection
    return p;
  };
  try {
    let next = start(0);
    for (let first = 0; first < clipCount; first += chunkSize) {
      throwIfAborted(signal);
      const prepared = await next!;
      const count = Math.min(chunkSize, clipCount - first);
      if (prepared.clips !== count || prepared.siglipPixels.length !== count * sizes.siglipPixelsPerClip || prepared.internVideoPixels.length !== count * sizes.internVideoPixelsPerClip) {
        throw new ApolloError('INTERNAL', `Chunk at clip ${first} came back with the wrong size; report this with --debug output.`);
      }
      // the next chunk's extraction and preprocessing overlap this chunk's encoding
      next = start(first + chunkSize);
      const keep = options.onChunk !== undefined;
      const sigAll = keep ? new Float32Array(count * sizes.siglipFeaturesPerClip) : undefined;
      const ivAll = keep ? new Float32Array(count * sizes.internVideoFeaturesPerClip) : undefined;
      for (let c = 0; c < count; ) {
        throwIfAborted(signal);
        const n = Math.min(runClips, count - c);
        let out: Awaited<ReturnType<typeof encodeRun>>;
        try {
          out = await encodeRun(prepared.siglipPixels.subarray(c * sizes.siglipPixelsPerClip, (c + n) * sizes.siglipPixelsPerClip), prepared.internVideoPixels.subarray(c * sizes.internVideoPixelsPerClip, (c + n) * sizes.internVideoPixelsPerClip), n);
        } catch (error) {
          if (!isAllocationFailure(error)) throw error;
          if (n > 1) {
            runClips = Math.ceil(n / 2);
            fallBack({ kind: 'smaller-batch', runClips, reason: `out of memory encoding ${n} clips at once; retrying ${runClips} at a time` });
            continue;
          }
          if (cpuRunner !== undefined || options.cpuFallback === undefined) throw error;
          cpuRunner = await options.cpuFallback();
          active = cpuRunner;
          fallBack({ kind: 'cpu', runClips, reason: 'the GPU ran out of memory even for one clip; encoding continues on the CPU (slower)' });
          continue;
        }
        embeddings.set(out.emb, (first + c) * sizes.embeddingsPerClip);
        sigAll?.set(out.sig, c * sizes.siglipFeaturesPerClip);
        ivAll?.set(out.iv, c * sizes.internVideoFeaturesPerClip);
        c += n;
        report(first + c);
      }
      if (keep) {
        await options.onChunk!({
          first,
          prepared,
          siglipFeatures: sigAll!,
          internVideoFeatures: ivAll!,
          embeddings: embeddings.subarray(first * sizes.embeddingsPerClip, (first + count) * sizes.embeddingsPerClip),
        });
      }
    }
    return embeddings;
  } finally {
    await cpuRunner?.release();
  }
}
