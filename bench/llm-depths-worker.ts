// One engine's long-context measurement, in its own process so that its peak RSS is its own:
//   tsx bench/llm-depths-worker.ts ort DIR THREADS DEPTHS DECODE KVDTYPE REOPEN_DEPTH
//   tsx bench/llm-depths-worker.ts llama GGUF THREADS DEPTHS DECODE VOCAB
// For ort, at REOPEN_DEPTH (0: none) the prefix is saved with the app's KV prefix cache and a fresh
// session loads it and prefills a 20-token question: the re-opened video's time to first token.
// DEPTHS is a comma list such as 512,4000,8000,12000,16000. The prompt is prefilled segment by
// segment up to each depth (prefill time is the sum of the segments, i.e. one prompt of that
// length prefilled in chunks); at each depth DECODE greedy tokens are timed, then taken back out
// of the cache so the next segment continues the same prompt. Prints one JSON line.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvPrefixCache, kvPrefixKey } from '../electron/engine/llm/kv-prefix-cache.js';
import { Qwen2DecoderSession, type KvDtype } from '../electron/engine/llm/qwen2-decoder-session.js';
import { ClipEmbeddingCache } from '../electron/engine/vision/clip-embedding-cache.js';

export interface DepthRow {
  depth: number;
  /** Seconds to prefill positions 0..depth (the sum of the segments so far). */
  prefillSeconds: number;
  decodeTokens: number;
  decodeSeconds: number;
  medianStepMs: number;
  rssBytes: number;
}

function rssNow(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}
/** Resets VmHWM (Linux: clear_refs 5), so that a later peak is of what follows. */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: the later peak includes what came before
  }
}
function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}
const promptIds = (n: number, vocab: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 13) % Math.min(vocab, 151643));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

const cpu = { device: 'cpu' as const, reason: 'requested', executionProviders: ['cpu' as const] };
const QUESTION = 20;

interface ReopenResult {
  depth: number;
  questionTokens: number;
  reopenTtftSeconds: number;
  coldTtftSeconds: number;
  prefixFileBytes: number;
  peakRssBytes: number;
}

async function runOrt(dir: string, threads: number, depths: number[], decode: number, kvDtype: KvDtype, reopenDepth: number): Promise<{ rows: DepthRow[]; depthPeakRssBytes: number; reopen?: ReopenResult }> {
  const max = depths[depths.length - 1]!;
  const session = await Qwen2DecoderSession.open(dir, { device: cpu, threads, capacity: max + decode + QUESTION + 8, kvDtype });
  const prompt = promptIds(max, session.config.vocabSize);
  await session.forward(session.embed(prompt.slice(0, 8)), 8); // warm-up, then start clean
  session.reset();
  const rows: DepthRow[] = [];
  let prefillSeconds = 0;
  let reopen: ReopenResult | undefined;
  let saved: { depth: number; coldTtftSeconds: number; prefixFileBytes: number } | undefined;
  let cacheDir: string | undefined;
  let cache: KvPrefixCache | undefined;
  let key = '';
  for (const depth of depths) {
    const from = session.length;
    const t0 = performance.now();
    const logits = await session.forward(session.embed(prompt.slice(from, depth)), depth - from);
    prefillSeconds += (performance.now() - t0) / 1000;
    let next = argmax(logits);
    const steps: number[] = [];
    for (let i = 0; i < decode; i++) {
      const s0 = performance.now();
      next = argmax(await session.forward(session.embed([next]), 1));
      steps.push(performance.now() - s0);
    }
    rows.push({ depth, prefillSeconds, decodeTokens: decode, decodeSeconds: steps.reduce((a, b) => a + b, 0) / 1000, medianStepMs: median(steps), rssBytes: rssNow() });
    session.truncate(depth);
    if (depth === reopenDepth) {
      // Cold: the question after prefilling the video (the prefill above plus the question's own).
      const q0 = performance.now();
      await session.forward(session.embed(prompt.slice(0, QUESTION)), QUESTION);
      const coldTtftSeconds = prefillSeconds + (performance.now() - q0) / 1000;
      session.truncate(depth);
      cacheDir = mkdtempSync(join(tmpdir(), 'kv-prefix-bench-'));
      cache = new KvPrefixCache(new ClipEmbeddingCache(cacheDir, { maxBytes: 64 * 2 ** 30 }));
      key = kvPrefixKey({ embeddingsKey: '0'.repeat(64), decoderId: 'bench', kvDtype, prefixIds: prompt.slice(0, depth) });
      await cache.save(key, session, prompt.slice(0, depth));
      saved = { depth, coldTtftSeconds, prefixFileBytes: statSync(join(cacheDir, `${key}.kvprefix`)).size };
    }
  }
  await session.release();
  // The depth run's peak is its own: the re-opened session below is measured after the first one
  // is released, with the peak reset (a second session's weights are not what a user holds).
  const depthPeakRssBytes = peakRssBytes();
  if (saved !== undefined && cache !== undefined && cacheDir !== undefined) {
    resetPeakRss();
    const fresh = await Qwen2DecoderSession.open(dir, { device: cpu, threads, kvDtype });
    const r0 = performance.now();
    const loaded = await cache.load(key, fresh, { capacityHint: saved.depth + QUESTION + 256 });
    if (!('prefixIds' in loaded)) throw new Error(`the saved prefix did not load: ${loaded.miss}`);
    await fresh.forward(fresh.embed(prompt.slice(0, QUESTION)), QUESTION);
    reopen = { depth: saved.depth, questionTokens: QUESTION, reopenTtftSeconds: (performance.now() - r0) / 1000, coldTtftSeconds: saved.coldTtftSeconds, prefixFileBytes: saved.prefixFileBytes, peakRssBytes: peakRssBytes() };
    await fresh.release();
    rmSync(cacheDir, { recursive: true, force: true });
  }
  return { rows, depthPeakRssBytes, ...(reopen === undefined ? {} : { reopen }) };
}

