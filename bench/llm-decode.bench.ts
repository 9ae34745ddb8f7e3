// LLM decode benchmark (issue 5 item 9): prefill and decode tokens/s and peak RSS of the int4
// Qwen2 decoder (MatMulNBits) at the real Apollo 1.5B and 3B LLM shapes with random weights on
// CPU, measured in one run beside (a) this machine's memory-bandwidth roofline and (b) llama.cpp
// (node-llama-cpp) on a random Q4_0 GGUF of the same shapes; plus the logit error of each int4
// variant and of Q4_0 against fp32 on a smaller shape. Heavy: run it under the heavy lock,
//   flock /tmp/apollo-heavy.lock npx tsx bench/llm-decode.bench.ts
// Env: BENCH_SHAPES (1.5b,3b), BENCH_PROMPT (512), BENCH_DECODE (64), BENCH_THREADS (2; a list
// such as 1,2 measures each), BENCH_VARIANTS (b32s,b128s,b32a,b128a), BENCH_CACHE
// (~/.cache/apollo-desktop/bench), BENCH_PARTS (speed,error), BENCH_ERROR_LAYERS (4),
// BENCH_ERROR_WEIGHTS (uniform,laplace), BENCH_ERROR_VARIANTS (b32s,b32a,b64s,b64a,b128s,b128a,
// b32s-acc0,b128s-acc0), BENCH_ROUNDS (2: engines alternate, best round kept).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadNativeAddon } from '../electron/engine/native/native-addon.js';
import type { Qwen2Config } from '../electron/engine/llm/qwen2-config.js';
import type { Int4Settings } from '../electron/engine/llm/qwen2-decoder-graph.js';
import { Qwen2DecoderSession } from '../electron/engine/llm/qwen2-decoder-session.js';
import { int4Layout } from '../electron/engine/quant/int4-layout.js';
import { benchDir, machineFacts, writeResult, type Measurement } from './bench-harness.js';
import { ensureGguf, ensureOrtModel, loadConfig, quantizer } from './llm-bench-models.js';
import { q4_0RoundTrip } from './q4-0-reference.js';
import type { WeightDistribution } from './random-qwen2-weights.js';

const env = process.env;
const shapes = (env.BENCH_SHAPES ?? '1.5b,3b').split(',');
const promptTokens = Number(env.BENCH_PROMPT ?? 512);
const decodeTokens = Number(env.BENCH_DECODE ?? 64);
const threadCounts = (env.BENCH_THREADS ?? '2').split(',').map(Number);
const parts = (env.BENCH_PARTS ?? 'speed,error').split(',');
const variantNames = (env.BENCH_VARIANTS ?? 'b32s,b128s,b32a,b128a').split(',');
const errorLayers = Number(env.BENCH_ERROR_LAYERS ?? 4);
const threads = threadCounts[threadCounts.length - 1]!;
const log = (s: string) => process.stderr.write(`[llm-decode] ${s}\n`);

/** 'b128s' = block 128, symmetric; 'b32a' = block 32 with zero points; accuracy_level 4 (int8 activations), 4-bit head. */
function parseVariant(v: string): Int4Settings {
  const m = /^b(\d+)([sa])(?:-acc(\d))?$/.exec(v);
  if (!m) throw new Error(`bad variant ${v}`);
  return { blockSize: Number(m[1]) as Int4Settings['blockSize'], symmetric: m[2] === 's', accuracyLevel: Number(m[3] ?? 4) as Int4Settings['accuracyLevel'], lmHead: 'int4' };
}

/** Bytes decode reads per token: every linear layer and the head once, norms and biases, one embedding row. */
function bytesPerToken(c: Qwen2Config, linearBytes: (n: number, k: number) => number, embeddingRowBytes: number): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perLayer =
    linearBytes(q + 2 * kv, c.hiddenSize) + linearBytes(c.hiddenSize, q) + 2 * linearBytes(c.intermediateSize, c.hiddenSize) + linearBytes(c.hiddenSize, c.intermediateSize) + 4 * (2 * c.hiddenSize + q + 2 * kv);
  return c.numLayers * perLayer + linearBytes(c.vocabSize, c.hiddenSize) + 4 * c.hiddenSize + embeddingRowBytes;
}

