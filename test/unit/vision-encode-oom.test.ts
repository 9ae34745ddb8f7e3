// Out-of-memory handling of the encoder pipeline (issue 7 item 6): real onnxruntime sessions over a
// tiny random model, wrapped at the VisionRunner boundary so that tower runs above a size fail the
// way onnxruntime's allocator fails (BFCArena "Failed to allocate memory", wrapped by the runner
// like any session error). The pipeline halves the tower batch, then hands over to a CPU runner,
// says why in its progress events, and the embeddings equal an encode that never failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import type { ProgressEvent } from '../../electron/shared/progress.js';
import { encodeVideoClips, isAllocationFailure, visionSizes, type EncodeFallback, type PreparedChunk } from '../../electron/engine/vision/encode-video-clips.js';
import { fetcherFromMap } from '../../electron/engine/vision/vision-graph-parts.js';
import type { VisionGraphPaths } from '../../electron/engine/vision/vision-prepare-artifact.js';
import { openVisionSessions, runError, type VisionRunner } from '../../electron/engine/vision/vision-sessions.js';
import { makeTempDir } from '../helpers/paths.js';
import { writeVisionGraphs } from '../helpers/vision-graph-files.js';
import { flatWeights, mulberry32, randomTensor, randomWeights, relativeError } from './vision-oracle.js';
import { connectorSpecs, internVideoSpecs, siglipSpecs, tinyVisionShapes as shapes } from './vision-shapes-fixtures.js';

const sizes = visionSizes(shapes);
const framesPerClip = shapes.fusion.frames;
const K = 5;
const rand = mulberry32(71);
const siglipPixels = randomTensor([K * sizes.siglipPixelsPerClip], rand);
const ivPixels = randomTensor([K * sizes.internVideoPixelsPerClip], rand);
const sources = {
  siglip: fetcherFromMap(flatWeights(randomWeights(siglipSpecs(shapes.siglip), 72))),
  internVideo: fetcherFromMap(flatWeights(randomWeights(internVideoSpecs(shapes.internVideo), 73))),
  connector: fetcherFromMap(flatWeights(randomWeights(connectorSpecs(shapes.connector), 74))),
};

// What onnxruntime's CPU/CUDA arena says when a buffer cannot be had (onnxruntime 1.x wording).
const ortAllocationError = (bytes: number) =>
  new Error(
    `Non-zero status code returned while running MatMul node. Name:'/encoder/layers.0/self_attn/MatMul' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size ${bytes}\n`,
  );

let graphs: VisionGraphPaths;
let device: VisionRunner;
beforeAll(async () => {
  graphs = await writeVisionGraphs(makeTempDir('vision-oom'), shapes, sources, 'float32');
  device = await openVisionSessions(graphs, shapes, { intraOpNumThreads: 1 });
});
afterAll(async () => device?.release());

/** The real runner, but every run of more than `maxClips` clips fails as an exhausted allocator would (after the runner's own wrapping). */
function failingAbove(runner: VisionRunner, maxClips: number, attempts: number[]): VisionRunner {
  const guard = <T>(part: string, clips: number, run: () => Promise<T>): Promise<T> => {
    attempts.push(clips);
    if (clips > maxClips) return Promise.reject(runError(part, ortAllocationError(clips * 1_073_741_824)));
    return run();
  };
  return {
    runs: runner.runs,
    siglip: (p, frames) => guard('SigLIP', frames / framesPerClip, () => runner.siglip(p, frames)),
    internVideo: (p, clips) => guard('InternVideo2', clips, () => runner.internVideo(p, clips)),
    connector: (a, b, clips) => guard('connector', clips, () => runner.connector(a, b, clips)),
    release: () => runner.release(),
  };
}

/** The chunk of the clips `indices` (ascending), cut from the whole video's pixels. */
function pixelsOf(indices: readonly number[], sig = siglipPixels, iv = ivPixels): PreparedChunk {
  const take = (all: Float32Array, per: number) => {
    const out = new Float32Array(indices.length * per);
    indices.forEach((clip, j) => out.set(all.subarray(clip * per, (clip + 1) * per), j * per));
    return out;
  };
  return { clips: indices.length, siglipPixels: take(sig, sizes.siglipPixelsPerClip), internVideoPixels: take(iv, sizes.internVideoPixelsPerClip) };
}

const prepare = async (indices: readonly number[]): Promise<PreparedChunk> => pixelsOf(indices);

