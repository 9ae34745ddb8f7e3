// One engine's measurement, run in its own process so that its peak RSS is its own:
//   tsx bench/llm-decode-worker.ts ort DIR THREADS PROMPT DECODE
//   tsx bench/llm-decode-worker.ts llama GGUF THREADS PROMPT DECODE VOCAB
// Prints one JSON line: prefill/decode seconds and peak RSS (VmHWM).
import { readFileSync } from 'node:fs';
import { Qwen2DecoderSession } from '../electron/engine/llm/qwen2-decoder-session.js';
import { runLlamaCpp } from './llama-cpp-peer.js';

function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

async function runOrt(dir: string, threads: number, promptTokens: number, decodeTokens: number) {
  const session = await Qwen2DecoderSession.open(dir, { device: { device: 'cpu', reason: 'requested', executionProviders: ['cpu'] }, threads, capacity: promptTokens + decodeTokens + 8 });
  const vocab = session.config.vocabSize;
  const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919 + 13) % Math.min(vocab, 151643));
  // Warm-up: one short forward so that first-run allocations are not timed, then start clean.
  await session.forward(session.embed(prompt.slice(0, 8)), 8);
  session.reset();
  const t0 = performance.now();
  let logits = await session.forward(session.embed(prompt), promptTokens);
  const t1 = performance.now();
  let next = argmax(logits);
  const steps: number[] = [];
  for (let i = 0; i < decodeTokens; i++) {
    const s0 = performance.now();
    logits = await session.forward(session.embed([next]), 1);
    next = argmax(logits);
    steps.push(performance.now() - s0);
  }
  await session.release();
  return { prefillTokens: promptTokens, prefillSeconds: (t1 - t0) / 1000, decodeTokens, decodeSeconds: steps.reduce((a, b) => a + b, 0) / 1000, threads, medianStepMs: steps.sort((a, b) => a - b)[steps.length >> 1] };
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

const [engine, path, threads, prompt, decode, vocab] = process.argv.slice(2);
const result =
  engine === 'ort'
    ? await runOrt(path!, Number(threads), Number(prompt), Number(decode))
    : await runLlamaCpp(path!, { threads: Number(threads), promptTokens: Number(prompt), decodeTokens: Number(decode), vocabSize: Number(vocab) });
process.stdout.write(JSON.stringify({ ...result, peakRssBytes: peakRssBytes() }) + '\n');
