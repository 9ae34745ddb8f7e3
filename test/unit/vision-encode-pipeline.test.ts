// The encoder pipeline on real onnxruntime sessions over a tiny random model: clip embeddings equal
// the naive reference chain whatever the chunking, progress per clip, the next chunk prepared while
// the current one encodes, and cancellation between clips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import type { ProgressEvent } from '../../electron/shared/progress.js';
import { connectorReference } from '../reference/connector-reference.js';
import { encodeVideoClips, newEncodeState, visionSizes, type PreparedChunk } from '../../electron/engine/vision/encode-video-clips.js';
import { coarseToFineOrder } from '../../electron/engine/vision/encode-order.js';
import { internVideoReference } from '../reference/internvideo-reference.js';
import { siglipReference } from '../reference/siglip-reference.js';
import { fuseTowerFeatures } from '../../electron/engine/vision/trilinear-fusion.js';
import { fetcherFromMap } from '../../electron/engine/vision/vision-graph-parts.js';
import { openVisionSessions, type VisionRunner } from '../../electron/engine/vision/vision-sessions.js';
import { makeTempDir } from '../helpers/paths.js';
import { writeVisionGraphs } from '../helpers/vision-graph-files.js';
import { flatWeights, mulberry32, randomTensor, randomWeights, relativeError } from './vision-oracle.js';
import { connectorSpecs, internVideoSpecs, siglipSpecs, tinyVisionShapes as shapes } from './vision-shapes-fixtures.js';

const weights = {
  siglip: flatWeights(randomWeights(siglipSpecs(shapes.siglip), 51)),
  internVideo: flatWeights(randomWeights(internVideoSpecs(shapes.internVideo), 52)),
  connector: flatWeights(randomWeights(connectorSpecs(shapes.connector), 53)),
};
const sizes = visionSizes(shapes);
const K = 5;
const rand = mulberry32(54);
const siglipPixels = randomTensor([K * sizes.siglipPixelsPerClip], rand);
const ivPixels = randomTensor([K * sizes.internVideoPixelsPerClip], rand);

const sources = { siglip: fetcherFromMap(weights.siglip), internVideo: fetcherFromMap(weights.internVideo), connector: fetcherFromMap(weights.connector) };
let runner: VisionRunner;
beforeAll(async () => {
  runner = await openVisionSessions(await writeVisionGraphs(makeTempDir('vision-graphs'), shapes, sources, 'float32'), shapes, { intraOpNumThreads: 1 });
});
afterAll(async () => runner?.release());

/** The chunk of the clips `indices` (ascending), cut from the whole video's pixels. */
function pixelsOf(indices: readonly number[], sig = siglipPixels, iv = ivPixels): PreparedChunk {
  const take = (all: Float32Array, per: number) => {
    const out = new Float32Array(indices.length * per);
    indices.forEach((clip, j) => out.set(all.subarray(clip * per, (clip + 1) * per), j * per));
    return out;
  };
  return { clips: indices.length, siglipPixels: take(sig, sizes.siglipPixelsPerClip), internVideoPixels: take(iv, sizes.internVideoPixelsPerClip) };
}

function preparer(log: string[]) {
  return async (indices: readonly number[]): Promise<PreparedChunk> => {
    log.push(`prepare ${indices.join(',')}`);
    await new Promise((r) => setTimeout(r, 5));
    return pixelsOf(indices, siglipPixels, ivPixels);
  };
}

/** The runner, with each call written to `log` (the sessions themselves are real). */
function logged(log: string[]): VisionRunner {
  return {
    runs: runner.runs,
    siglip: (p, n) => (log.push('siglip'), runner.siglip(p, n)),
    internVideo: (p, n) => (log.push('internvideo'), runner.internVideo(p, n)),
    connector: (a, b, n) => (log.push('connector'), runner.connector(a, b, n)),
    release: async () => {},
  };
}

