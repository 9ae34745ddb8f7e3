// The encoder pipeline: clips in chunks of encode_batch_size, taken in the encode order (sequential,
// or coarse-to-fine: see encode-order.ts), the next chunk's extraction and preprocessing running
// while the current one is encoded, progress per clip (stage 'encode'), cancellable between clips,
// resumable: clips already encoded (kept from a cancelled run) are skipped. Memory holds at most two
// chunks of pixels and the clip embeddings.
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { EncodeEtaEstimator, type EncodeRate } from './encode-eta.js';
import type { VisionRunner } from './vision-sessions.js';
import { internVideoGridFrames, internVideoGridSide, siglipGridSide, type VisionShapes } from './vision-shapes.js';

/** Both towers' inputs for consecutive clips: SigLIP (clips, F, ch, S, S), InternVideo2 (clips, ch, F, S2, S2). */
export interface PreparedChunk {
  clips: number;
  siglipPixels: Float32Array;
  internVideoPixels: Float32Array;
}

/** Extracts and preprocesses the clips `indices` (ascending), in that order. */
export type ChunkPreparer = (indices: readonly number[], signal: AbortSignal | undefined) => Promise<PreparedChunk>;

export interface EncodedChunk {
  /** The chunk's clip indices, ascending (consecutive in the sequential order). */
  indices: readonly number[];
  prepared: PreparedChunk;
  /** (clips, F, G, G, C1) */
  siglipFeatures: Float32Array;
  /** (clips, F/U, G2, G2, C2) */
  internVideoFeatures: Float32Array;
  /** (clips, numLatents, textHidden) */
  embeddings: Float32Array;
}

/**
 * The embeddings of every clip (clipCount, numLatents, textHidden) and which clips they hold. Filled
 * in place as clips are encoded, so a caller still has what was done when encoding throws
 * (cancelled); clips already in `encoded` when encoding starts are skipped (resumed).
 */
export interface EncodeState {
  embeddings: Float32Array;
  encoded: Set<number>;
}