function int4LinearBytes(s: Int4Settings) {
  return (n: number, k: number) => {
    const l = int4Layout(n, k, s.blockSize);
    return n * l.blocksPerCol * l.blobSize + n * l.blocksPerCol * 4 + (s.symmetric ? 0 : n * l.zeroPointBytesPerRow);
  };
}
const q4_0LinearBytes = (n: number, k: number) => (n * k * 18) / 32;

function runWorker(args: string[]): Record<string, number> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(benchDir, 'llm-decode-worker.ts'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

// ---- (a) bandwidth ---------------------------------------------------------------------------
const addon = loadNativeAddon();
const bw = addon.loaded ? (addon.addon as unknown as { measureReadBandwidth?: (b: number, t: number, r: number) => number }).measureReadBandwidth : undefined;
if (bw === undefined) throw new Error('the native addon with measureReadBandwidth is required (npm run build:native)');
const measureBandwidth = () => ({ one: bw(2 ** 31, 1, 5), two: bw(2 ** 31, 2, 5) });
const bandwidths = [measureBandwidth()];
log(`read bandwidth: 1 thread ${(bandwidths[0]!.one / 1e9).toFixed(1)} GB/s, 2 threads ${(bandwidths[0]!.two / 1e9).toFixed(1)} GB/s`);
const rounds = Number(env.BENCH_ROUNDS ?? 2);

const measurements: Measurement[] = [];
const summary: Record<string, unknown> = {};

interface Run {
  shape: string;
  engine: string;
  threads: number;
  bytes: number;
  results: Record<string, number>[];
}
const runs = new Map<string, Run>();
const record = (key: Omit<Run, 'results'>, r: Record<string, number>) => {
  const id = `${key.shape}|${key.engine}|${key.threads}`;
  const run = runs.get(id) ?? { ...key, results: [] };
  run.results.push(r);
  runs.set(id, run);
  log(`${id}: decode ${(r.decodeTokens! / r.decodeSeconds!).toFixed(2)} tok/s, prefill ${(r.prefillTokens! / r.prefillSeconds!).toFixed(1)} tok/s, peak RSS ${(r.peakRssBytes! / 2 ** 20).toFixed(0)} MiB`);
};

// Machines are shared: engines alternate within each round and each row keeps its best round,
// with the bandwidth re-measured every round (the roofline uses the best one seen).
const speedShapes = parts.includes('speed') ? shapes : [];
const prepared = new Map<string, { config: Qwen2Config; gguf: string; dirs: string[] }>();
for (const shape of speedShapes) {
  const config = loadConfig(shape);
  const gguf = ensureGguf(shape, config);
  const dirs = [];
  for (const v of variantNames.map(parseVariant)) dirs.push(await ensureOrtModel(shape, config, v));
  prepared.set(shape, { config, gguf, dirs });
}
for (let round = 0; round < (speedShapes.length > 0 ? rounds : 0); round++) {
  for (const shape of speedShapes) {
    const { config, gguf, dirs } = prepared.get(shape)!;
    for (const t of threadCounts) {
      record({ shape, engine: 'llama.cpp Q4_0 (all 4-bit)', threads: t, bytes: bytesPerToken(config, q4_0LinearBytes, (config.hiddenSize * 18) / 32) }, runWorker(['llama', gguf, String(t), String(promptTokens), String(decodeTokens), String(config.vocabSize)]));
      variantNames.forEach((name, i) => {
        const v = parseVariant(name);
        record(
          { shape, engine: `onnxruntime int4 block ${v.blockSize} ${v.symmetric ? 'symmetric' : 'zero points'} acc ${v.accuracyLevel}`, threads: t, bytes: bytesPerToken(config, int4LinearBytes(v), config.hiddenSize * 2) },
          runWorker(['ort', dirs[i]!, String(t), String(promptTokens), String(decodeTokens)]),
        );
      });
    }
  }
  bandwidths.push(measureBandwidth());
  log(`round ${round + 1}: read bandwidth 1 thread ${(bandwidths.at(-1)!.one / 1e9).toFixed(1)} GB/s, 2 threads ${(bandwidths.at(-1)!.two / 1e9).toFixed(1)} GB/s`);
}
const roofBw = Math.max(...bandwidths.map((b) => Math.max(b.one, b.two)));
const bestOf = (r: Run) => r.results.reduce((a, b) => (b.decodeTokens! / b.decodeSeconds! > a.decodeTokens! / a.decodeSeconds! ? b : a));
for (const run of runs.values()) {
  const best = bestOf(run);
  const decode = best.decodeTokens! / best.decodeSeconds!;
  const peer = bestOf(runs.get(`${run.shape}|llama.cpp Q4_0 (all 4-bit)|${run.threads}`)!);
  measurements.push({
    name: `${run.shape} ${run.engine}`,
    threads: run.threads,
    seconds: best.decodeSeconds! / best.decodeTokens!,
    runs: run.results.length,
    prefillTokPerS: Math.max(...run.results.map((r) => r.prefillTokens! / r.prefillSeconds!)),
    decodeTokPerS: decode,
    decodeTokPerSAllRounds: run.results.map((r) => Number((r.decodeTokens! / r.decodeSeconds!).toFixed(2))).join(' / '),
    weightMBPerToken: run.bytes / 1e6,
    rooflineTokPerS: roofBw / run.bytes,
    ofRoofline: decode / (roofBw / run.bytes),
    vsLlamaCpp: decode / (peer.decodeTokens! / peer.decodeSeconds!),
    peakRssMB: Math.max(...run.results.map((r) => r.peakRssBytes!)) / 2 ** 20,
  });
}
summary.readBandwidthGBs1Thread = Math.max(...bandwidths.map((b) => b.one)) / 1e9;
summary.readBandwidthGBs2Threads = Math.max(...bandwidths.map((b) => b.two)) / 1e9;
summary.readBandwidthGBsPerRound = bandwidths.map((b) => `${(b.one / 1e9).toFixed(1)}/${(b.two / 1e9).toFixed(1)}`).join(', ');
summary.rounds = rounds;
summary.threads = threadCounts.join(',');
const ortRows = measurements.filter((m) => m.name.includes('onnxruntime'));
if (ortRows.length > 0) {
  const best = (pred: (m: Measurement) => boolean, key: string) => Math.max(...ortRows.filter(pred).map((m) => m[key] as number));
  summary.bestDecodeVsLlamaCpp = best(() => true, 'vsLlamaCpp');
  summary.bestOfRoofline = best(() => true, 'ofRoofline');
  const rss3b = ortRows.filter((m) => m.name.startsWith('3b')).map((m) => m.peakRssMB as number);
  if (rss3b.length > 0) summary.peakRssMB3bInt4 = Math.max(...rss3b);
}
summary.promptTokens = promptTokens;
summary.decodeTokens = decodeTokens;
summary.quantizerBackend = quantizer.backend;

const speedPath = !parts.includes('speed') ? 'skipped' : writeResult({ bench: 'llm-decode', date: new Date().toISOString(), machine: machineFacts(), measurements, summary });
log(`wrote ${speedPath}`);

// ---- logit error vs fp32 on a smaller shape ---------------------------------------------------
if (parts.includes('error')) {
  const shape = shapes[0]!;
  const config = loadConfig(shape);
  const steps = 32;
  const prompt = Array.from({ length: 64 }, (_, i) => (i * 7919 + 13) % 151643);
  const cpu = { device: 'cpu' as const, reason: 'requested', executionProviders: ['cpu' as const] };
  const teacherForced = async (dir: string, tokens: number[] | undefined) => {
    const s = await Qwen2DecoderSession.open(dir, { device: cpu, threads, capacity: prompt.length + steps + 4 });
    const logits: Float32Array[] = [];
    const chosen: number[] = [];
    let l = await s.forward(s.embed(prompt), prompt.length);
    for (let i = 0; i < steps; i++) {
      logits.push(Float32Array.from(l));
      let best = 0;
      for (let j = 1; j < l.length; j++) if (l[j]! > l[best]!) best = j;
      chosen.push(best);
      l = await s.forward(s.embed([tokens?.[i] ?? best]), 1);
    }
    await s.release();
    return { logits, chosen };
  };
  const none: Int4Settings = { blockSize: 32, symmetric: true, accuracyLevel: 0, lmHead: 'int4' };
  const errorRows: Measurement[] = [];
  for (const dist of (env.BENCH_ERROR_WEIGHTS ?? 'uniform,laplace').split(',') as WeightDistribution[]) {
    const fp32Dir = await ensureOrtModel(shape, config, none, { layersOverride: errorLayers, precision: 'fp32', distribution: dist });
    const ref = await teacherForced(fp32Dir, undefined);
    const compare = async (name: string, dir: string, bytesPerWeight: number) => {
      const t0 = performance.now();
      const got = await teacherForced(dir, ref.chosen);
      let maxAbs = 0;
      let sq = 0;
      let refSq = 0;
      let agree = 0;
      for (let i = 0; i < steps; i++) {
        const a = ref.logits[i]!;
        const b = got.logits[i]!;
        for (let j = 0; j < a.length; j++) {
          const d = b[j]! - a[j]!;
          maxAbs = Math.max(maxAbs, Math.abs(d));
          sq += d * d;
          refSq += a[j]! * a[j]!;
        }
        if (got.chosen[i] === ref.chosen[i]) agree++;
      }
      errorRows.push({ name, weights: dist, seconds: (performance.now() - t0) / 1000, runs: 1, maxAbsLogitError: maxAbs, relRmsLogitError: Math.sqrt(sq / refSq), top1Agreement: agree / steps, bytesPerWeight });
      log(JSON.stringify(errorRows[errorRows.length - 1]));
    };
    const q4Dir = await ensureOrtModel(shape, config, none, { layersOverride: errorLayers, transform: (_n, w, rows, cols) => q4_0RoundTrip(w, rows, cols), precision: 'fp32', tag: '-q4_0sim', distribution: dist });
    await compare('Q4_0 weights (llama.cpp round trip; float activations)', q4Dir, 18 / 32);
    for (const v of (env.BENCH_ERROR_VARIANTS ?? 'b32s,b32a,b64s,b64a,b128s,b128a,b32s-acc0,b128s-acc0').split(',')) {
      const s = parseVariant(v);
      const dir = await ensureOrtModel(shape, config, s, { layersOverride: errorLayers, distribution: dist });
      const l = int4Layout(4096, 4096, s.blockSize);
      await compare(`int4 block ${s.blockSize} ${s.symmetric ? 'symmetric' : 'zero points'} acc ${s.accuracyLevel}`, dir, (l.blobSize + 4 + (s.symmetric ? 0 : 0.5)) / s.blockSize);
    }
  }
  const errPath = writeResult({
    bench: 'llm-int4-error',
    date: new Date().toISOString(),
    machine: machineFacts(),
    measurements: errorRows,
    summary: { shape: `apollo-${shape} LLM widths, ${errorLayers} layers, full vocabulary, random weights (std 0.02)`, promptTokens: prompt.length, teacherForcedSteps: steps, reference: 'fp32 graph, same weights' },
  });
  log(`wrote ${errPath}`);
}