describe('encodeVideoClips', () => {
  it('matches the reference chain for any chunking, with per-clip progress', async () => {
    const sig = siglipReference(shapes.siglip, weights.siglip, siglipPixels, K * 4);
    const iv = internVideoReference(shapes.internVideo, weights.internVideo, ivPixels, K);
    const fused = fuseTowerFeatures(sig, shapes.siglip.hiddenSize, iv, shapes.internVideo.hiddenSize, K, { frames: 4, height: 16, width: 16 }, shapes.fusion);
    const ref = connectorReference(shapes.connector, weights.connector, fused, K, 4 * 27 * 27);
    for (const [chunkSize, runClips] of [[2, 1], [5, 5], [3, 2]] as const) {
      const events: ProgressEvent[] = [];
      let clock = 0;
      const out = await encodeVideoClips(runner, shapes, preparer([]), { clipCount: K, chunkSize, runClips, onProgress: (e) => events.push(e), now: () => (clock += 1000) });
      expect(relativeError(out, ref)).toBeLessThan(1e-4);
      expect(events.every((e) => e.stage === 'encode' && e.total === K && e.unit === 'clips')).toBe(true);
      expect(events[0]!.done).toBe(0);
      expect(events.at(-1)!.done).toBe(K);
      if (runClips === 1) expect(events.map((e) => e.done)).toEqual([0, 1, 2, 3, 4, 5]);
      // one clip per simulated second, measured from the first finished clip on (the first carries
      // the start-up; with no rate measured before, no ETA until then): the clips left, in seconds
      if (runClips === 1) expect(events.slice(1).map((e) => e.etaMs)).toEqual([undefined, 3000, 2000, 1000, 0]);
    }
  });

  it('prepares the next chunk before encoding the current one, and never more than one ahead', async () => {
    const log: string[] = [];
    await encodeVideoClips(logged(log), shapes, preparer(log), { clipCount: K, chunkSize: 2 });
    expect(log).toEqual([
      'prepare 0,1', 'prepare 2,3', 'siglip', 'internvideo', 'connector', 'siglip', 'internvideo', 'connector',
      'prepare 4', 'siglip', 'internvideo', 'connector', 'siglip', 'internvideo', 'connector',
      'siglip', 'internvideo', 'connector',
    ]);
  });

  it('stops with CANCELLED between clips when the signal aborts', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const run = encodeVideoClips(logged(log), shapes, preparer(log), {
      clipCount: K,
      chunkSize: 2,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.done === 1) controller.abort(new ApolloError('CANCELLED'));
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(log.filter((l) => l === 'connector')).toHaveLength(1);
  });

  it('encodes coarse-to-fine to the same embeddings, chunks in that order and each extracted in file order', async () => {
    const sequential = await encodeVideoClips(runner, shapes, preparer([]), { clipCount: K, chunkSize: 2 });
    const log: string[] = [];
    const order = coarseToFineOrder(K);
    expect(order).toEqual([0, 4, 2, 1, 3]);
    const out = await encodeVideoClips(runner, shapes, preparer(log), { clipCount: K, chunkSize: 2, order });
    expect(Buffer.from(out.buffer).equals(Buffer.from(sequential.buffer))).toBe(true);
    expect(log).toEqual(['prepare 0,4', 'prepare 1,2', 'prepare 3']);
  });

  it('keeps the clips encoded before a cancel and resumes with only the rest', async () => {
    const full = await encodeVideoClips(runner, shapes, preparer([]), { clipCount: K, chunkSize: 2 });
    const state = newEncodeState(shapes, K);
    const controller = new AbortController();
    const order = coarseToFineOrder(K);
    const first = encodeVideoClips(runner, shapes, preparer([]), {
      clipCount: K,
      chunkSize: 2,
      order,
      state,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.done === 3) controller.abort(new ApolloError('CANCELLED'));
      },
    });
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
    // the first three of the order, whatever the chunks: 0 and 4, then 2 (chunk [1, 2] encodes 2 before 1)
    expect([...state.encoded].sort()).toEqual([0, 2, 4]);
    const per = sizes.embeddingsPerClip;
    for (const c of state.encoded) expect(Buffer.from(state.embeddings.slice(c * per, (c + 1) * per).buffer).equals(Buffer.from(full.slice(c * per, (c + 1) * per).buffer))).toBe(true);
    const log: string[] = [];
    const events: ProgressEvent[] = [];
    const resumed = await encodeVideoClips(logged(log), shapes, preparer(log), { clipCount: K, chunkSize: 2, order, state, onProgress: (e) => events.push(e) });
    expect(log.filter((l) => l.startsWith('prepare'))).toEqual(['prepare 1,3']);
    expect(log.filter((l) => l === 'connector')).toHaveLength(2);
    expect(events.map((e) => e.done)).toEqual([3, 4, 5]);
    expect(Buffer.from(resumed.buffer).equals(Buffer.from(full.buffer))).toBe(true);
  });

  it('rejects an order that is not a permutation of the clips', async () => {
    await expect(encodeVideoClips(runner, shapes, preparer([]), { clipCount: K, chunkSize: 2, order: [0, 1, 1, 2, 3] })).rejects.toThrow(/permutation/);
  });
});

describe('coarseToFineOrder', () => {
  it('is a permutation whose first k clips leave no gap wider than twice the even step', () => {
    for (let n = 0; n <= 300; n++) {
      const order = coarseToFineOrder(n);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      for (let k = 1; k <= n; k++) {
        const s = order.slice(0, k).sort((a, b) => a - b);
        let gap = Math.max(s[0]! + 1, n - s[k - 1]!);
        for (let i = 1; i < k; i++) gap = Math.max(gap, s[i]! - s[i - 1]!);
        expect(gap).toBeLessThanOrEqual((2 * n) / k);
      }
    }
    // 84 clips (any video over ~3 minutes): the first quarter is every fourth clip
    expect(coarseToFineOrder(84).slice(0, 21).sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => 4 * i));
  });
});