export interface EncodeOptions {
  clipCount: number;
  /** Clips extracted and preprocessed together (config encode_batch_size). */
  chunkSize: number;
  /** Clips per tower run inside a chunk (1 gives per-clip progress; larger batches suit GPUs). */
  runClips?: number;
  /** The order clips are encoded in, a permutation of 0 … clipCount−1 (default sequential). */
  order?: readonly number[];
  /** Where the embeddings go, with the clips already encoded (see EncodeState); default: a fresh one. */
  state?: EncodeState;
  /** Return once this many clips are encoded (counting those already in the state), the rest left undone. */
  stopAfter?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Sees every chunk's inputs and features before they are dropped (e.g. to write them out). */
  onChunk?: (chunk: EncodedChunk) => void | Promise<void>;
  now?: () => number;
  /** The rate last measured on this device and model: the ETA's basis until this run has measured its own. */
  expectedRate?: EncodeRate;
  /** Told what this run measured (steady ms per clip, start-up), also when it is cancelled; not called when too few clips ran. */
  onMeasuredRate?: (rate: EncodeRate) => void;
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

/** The clips at `positions` of a chunk's tensor as one batch: a view when they are consecutive, else a copy. */
function gather(all: Float32Array, positions: readonly number[], per: number): Float32Array {
  const first = positions[0]!;
  if (positions.every((p, j) => p === first + j)) return all.subarray(first * per, (first + positions.length) * per);
  const out = new Float32Array(positions.length * per);
  positions.forEach((p, j) => out.set(all.subarray(p * per, (p + 1) * per), j * per));
  return out;
}

/** A fresh EncodeState for `clipCount` clips. */
export function newEncodeState(shapes: VisionShapes, clipCount: number): EncodeState {
  return { embeddings: new Float32Array(clipCount * visionSizes(shapes).embeddingsPerClip), encoded: new Set() };
}

/** Encodes every clip not yet in the state, in the encode order; returns the clip embeddings (clipCount, numLatents, textHidden). */
export async function encodeVideoClips(runner: VisionRunner, shapes: VisionShapes, prepare: ChunkPreparer, options: EncodeOptions): Promise<Float32Array> {
  const { clipCount, signal } = options;
  const chunkSize = Math.max(1, Math.floor(options.chunkSize));
  let runClips = Math.max(1, Math.min(chunkSize, Math.floor(options.runClips ?? 1)));
  const order = options.order ?? Array.from({ length: clipCount }, (_, i) => i);
  if (order.length !== clipCount || new Set(order).size !== clipCount || order.some((i) => !Number.isInteger(i) || i < 0 || i >= clipCount)) {
    throw new RangeError(`the encode order must be a permutation of the ${clipCount} clips`);
  }
  const state = options.state ?? newEncodeState(shapes, clipCount);
  if (state.embeddings.length !== clipCount * visionSizes(shapes).embeddingsPerClip) throw new RangeError('the encode state does not match the clip count');
  const todo = order.filter((i) => !state.encoded.has(i));
  const rank = new Map(order.map((clip, r) => [clip, r]));
  // chunks follow the encode order; inside a chunk clips are extracted in file order
  const chunks: number[][] = [];
  for (let p = 0; p < todo.length; p += chunkSize) chunks.push(todo.slice(p, p + chunkSize).sort((a, b) => a - b));
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
  const embeddings = state.embeddings;
  const eta = new EncodeEtaEstimator(clipCount, options.expectedRate);
  const now = options.now ?? (() => Date.now());
  const report = (done: number) => {
    const etaMs = eta.update(done, now());
    options.onProgress?.({ stage: 'encode', done, total: clipCount, unit: 'clips', ...(etaMs === undefined ? {} : { etaMs }), ...(fallbackDetail === undefined ? {} : { detail: fallbackDetail }) });
  };
  report(state.encoded.size);
  // a chunk still being prepared when encoding returns early (stopAfter) or fails is stopped
  const done = new AbortController();
  const prepareSignal = signal === undefined ? done.signal : AbortSignal.any([signal, done.signal]);
  const start = (c: number): Promise<PreparedChunk> | undefined => {
    if (c >= chunks.length) return undefined;
    const p = prepare(chunks[c]!, prepareSignal);
    p.catch(() => {}); // a failure surfaces when the chunk is awaited; never as an unhandled rejection
    return p;
  };
  try {
    const prepareStart = now();
    let next = start(0);
    for (let ci = 0; ci < chunks.length; ci++) {
      throwIfAborted(signal);
      const prepared = await next!;
      // the first chunk is prepared alone: its time is the extraction's own rate (encode-eta.ts)
      if (ci === 0) eta.prepared(chunks[0]!.length, now() - prepareStart);
      const indices = chunks[ci]!;
      const count = indices.length;
      if (prepared.clips !== count || prepared.siglipPixels.length !== count * sizes.siglipPixelsPerClip || prepared.internVideoPixels.length !== count * sizes.internVideoPixelsPerClip) {
        throw new ApolloError('INTERNAL', `Chunk at clip ${indices[0]} came back with the wrong size; report this with --debug output.`);
      }
      // the next chunk's extraction and preprocessing overlap this chunk's encoding
      next = start(ci + 1);
      const keep = options.onChunk !== undefined;
      const sigAll = keep ? new Float32Array(count * sizes.siglipFeaturesPerClip) : undefined;
      const ivAll = keep ? new Float32Array(count * sizes.internVideoFeaturesPerClip) : undefined;
      const embAll = keep ? new Float32Array(count * sizes.embeddingsPerClip) : undefined;
      // positions in the chunk, taken in the encode order (the chunk is extracted in file order)
      const ranked = indices.map((_, j) => j).sort((a, b) => rank.get(indices[a]!)! - rank.get(indices[b]!)!);
      for (let c = 0; c < count; ) {
        throwIfAborted(signal);
        if (options.stopAfter !== undefined && state.encoded.size >= options.stopAfter) return embeddings;
        const n = Math.min(runClips, count - c, options.stopAfter === undefined ? Infinity : options.stopAfter - state.encoded.size);
        const batch = ranked.slice(c, c + n);
        let out: Awaited<ReturnType<typeof encodeRun>>;
        try {
          out = await encodeRun(gather(prepared.siglipPixels, batch, sizes.siglipPixelsPerClip), gather(prepared.internVideoPixels, batch, sizes.internVideoPixelsPerClip), n);
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
        batch.forEach((pos, j) => {
          const part = (a: Float32Array, per: number) => a.subarray(j * per, (j + 1) * per);
          embeddings.set(part(out.emb, sizes.embeddingsPerClip), indices[pos]! * sizes.embeddingsPerClip);
          state.encoded.add(indices[pos]!);
          sigAll?.set(part(out.sig, sizes.siglipFeaturesPerClip), pos * sizes.siglipFeaturesPerClip);
          ivAll?.set(part(out.iv, sizes.internVideoFeaturesPerClip), pos * sizes.internVideoFeaturesPerClip);
          embAll?.set(part(out.emb, sizes.embeddingsPerClip), pos * sizes.embeddingsPerClip);
        });
        c += n;
        report(state.encoded.size);
      }
      if (keep) await options.onChunk!({ indices, prepared, siglipFeatures: sigAll!, internVideoFeatures: ivAll!, embeddings: embAll! });
    }
    return embeddings;
  } finally {
    done.abort(new ApolloError('CANCELLED'));
    const measured = eta.measured();
    if (measured !== undefined) options.onMeasuredRate?.(measured);
    await cpuRunner?.release();
  }
}