async function runLlama(gguf: string, threads: number, depths: number[], decode: number, vocab: number): Promise<DepthRow[]> {
  const max = depths[depths.length - 1]!;
  const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, maxThreads: threads });
  const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  // llama.cpp's defaults a user gets: f16 KV cache, 512-token batches.
  const context = await model.createContext({ contextSize: max + decode + 16, batchSize: 512, threads: { ideal: threads, min: threads } });
  const sequence = context.getSequence();
  const prompt = promptIds(max, vocab) as Token[];
  const rows: DepthRow[] = [];
  let prefillSeconds = 0;
  for (const depth of depths) {
    const from = sequence.nextTokenIndex;
    const t0 = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(from, depth));
    prefillSeconds += (performance.now() - t0) / 1000;
    // Generation re-evaluates the last prompt token first; only the steps after it are timed.
    await sequence.eraseContextTokenRanges([{ start: depth - 1, end: depth }]);
    const steps: number[] = [];
    let generated = 0;
    let last = performance.now();
    for await (const _token of sequence.evaluate([prompt[depth - 1]!], { temperature: 0 })) {
      const now = performance.now();
      if (generated > 0) steps.push(now - last);
      last = now;
      generated++;
      if (generated > decode) break;
    }
    rows.push({ depth, prefillSeconds, decodeTokens: steps.length, decodeSeconds: steps.reduce((a, b) => a + b, 0) / 1000, medianStepMs: median(steps), rssBytes: rssNow() });
    await sequence.eraseContextTokenRanges([{ start: depth, end: sequence.nextTokenIndex }]);
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return rows;
}

const [engine, path, threads, depthList, decode, extra, reopenDepth] = process.argv.slice(2);
const depths = depthList!.split(',').map(Number);
const result = engine === 'ort' ? await runOrt(path!, Number(threads), depths, Number(decode), extra as KvDtype, Number(reopenDepth ?? 0)) : { rows: await runLlama(path!, Number(threads), depths, Number(decode), Number(extra)) };
// peakRssBytes: the depth run's peak (for ort, before the re-open step, which reports its own).
process.stdout.write(JSON.stringify({ ...result, peakRssBytes: 'depthPeakRssBytes' in result ? result.depthPeakRssBytes : peakRssBytes() }) + '\n');
