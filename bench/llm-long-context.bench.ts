// Long-context LLM benchmark (issue 16): decode tokens/s at 512 … 16k cached positions and the
// prefill of a 12k prompt (a 10-minute video's), at the real Apollo 1.5B and 3B LLM shapes with
// random weights on CPU, this app's decoder (the int4 `prepare` builds, float16 and float32 KV
// cache) beside llama.cpp (node-llama-cpp, Q4_0, its default float16 KV cache) at the same depths,
// and beside the roofline that counts the weights and the KV bytes read per token. Also: peak RSS,
// and the time to first token of a re-opened video (its prefix's KV cache loaded from disk) vs a
// cold one. Each engine runs in its own process; engines alternate within a shape; the machine's
// load average is recorded before and after each run. Heavy (about half an hour):
//   flock /tmp/apollo-heavy.lock npx tsx bench/llm-long-context.bench.ts
// Env: BENCH_SHAPES (1.5b,3b), BENCH_DEPTHS (512,4000,8000,12000,16000), BENCH_DECODE (16),
// BENCH_THREADS (2), BENCH_ENGINES (llama,ort-f16,ort-f32), BENCH_F32_SHAPES (1.5b: shapes that
// also run the float32 cache), BENCH_REOPEN_DEPTH (12000).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Qwen2Config } from '../electron/engine/llm/qwen2-config.js';
import { int4Layout } from '../electron/engine/quant/int4-layout.js';
import { DEFAULT_INT4 } from '../electron/engine/quant/quant-settings.js';
import { loadNativeAddon } from '../electron/engine/native/native-addon.js';
import { benchDir, machineFacts, writeResult, type Measurement } from './bench-harness.js';
import { ensureGguf, ensureOrtModel, loadConfig } from './llm-bench-models.js';
import type { DepthRow } from './llm-depths-worker.js';

const env = process.env;
const shapes = (env.BENCH_SHAPES ?? '1.5b,3b').split(',');
const depths = (env.BENCH_DEPTHS ?? '512,4000,8000,12000,16000').split(',').map(Number);
const decode = Number(env.BENCH_DECODE ?? 16);
const threads = Number(env.BENCH_THREADS ?? 2);
const engines = (env.BENCH_ENGINES ?? 'llama,ort-f16,ort-f32').split(',');
const f32Shapes = (env.BENCH_F32_SHAPES ?? '1.5b').split(',');
const reopenDepth = Number(env.BENCH_REOPEN_DEPTH ?? 12000);
const log = (s: string) => process.stderr.write(`[llm-long-context] ${s}\n`);

const addon = loadNativeAddon();
if (!addon.loaded) throw new Error(`the native addon is required (npm run build:native): ${addon.reason}`);
const bw = (addon.addon as unknown as { measureReadBandwidth: (b: number, t: number, r: number) => number }).measureReadBandwidth;
const bandwidths: number[] = [bw(2 ** 31, threads, 5)];
log(`read bandwidth ${(bandwidths[0]! / 1e9).toFixed(1)} GB/s (${threads} threads)`);

/** Weight bytes decode reads per token (linear layers, head, norms/biases, one embedding row). */
function weightBytes(c: Qwen2Config, linear: (n: number, k: number) => number, embeddingRow: number): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perLayer = linear(q + 2 * kv, c.hiddenSize) + linear(c.hiddenSize, q) + 2 * linear(c.intermediateSize, c.hiddenSize) + linear(c.hiddenSize, c.intermediateSize) + 4 * (2 * c.hiddenSize + q + 2 * kv);
  return c.numLayers * perLayer + linear(c.vocabSize, c.hiddenSize) + 4 * c.hiddenSize + embeddingRow;
}
const int4Bytes = (n: number, k: number) => {
  const l = int4Layout(n, k, DEFAULT_INT4.blockSize);
  return n * l.blocksPerCol * l.blobSize + n * l.blocksPerCol * 4 + (DEFAULT_INT4.symmetric ? 0 : n * l.zeroPointBytesPerRow);
};
const q4_0Bytes = (n: number, k: number) => (n * k * 18) / 32;
const kvBytes = (c: Qwen2Config, positions: number, bytesPerValue: number) => c.numLayers * 2 * c.numKvHeads * c.headDim * positions * bytesPerValue;

interface WorkerOut {
  rows: DepthRow[];
  peakRssBytes: number;
  reopen?: { depth: number; questionTokens: number; reopenTtftSeconds: number; coldTtftSeconds: number; prefixFileBytes: number; peakRssBytes?: number };
}
function runWorker(args: string[]): { out: WorkerOut; load: [number, number] } {
  const before = loadavg()[0]!;
  const text = execFileSync(process.execPath, ['--import', 'tsx', join(benchDir, 'llm-depths-worker.ts'), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 22,
    // The engine process's malloc settings (electron/engine/engine/engine-environment.ts).
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: String(2 ** 32), MALLOC_TRIM_THRESHOLD_: String(2 ** 32) },
  });
  return { out: JSON.parse(text.trim().split('\n').pop()!) as WorkerOut, load: [before, loadavg()[0]!] };
}

