// One engine's long-context measurement, in its own process so that its peak RSS is its own:
//   tsx bench/llm-depths-worker.ts ort DIR THREADS DEPTHS DECODE [KV]
//   tsx bench/llm-depths-worker.ts llama GGUF THREADS DEPTHS DECODE VOCAB
// DEPTHS is a comma list such as 512,4000,8000,12000,16000. The prompt is prefilled segment by
// segment up to each depth (prefill time is the sum of the segments, i.e. one prompt of that
// length prefilled in chunks); at each depth DECODE greedy tokens are timed, then taken back out
// of the cache so the next segment continues the same prompt. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { Qwen2DecoderSession } from '../electron/engine/llm/qwen2-decoder-session.js';

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

async function runOrt(dir: string, threads: number, depths: number[], decode: number): Promise<DepthRow[]> {
  const max = depths[depths.length - 1]!;
  const session = await Qwen2DecoderSession.open(dir, { device: { device: 'cpu', reason: 'requested', executionProviders: ['cpu'] }, threads, capacity: max + decode + 8 });
  const prompt = promptIds(max, session.config.vocabSize);
  await session.forward(session.embed(prompt.slice(0, 8)), 8); // warm-up, then start clean
  session.reset();
  const rows: DepthRow[] = [];
  let prefillSeconds = 0;
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
  }
  await session.release();
  return rows;
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

const [engine, path, threads, depthList, decode, vocab] = process.argv.slice(2);
const depths = depthList!.split(',').map(Number);
const rows = engine === 'ort' ? await runOrt(path!, Number(threads), depths, Number(decode)) : await runLlama(path!, Number(threads), depths, Number(decode), Number(vocab));
process.stdout.write(JSON.stringify({ rows, peakRssBytes: peakRssBytes() }) + '\n');
