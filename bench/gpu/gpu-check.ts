// The GPU path, proven on a machine with a GPU: one script of minutes, not hours.
//
// 1. Names the GPU (nvidia-smi) and probes each GPU execution provider (CUDA, WebGPU) with the
//    app's own probe; a provider that cannot start is recorded with the reason.
// 2. Vision: builds SigLIP, InternVideo2 and the connector at Apollo-3B's real widths with random
//    weights, float32 and float16 (the GPU variant); encodes one clip with float32 on the CPU (the
//    reference) and then, on each GPU provider, times the float16 clip (warm-up + BENCH_GPU_RUNS runs,
//    towers + connector, features through JavaScript as the app does) and compares its clip
//    embedding with the CPU's (cosine, relative error).
// 3. LLM: builds the Qwen2 decoder at Apollo-3B's real shapes (random weights): 4 layers in float32
//    and float16 to compare the GPU's last-position logits on a 256-token prompt with the CPU's,
//    then the full 36 layers in float16 to time, on each GPU provider, a 12k-token prefill and
//    BENCH_GPU_DECODE greedy decode steps at 12k context (the app's session: KV cache in the engine,
//    float16).
// 4. Writes bench/results/gpu-check.json (machine, GPU, loads); then `npx tsx bench/render-docs.ts`.
//
// Run on the GPU machine: npx tsx bench/gpu/gpu-check.ts
//   (the CUDA provider needs `node node_modules/onnxruntime-node/script/install.js
//   --onnxruntime-node-install=cuda12` once, which downloads; without it only WebGPU is measured)
// Check the script here (no GPU): npx tsx bench/gpu/gpu-check.ts --cpu-only --tiny
//   runs every step at the tiny checkpoint's sizes with the CPU standing in for the GPU (the float16
//   graphs on the CPU provider) and writes only to $OUT or bench/_tmp-gpu-check/, never bench/results.
// env: BENCH_GPU_PROVIDERS=cuda,webgpu  BENCH_GPU_RUNS=3  BENCH_GPU_DEPTH=12000  BENCH_GPU_DECODE=32
//      BENCH_GPU_WORK=<folder for the graphs, default a temp folder>
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildQwen2Artifacts } from '../../electron/engine/llm/qwen2-artifacts.js';
import { qwen2ConfigFromFile, type Qwen2Config } from '../../electron/engine/llm/qwen2-config.js';
import { Qwen2DecoderSession } from '../../electron/engine/llm/qwen2-decoder-session.js';
import { probeDevice, type DeviceChoice, type DeviceName } from '../../electron/engine/llm/execution-device.js';
import { qwen2ConfigSchema } from '../../electron/engine/model/apollo-config.js';
import { TINY_APOLLO_SIZES, tinyApolloConfigFiles } from '../../electron/engine/model/tiny-checkpoint.js';
import type { VisionDtype } from '../../electron/engine/vision/vision-graph-parts.js';
import { VISION_GRAPH_PARTS, writeVisionGraph, type VisionGraphPaths } from '../../electron/engine/vision/vision-prepare-artifact.js';
import { openVisionSessions, type VisionRunner } from '../../electron/engine/vision/vision-sessions.js';
import type { VisionShapes } from '../../electron/engine/vision/vision-shapes.js';
import { visionSizes } from '../../electron/engine/vision/encode-video-clips.js';
import { benchDir, machineFacts, writeResult, type Measurement } from '../bench-harness.js';
import { apollo3bConfigFiles, clipPixels, errorOf, randomVisionFetcher, visionShapesOfFiles } from '../random-vision-weights.js';
import { RandomQwen2Weights } from '../random-qwen2-weights.js';