describe('encodeVideoClips under device out-of-memory', () => {
  it('recognises allocation failures by the runtime wording, through the runner wrapping', () => {
    const cases: Array<[unknown, boolean]> = [
      [ortAllocationError(1 << 30), true],
      [runError('SigLIP', ortAllocationError(1 << 30)), true],
      [new Error('CUDA failure 2: out of memory ; GPU=0 ; hostname=x ; expr=cudaMalloc((void**)&p, size);'), true],
      [new Error('std::bad_alloc'), true],
      [new Error('D3D12 device removed: E_OUTOFMEMORY'), true],
      [new Error("Got invalid dimensions for input: pixel_values for the following indices index: 0 Got: 3 Expected: 4"), false],
      [runError('connector', new Error('Non-zero status code returned while running Reshape node.')), false],
      ['plain string', false],
      [undefined, false],
    ];
    for (const [error, expected] of cases) expect(isAllocationFailure(error), String(error)).toBe(expected);
  });

  it('halves the tower batch until it fits, and gives the same embeddings as an encode that never failed', async () => {
    const expected = await encodeVideoClips(device, shapes, prepare, { clipCount: K, chunkSize: K, runClips: 1 });
    const attempts: number[] = [];
    const fallbacks: EncodeFallback[] = [];
    const events: ProgressEvent[] = [];
    const out = await encodeVideoClips(failingAbove(device, 2, attempts), shapes, prepare, { clipCount: K, chunkSize: K, runClips: K, onFallback: (f) => fallbacks.push(f), onProgress: (e) => events.push(e) });
    expect(relativeError(out, expected)).toBeLessThan(1e-5);
    // 5 fails → 3 fails → 2 fits (2 clips, then 2, then the last 1).
    expect(fallbacks.map((f) => [f.kind, f.runClips])).toEqual([
      ['smaller-batch', 3],
      ['smaller-batch', 2],
    ]);
    expect(attempts.filter((n) => n > 2)).toEqual([5, 3]);
    expect(events.at(-1)).toMatchObject({ stage: 'encode', done: K, total: K, detail: fallbacks.at(-1)!.reason });
    expect(events.map((e) => e.done)).toEqual([0, 2, 4, 5]);
  });

  it('falls back to a CPU runner when even one clip does not fit, says so, and releases it', async () => {
    const expected = await encodeVideoClips(device, shapes, prepare, { clipCount: K, chunkSize: 2, runClips: 1 });
    const gpuAttempts: number[] = [];
    let cpuOpened = 0;
    let cpuReleased = 0;
    let cpu: VisionRunner | undefined;
    const fallbacks: EncodeFallback[] = [];
    const events: ProgressEvent[] = [];
    const out = await encodeVideoClips(failingAbove(device, 0, gpuAttempts), shapes, prepare, {
      clipCount: K,
      chunkSize: 2,
      runClips: 2,
      onFallback: (f) => fallbacks.push(f),
      onProgress: (e) => events.push(e),
      cpuFallback: async () => {
        cpuOpened++;
        const real = await openVisionSessions(graphs, shapes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
        cpu = real;
        return { ...real, runs: real.runs, siglip: real.siglip, internVideo: real.internVideo, connector: real.connector, release: async () => (cpuReleased++, real.release()) };
      },
    });
    expect(relativeError(out, expected)).toBeLessThan(1e-5);
    expect(fallbacks.map((f) => f.kind)).toEqual(['smaller-batch', 'cpu']);
    expect(fallbacks[1]!.reason).toMatch(/CPU/);
    expect(cpuOpened).toBe(1);
    expect(cpuReleased).toBe(1);
    // The device was tried once at 2 clips and once at 1; every clip then ran on the CPU runner.
    expect(gpuAttempts).toEqual([2, 1]);
    expect(cpu!.runs).toEqual({ siglip: K, internVideo: K, connector: K });
    expect(events.filter((e) => e.done > 0).every((e) => e.detail === fallbacks[1]!.reason)).toBe(true);
  });

  it('without a CPU fallback (already on the CPU), the allocation failure is the error', async () => {
    const error = await encodeVideoClips(failingAbove(device, 0, []), shapes, prepare, { clipCount: K, chunkSize: K, runClips: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApolloError);
    expect(isAllocationFailure(error)).toBe(true);
  });

  it('does not retry an error that is not an allocation failure', async () => {
    let calls = 0;
    const broken: VisionRunner = {
      ...device,
      runs: device.runs,
      siglip: () => (calls++, Promise.reject(runError('SigLIP', new Error('Got invalid dimensions for input: pixel_values')))),
    };
    let opened = false;
    const error = await encodeVideoClips(broken, shapes, prepare, { clipCount: K, chunkSize: K, runClips: 4, cpuFallback: async () => ((opened = true), device) }).catch((e: unknown) => e);
    expect((error as ApolloError).code).toBe('INTERNAL');
    expect(calls).toBe(1);
    expect(opened).toBe(false);
  });
});
