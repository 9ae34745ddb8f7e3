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
  const runClips = Math.max(1, Math.min(chunkSize, Math.floor(options.runClips ?? 1)));
  const sizes = visionSizes(shapes);
  const framesPerClip = shapes.fusion.frames;
  const embeddings = new Float32Array(clipCount * sizes.embeddingsPerClip);
  const eta = new EtaEstimator();
  const now = options.now ?? (() => Date.now());
  const report = (done: number) => {
    const etaMs = eta.update(done, clipCount, now());
    options.onProgress?.({ stage: 'encode', done, total: clipCount, unit: 'clips', ...(etaMs === undefined ? {} : { etaMs }) });
  };
  report(0);
  const start = (first: number): Promise<PreparedChunk> | undefined => {
    if (first >= clipCount) return undefined;
    const p = prepare(first, Math.min(chunkSize, clipCount - first), signal);
    p.catch(() => {}); // a failure surfaces when the chunk is awaited; never as an unhandled rejection
    return p;
  };
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
    for (let c = 0; c < count; c += runClips) {
      throwIfAborted(signal);
      const n = Math.min(runClips, count - c);
      const sig = await runner.siglip(prepared.siglipPixels.subarray(c * sizes.siglipPixelsPerClip, (c + n) * sizes.siglipPixelsPerClip), n * framesPerClip);
      const iv = await runner.internVideo(prepared.internVideoPixels.subarray(c * sizes.internVideoPixelsPerClip, (c + n) * sizes.internVideoPixelsPerClip), n);
      const emb = await runner.connector(sig, iv, n);
      embeddings.set(emb, (first + c) * sizes.embeddingsPerClip);
      sigAll?.set(sig, c * sizes.siglipFeaturesPerClip);
      ivAll?.set(iv, c * sizes.internVideoFeaturesPerClip);
      report(first + c + n);
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
}