const args = new Set(process.argv.slice(2));
const cpuOnly = args.has('--cpu-only');
const tiny = args.has('--tiny');
const runs = Number(process.env.BENCH_GPU_RUNS ?? (tiny ? 2 : 3));
const depth = Number(process.env.BENCH_GPU_DEPTH ?? (tiny ? 600 : 12_000));
const decodeSteps = Number(process.env.BENCH_GPU_DECODE ?? (tiny ? 8 : 32));
const compareTokens = tiny ? 64 : 256;
const threads = availableParallelism();
const work = process.env.BENCH_GPU_WORK ?? mkdtempSync(join(tmpdir(), 'apollo-gpu-check-'));
mkdirSync(work, { recursive: true });
const log = (s: string) => process.stderr.write(`[gpu-check ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

const files = tiny ? tinyApolloConfigFiles(TINY_APOLLO_SIZES) : apollo3bConfigFiles;
const shapes: VisionShapes = visionShapesOfFiles(files);
const llmConfig: Qwen2Config = qwen2ConfigFromFile(qwen2ConfigSchema.parse(files['llm/config.json']), 'llm/config.json');

/** The GPU's name and memory, from nvidia-smi when there is one. */
function gpuName(): string {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8' }).trim().split('\n').join('; ');
  } catch {
    return 'none found (no nvidia-smi)';
  }
}

/** The devices to measure and why the others were skipped. */
async function devices(): Promise<{ use: DeviceChoice[]; skipped: Record<string, string> }> {
  if (cpuOnly) return { use: [{ device: 'cpu', reason: 'stands in for a GPU (--cpu-only)', executionProviders: ['cpu'] }], skipped: {} };
  const use: DeviceChoice[] = [];
  const skipped: Record<string, string> = {};
  for (const name of (process.env.BENCH_GPU_PROVIDERS ?? 'cuda,webgpu').split(',') as DeviceName[]) {
    const why = await probeDevice(name);
    if (why === undefined) use.push({ device: name, reason: 'probed', executionProviders: [name] });
    else skipped[name] = why;
  }
  return { use, skipped };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, (performance.now() - t0) / 1000];
}

// ---- vision ----

async function visionGraphs(dtype: VisionDtype): Promise<VisionGraphPaths> {
  const dir = join(work, `vision-${dtype}`);
  mkdirSync(dir, { recursive: true });
  const paths = {} as VisionGraphPaths;
  for (const [i, part] of VISION_GRAPH_PARTS.entries()) paths[part] = await writeVisionGraph(dir, part, shapes, randomVisionFetcher(i + 1), dtype);
  return paths;
}

const sizes = visionSizes(shapes);
const F = shapes.fusion.frames;
const sigPixels = clipPixels([sizes.siglipPixelsPerClip], 7);
const ivPixels = clipPixels([sizes.internVideoPixelsPerClip], 8);

async function encodeClip(runner: VisionRunner): Promise<Float32Array> {
  return runner.connector(await runner.siglip(sigPixels, F), await runner.internVideo(ivPixels, 1), 1);
}

async function measureVision(use: DeviceChoice[], measurements: Measurement[]): Promise<Record<string, unknown>> {
  log('building the float32 and float16 vision graphs');
  const fp32 = await visionGraphs('float32');
  const fp16 = await visionGraphs('float16');
  const cpu = await openVisionSessions(fp32, shapes, { executionProviders: ['cpu'], intraOpNumThreads: threads });
  await encodeClip(cpu); // warm-up
  const [reference, cpuSeconds] = await timed(() => encodeClip(cpu));
  await cpu.release();
  measurements.push({ name: 'vision clip float32 on cpu (reference)', seconds: cpuSeconds, runs: 1, device: 'cpu', threads });
  log(`cpu float32 clip: ${cpuSeconds.toFixed(2)} s`);
  const out: Record<string, unknown> = {};
  for (const d of use) {
    try {
      const runner = await openVisionSessions(fp16, shapes, { executionProviders: d.executionProviders, intraOpNumThreads: threads });
      try {
        const first = await encodeClip(runner);
        let best = Infinity;
        for (let r = 0; r < runs; r++) best = Math.min(best, (await timed(() => encodeClip(runner)))[1]);
        const err = errorOf(first, reference);
        measurements.push({ name: `vision clip float16 on ${d.device}`, seconds: best, runs, device: d.device, speedupVsCpuFloat32: cpuSeconds / best, embeddingCosine: err.cosine, embeddingRelRms: err.relRms });
        out[d.device] = { secondsPerClip: best, cosine: err.cosine, relRms: err.relRms };
        log(`${d.device} float16 clip: ${best.toFixed(3)} s, cosine ${err.cosine.toFixed(5)}`);
      } finally {
        await runner.release();
      }
    } catch (error) {
      out[d.device] = `failed: ${String((error as Error).message).split('\n')[0]}`;
      log(`${d.device} vision failed: ${String(error)}`);
    }
  }
  rmSync(join(work, 'vision-float32'), { recursive: true, force: true });
  rmSync(join(work, 'vision-float16'), { recursive: true, force: true });
  return out;
}

// ---- LLM ----

async function decoder(precision: 'fp32' | 'fp16', layers: number, maxPositions: number): Promise<string> {
  const c = { ...llmConfig, numLayers: layers };
  const dir = join(work, `decoder-${precision}-L${layers}`);
  mkdirSync(dir, { recursive: true });
  await buildQwen2Artifacts(dir, c, new RandomQwen2Weights(c, 1), { precision, maxPositions });
  return dir;
}

const promptIds = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 13) % 151643);
const argmax = (v: Float32Array) => v.reduce((best, x, i) => (x > v[best]! ? i : best), 0);

async function lastLogits(dir: string, device: DeviceChoice, kvDtype: 'float32' | 'float16'): Promise<Float32Array> {
  const s = await Qwen2DecoderSession.open(dir, { device, threads, capacity: compareTokens + 8, kvDtype });
  try {
    return Float32Array.from(await s.forward(s.embed(promptIds(compareTokens)), compareTokens));
  } finally {
    await s.release();
  }
}

async function measureLlm(use: DeviceChoice[], measurements: Measurement[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const compareLayers = Math.min(4, llmConfig.numLayers);
  log(`building ${compareLayers}-layer float32/float16 decoders to compare logits`);
  const ref32 = await decoder('fp32', compareLayers, compareTokens + 64);
  const cmp16 = await decoder('fp16', compareLayers, compareTokens + 64);
  const cpu: DeviceChoice = { device: 'cpu', reason: 'reference', executionProviders: ['cpu'] };
  const reference = await lastLogits(ref32, cpu, 'float32');
  log(`building the ${llmConfig.numLayers}-layer float16 decoder for ${depth} positions`);
  const full16 = await decoder('fp16', llmConfig.numLayers, depth + decodeSteps + 64);
  for (const d of use) {
    try {
      const logits = await lastLogits(cmp16, d, 'float16');
      const err = errorOf(logits, reference);
      const sameArgmax = argmax(logits) === argmax(reference);
      const s = await Qwen2DecoderSession.open(full16, { device: d, threads, capacity: depth + decodeSteps + 8, kvDtype: 'float16' });
      try {
        await s.forward(s.embed(promptIds(8)), 8); // warm-up
        s.reset();
        const [first, prefillSeconds] = await timed(() => s.forward(s.embed(promptIds(depth)), depth));
        let next = argmax(first);
        const steps: number[] = [];
        for (let i = 0; i < decodeSteps; i++) {
          const [logits, sec] = await timed(() => s.forward(s.embed([next]), 1));
          next = argmax(logits);
          steps.push(sec);
        }
        const decodeSeconds = steps.reduce((a, b) => a + b, 0);
        measurements.push({
          name: `llm float16 on ${d.device}, ${llmConfig.numLayers} layers`,
          seconds: prefillSeconds,
          runs: 1,
          device: d.device,
          prefillTokens: depth,
          prefillTokPerS: depth / prefillSeconds,
          decodeTokens: decodeSteps,
          decodeTokPerSAtDepth: decodeSteps / decodeSeconds,
          logitsCosine: err.cosine,
          logitsRelRms: err.relRms,
          sameArgmax,
        });
        out[d.device] = { prefillSeconds, decodeTokPerS: decodeSteps / decodeSeconds, logitsCosine: err.cosine, sameArgmax };
        log(`${d.device}: ${depth}-token prefill ${prefillSeconds.toFixed(2)} s, decode ${(decodeSteps / decodeSeconds).toFixed(2)} tok/s, logits cosine ${err.cosine.toFixed(5)}`);
      } finally {
        await s.release();
      }
    } catch (error) {
      out[d.device] = `failed: ${String((error as Error).message).split('\n')[0]}`;
      log(`${d.device} llm failed: ${String(error)}`);
    }
  }
  for (const dir of [ref32, cmp16, full16]) rmSync(dir, { recursive: true, force: true });
  return out;
}

const loadStart = loadavg()[0]!;
try {
  const gpu = gpuName();
  const { use, skipped } = await devices();
  log(`GPU: ${gpu}; measuring on ${use.map((d) => d.device).join(', ') || 'nothing'}; skipped ${JSON.stringify(skipped)}`);
  const measurements: Measurement[] = [];
  const vision = await measureVision(use, measurements);
  const llm = await measureLlm(use, measurements);
  const result = {
    bench: 'gpu-check',
    date: new Date().toISOString(),
    machine: machineFacts(),
    measurements,
    summary: {
      gpu,
      mode: cpuOnly ? `check run: the CPU stands in for the GPU${tiny ? ', tiny sizes' : ''}` : tiny ? 'tiny sizes' : 'Apollo-3B real widths, random weights',
      measured: use.map((d) => d.device).join(', ') || 'none',
      skipped: Object.entries(skipped).map(([k, v]) => `${k}: ${v}`).join('; ') || 'none',
      onnxruntime: ort.env.versions.common,
      vision,
      llm,
      loadAverage1mStartEnd: `${loadStart.toFixed(2)} / ${loadavg()[0]!.toFixed(2)}`,
    },
  };
  if (cpuOnly || tiny) {
    const dir = process.env.OUT ?? join(benchDir, '_tmp-gpu-check');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'gpu-check.json'), JSON.stringify(result, null, 2) + '\n');
    log(`check run: wrote ${join(dir, 'gpu-check.json')} (not bench/results)`);
  } else {
    log(`wrote ${writeResult(result)}`);
  }
  console.table(measurements);
} finally {
  if (process.env.BENCH_GPU_WORK === undefined) rmSync(work, { recursive: true, force: true });
}