const measurements: Measurement[] = [];
const summary: Record<string, unknown> = { depths: depths.join(','), decodeTokensPerDepth: decode, threads, int4: `block ${DEFAULT_INT4.blockSize}, ${DEFAULT_INT4.symmetric ? 'symmetric' : 'zero points'}, accuracy ${DEFAULT_INT4.accuracyLevel}, 4-bit head` };
for (const shape of shapes) {
  const config = loadConfig(shape);
  const gguf = ensureGguf(shape, config);
  const ortDir = await ensureOrtModel(shape, config, { ...DEFAULT_INT4, lmHead: 'int4' }, { maxPositions: Math.max(...depths) + 512 });
  const runs = new Map<string, { out: WorkerOut; load: [number, number]; kvBytesPerValue: number; weights: number }>();
  for (const engine of engines) {
    if (engine === 'ort-f32' && !f32Shapes.includes(shape)) continue;
    log(`${shape} ${engine} …`);
    const t0 = Date.now();
    const r =
      engine === 'llama'
        ? { ...runWorker(['llama', gguf, String(threads), depths.join(','), String(decode), String(config.vocabSize)]), kvBytesPerValue: 2, weights: weightBytes(config, q4_0Bytes, (config.hiddenSize * 18) / 32) }
        : { ...runWorker(['ort', ortDir, String(threads), depths.join(','), String(decode), engine === 'ort-f16' ? 'float16' : 'float32', String(engine === 'ort-f16' ? reopenDepth : 0)]), kvBytesPerValue: engine === 'ort-f16' ? 2 : 4, weights: weightBytes(config, int4Bytes, config.hiddenSize * 2) };
    log(`${shape} ${engine}: ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)}, ${r.out.rows.map((row) => `${row.depth}: ${(row.decodeTokens / row.decodeSeconds).toFixed(2)} tok/s`).join(', ')}`);
    runs.set(engine, r);
    bandwidths.push(bw(2 ** 31, threads, 5));
  }
  const roof = Math.max(...bandwidths);
  const llama = runs.get('llama');
  for (const [engine, r] of runs) {
    for (const row of r.out.rows) {
      const tokPerS = row.decodeTokens / row.decodeSeconds;
      const bytes = r.weights + kvBytes(config, row.depth, r.kvBytesPerValue);
      const peer = llama?.out.rows.find((p) => p.depth === row.depth);
      measurements.push({
        name: `${shape} ${engine === 'llama' ? 'llama.cpp Q4_0, f16 KV' : `app int4, ${engine === 'ort-f16' ? 'f16' : 'f32'} KV`} @ ${row.depth}`,
        seconds: row.decodeSeconds / row.decodeTokens,
        runs: 1,
        depth: row.depth,
        decodeTokPerS: tokPerS,
        medianStepMs: row.medianStepMs,
        vsLlamaCpp: peer === undefined ? undefined : tokPerS / (peer.decodeTokens / peer.decodeSeconds),
        // Medians too: on this shared machine one slow step moves a mean of a few dozen.
        vsLlamaCppByMedian: peer === undefined ? undefined : peer.medianStepMs / row.medianStepMs,
        weightPlusKvMBPerToken: bytes / 1e6,
        rooflineTokPerS: roof / bytes,
        ofRoofline: tokPerS / (roof / bytes),
        prefillTokPerSToDepth: row.depth / row.prefillSeconds,
        prefillVsLlamaCpp: peer === undefined ? undefined : (row.depth / row.prefillSeconds) / (peer.depth / peer.prefillSeconds),
        rssMB: row.rssBytes / 2 ** 20,
        peakRssMB: r.out.peakRssBytes / 2 ** 20,
        loadAvgBeforeAfter: `${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)}`,
      });
    }
    if (r.out.reopen !== undefined) {
      const o = r.out.reopen;
      summary[`${shape}ReopenTtftSeconds`] = o.reopenTtftSeconds;
      summary[`${shape}ColdTtftSeconds`] = o.coldTtftSeconds;
      summary[`${shape}ReopenTtftShareOfCold`] = o.reopenTtftSeconds / o.coldTtftSeconds;
      summary[`${shape}SavedPrefixMB`] = o.prefixFileBytes / 2 ** 20;
      if (o.peakRssBytes !== undefined) summary[`${shape}ReopenPeakRssMB`] = o.peakRssBytes / 2 ** 20;
      summary.reopenDepth = o.depth;
    }
  }
}
summary.readBandwidthGBs = Math.max(...bandwidths) / 1e9;
summary.readBandwidthGBsPerRun = bandwidths.map((b) => (b / 1e9).toFixed(1)).join(', ');
const path = writeResult({ bench: env.BENCH_RESULT ?? 'llm-long-context', date: new Date().toISOString(), machine: machineFacts(), measurements, summary });
log(`wrote ${path}`);
