// The bare LLM graph, for the engine benchmark's overhead comparison: the same prepared decoder
// folder, device and thread count as the engine, prefilled to the same number of positions, then a
// plain Qwen2DecoderSession forward loop with argmax — no engine process, tokenizer, sampler or IPC.
//   tsx bench/engine-chat-bare-worker.ts DECODER_DIR PREFILL_TOKENS DECODE_TOKENS
// Prints one JSON line: decode tokens and seconds, prefill seconds, peak RSS.
import { readFileSync } from 'node:fs';
import { defaultThreadCount, selectDevice } from '../electron/core/llm/execution-device.js';
import { Qwen2DecoderSession } from '../electron/core/llm/qwen2-decoder-session.js';

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

const [dir, prefillArg, decodeArg] = process.argv.slice(2);
const prefill = Number(prefillArg);
const decode = Number(decodeArg);
// Opened as the engine opens it (default capacity and prefill chunk), so the cache grows alike.
const session = await Qwen2DecoderSession.open(dir!, { device: await selectDevice('cpu'), threads: defaultThreadCount() });
const vocab = Math.min(session.config.vocabSize, 151643);
const prompt = Array.from({ length: prefill }, (_, i) => (i * 7919 + 13) % vocab);
// Warm-up as the engine had one (its first question): the same prefill and a few steps, then start clean.
await session.forward(session.embed(prompt), prefill);
for (let i = 0; i < 4; i++) await session.forward(session.embed([prompt[i]!]), 1);
session.reset();
const t0 = performance.now();
let logits = await session.forward(session.embed(prompt), prefill);
const prefillSeconds = (performance.now() - t0) / 1000;
let next = argmax(logits);
const t1 = performance.now();
for (let i = 0; i < decode; i++) {
  logits = await session.forward(session.embed([next]), 1);
  next = argmax(logits);
}
const decodeSeconds = (performance.now() - t1) / 1000;
await session.release();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ prefillTokens: prefill, prefillSeconds, decodeTokens: decode, decodeSeconds, threads: defaultThreadCount(), peakRssBytes: hwm ? Number(hwm[1]) * 1024 : 0 }) + '\n');
