// The Qwen2 decoder graph against the naive reference forward, on in-memory random weights:
// fp32 logits parity, KV-cache exactness (decode vs prefill, chunked prefill, cache growth), and
// the fp16 / int4 error figures.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectDevice } from '../../electron/engine/llm/execution-device.js';
import { buildQwen2Artifacts } from '../../electron/engine/llm/qwen2-artifacts.js';
import { qwen2Names, type Qwen2Config } from '../../electron/engine/llm/qwen2-config.js';
import type { DecoderPrecision, Int4Settings } from '../../electron/engine/llm/qwen2-decoder-graph.js';
import { Qwen2DecoderSession, type DecoderSessionOptions } from '../../electron/engine/llm/qwen2-decoder-session.js';
import { loadQwen2ReferenceWeights, Qwen2Reference } from '../reference/qwen2-reference.js';
import { dequantizeInt4 } from '../../electron/engine/quant/int4-dequantize.js';
import { int4Quantizer } from '../../electron/engine/quant/int4-quantize.js';
import { makeTempDir } from '../helpers/paths.js';

const config: Qwen2Config = {
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 96,
  vocabSize: 1000,
  rmsNormEps: 1e-6,
  ropeTheta: 1e6,
  maxPositionEmbeddings: 512,
  tieWordEmbeddings: true,
};

/** Deterministic uniform weights at roughly the scale of a trained model's. */
function randomWeights(c: Qwen2Config, seed: number): Map<string, Float32Array> {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  const m = new Map<string, Float32Array>();
  const put = (name: string, n: number, scale: number, offset = 0) => m.set(name, Float32Array.from({ length: n }, () => offset + next() * scale));
  const { hiddenSize: h, numHeads, numKvHeads, headDim: d, intermediateSize: inter, vocabSize: v } = c;
  put(qwen2Names.embedTokens, v * h, 0.5);
  put(qwen2Names.lmHead, v * h, 0.5); // stored but ignored: tied (spec 11.7)
  put(qwen2Names.finalNorm, h, 0.2, 1);
  for (let i = 0; i < c.numLayers; i++) {
    const n = qwen2Names.layer(i);
    put(n.inputNorm, h, 0.2, 1);
    put(n.postAttentionNorm, h, 0.2, 1);
    put(`${n.q}.weight`, numHeads * d * h, 0.25);
    put(`${n.q}.bias`, numHeads * d, 0.5);
    put(`${n.k}.weight`, numKvHeads * d * h, 0.25);
    put(`${n.k}.bias`, numKvHeads * d, 0.5);
    put(`${n.v}.weight`, numKvHeads * d * h, 0.25);
    put(`${n.v}.bias`, numKvHeads * d, 0.5);
    put(`${n.o}.weight`, h * numHeads * d, 0.25);
    put(`${n.gate}.weight`, inter * h, 0.25);
    put(`${n.up}.weight`, inter * h, 0.25);
    put(`${n.down}.weight`, h * inter, 0.2);
  }
  return m;
}

const weights = randomWeights(config, 7);
const source = {
  readFloat32: (name: string) => {
    const w = weights.get(name);
    if (w === undefined) throw new Error(`no tensor ${name}`);
    return Promise.resolve(w);
  },
};

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}
function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

const root = makeTempDir('qwen2-decoder');
async function prepared(precision: DecoderPrecision, int4?: Int4Settings): Promise<string> {
  const dir = join(root, `${precision}-${int4 ? `${int4.blockSize}-${int4.accuracyLevel}-${int4.symmetric}-${int4.lmHead}` : ''}`);
  mkdirSync(dir, { recursive: true });
  await buildQwen2Artifacts(dir, config, source, { precision, ...(int4 ? { int4 } : {}), quantize: int4Quantizer().quantize });
  return dir;
}

let reference: Qwen2Reference;
const sessions: Qwen2DecoderSession[] = [];
async function open(dir: string, capacity?: number, prefillChunk?: number, extra: Partial<DecoderSessionOptions> = {}): Promise<Qwen2DecoderSession> {
  const s = await Qwen2DecoderSession.open(dir, { device: await selectDevice('cpu'), threads: 1, ...(capacity ? { capacity } : {}), ...(prefillChunk ? { prefillChunk } : {}), ...extra });
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  reference = new Qwen2Reference(config, await loadQwen2ReferenceWeights(config, source));
});
afterAll(async () => {
  for (const s of sessions) await s.release();
});

/** Greedy continuation with the reference: the independent oracle of token ids. */
function referenceGreedy(prompt: number[], n: number): { ids: number[]; logits: Float32Array[] } {
  const cache = reference.newCache();
  let logits: Float32Array = reference.forward(reference.embed(prompt), prompt.map((_, i) => i), cache).slice(-config.vocabSize);
  const ids: number[] = [];
  const all: Float32Array[] = [];
  for (let t = 0; t < n; t++) {
    all.push(logits);
    const id = argmax(logits);
    ids.push(id);
    logits = reference.forward(reference.embed([id]), [prompt.length + t], cache);
  }
  return { ids, logits: all };
}

async function graphGreedy(session: Qwen2DecoderSession, prompt: number[], n: number): Promise<{ ids: number[]; logits: Float32Array[] }> {
  session.reset();
  let logits = await session.forward(session.embed(prompt), prompt.length);
  const ids: number[] = [];
  const all: Float32Array[] = [];
  for (let t = 0; t < n; t++) {
    all.push(logits.slice());
    const id = argmax(logits);
    ids.push(id);
    logits = await session.forward(session.embed([id]), 1);
  }
  return { ids, logits: all };
}

const prompts = [[5], [1, 2, 3, 4, 5, 6, 7], [999, 0, 512, 17, 17, 17, 300, 42, 8, 77, 123, 456, 789]];

describe('Qwen2 decoder graph (fp32) vs the naive reference', () => {
  it.each(prompts.map((p) => [p.length, p] as const))('prefill of %i tokens: last-position logits match to 1e-4 relative', async (_n, prompt) => {
    const session = await open(await prepared('fp32'));
    const got = await session.forward(session.embed(prompt), prompt.length);
    const want = reference.forward(reference.embed(prompt), prompt.map((_, i) => i), reference.newCache()).slice(-config.vocabSize);
    expect(maxAbsDiff(got, want) / maxAbs(want)).toBeLessThan(1e-4);
  });

  it('greedy decoding of 24 tokens gives the reference ids with matching logits at every step', async () => {
    const session = await open(await prepared('fp32'));
    const want = referenceGreedy(prompts[1]!, 24);
    const got = await graphGreedy(session, prompts[1]!, 24);
    expect(got.ids).toEqual(want.ids);
    got.logits.forEach((l, t) => expect(maxAbsDiff(l, want.logits[t]!) / maxAbs(want.logits[t]!)).toBeLessThan(1e-4));
  });

  it('KV cache is exact: prefill N then decode 1 equals prefill N+1; two chunks equal one; growth keeps the cache', async () => {
    const dir = await prepared('fp32');
    const prompt = prompts[2]!;
    const one = await open(dir);
    const full = (await one.forward(one.embed(prompt), prompt.length)).slice();

    const stepwise = await open(dir);
    await stepwise.forward(stepwise.embed(prompt.slice(0, -1)), prompt.length - 1);
    const decoded = (await stepwise.forward(stepwise.embed(prompt.slice(-1)), 1)).slice();
    expect(maxAbsDiff(decoded, full) / maxAbs(full)).toBeLessThan(1e-5);

    // Capacity 4 forces two growths while chunks of 5 and 8 are fed.
    const chunked = await open(dir, 4);
    await chunked.forward(chunked.embed(prompt.slice(0, 5)), 5);
    const twoChunks = (await chunked.forward(chunked.embed(prompt.slice(5)), prompt.length - 5)).slice();
    expect(chunked.length).toBe(prompt.length);
    expect(maxAbsDiff(twoChunks, full) / maxAbs(full)).toBeLessThan(1e-5);

    // A capacity hint sizes the one growth to what the caller expects (rounded to 64 positions).
    const hinted = await open(dir, 4);
    const hintedLogits = await hinted.forward(hinted.embed(prompt), prompt.length, { capacityHint: 70 });
    expect(hinted.cacheBytes).toBe(2 * config.numLayers * config.numKvHeads * 128 * config.headDim * 4);
    expect(maxAbsDiff(hintedLogits, full) / maxAbs(full)).toBeLessThan(1e-5);

    // Truncating back to N-1 and decoding the last token again gives the same logits.
    stepwise.truncate(prompt.length - 1);
    const redone = await stepwise.forward(stepwise.embed(prompt.slice(-1)), 1);
    expect(maxAbsDiff(redone, full) / maxAbs(full)).toBeLessThan(1e-5);

    // The session's own prefill chunking (3 positions per call) reports progress and gives the same.
    const autoChunked = await open(dir, undefined, 3);
    const events: number[] = [];
    const auto = await autoChunked.forward(autoChunked.embed(prompt), prompt.length, { onProgress: (e) => events.push(e.done) });
    expect(events).toEqual([3, 6, 9, 12, 13]);
    expect(maxAbsDiff(auto, full) / maxAbs(full)).toBeLessThan(1e-5);

    // Attention split into row blocks (a budget of 2 keys' scores per query head: 1-row blocks at
    // first, as at a deep context) over chunks of 5 gives the same, in both cache types.
    for (const kvDtype of ['float32', 'float16'] as const) {
      const plain = await open(dir, undefined, 5, { kvDtype });
      const whole = (await plain.forward(plain.embed(prompt), prompt.length)).slice();
      const group = config.numHeads / config.numKvHeads;
      const blocked = await open(dir, undefined, 5, { kvDtype, attentionScoreBudget: group * 2 * prompt.length });
      const split = await blocked.forward(blocked.embed(prompt), prompt.length);
      expect(maxAbsDiff(split, whole) / maxAbs(whole)).toBeLessThan(1e-6);
      if (kvDtype === 'float32') expect(maxAbsDiff(split, full) / maxAbs(full)).toBeLessThan(1e-5);
    }
  });

  it('decode steps attend natively and through the attention graph alike, at 1 and 2 threads', async () => {
    const dir = await prepared('fp32');
    const want = referenceGreedy(prompts[2]!, 12);
    for (const [decodeAttention, threads] of [['native', 1], ['native', 2], ['graph', 1]] as const) {
      const session = await open(dir, undefined, undefined, { decodeAttention, threads });
      expect(session.decodeAttention).toBe(decodeAttention);
      const got = await graphGreedy(session, prompts[2]!, 12);
      expect(got.ids).toEqual(want.ids);
      got.logits.forEach((l, t) => expect(maxAbsDiff(l, want.logits[t]!) / maxAbs(want.logits[t]!)).toBeLessThan(1e-4));
    }
  });

  it('a float16 KV cache: the same greedy ids, its logit error reported and bounded', async () => {
    const dir = await prepared('fp32');
    const want = referenceGreedy(prompts[1]!, 24);
    for (const decodeAttention of ['native', 'graph'] as const) {
      const session = await open(dir, 4, 5, { kvDtype: 'float16', decodeAttention });
      const got = await graphGreedy(session, prompts[1]!, 24);
      const err = Math.max(...got.logits.map((l, t) => maxAbsDiff(l, want.logits[t]!) / maxAbs(want.logits[t]!)));
      console.log(`[qwen2 fp16 KV cache, ${decodeAttention} decode attention] max relative logit error ${err.toExponential(3)}`);
      expect(got.ids).toEqual(want.ids);
      expect(err).toBeLessThan(5e-3);
      expect(err).toBeGreaterThan(0); // the cache really is float16
    }
  });

  it('ignores a stored lm_head when tie_word_embeddings is true, and uses it when false', async () => {
    const untied = { ...config, tieWordEmbeddings: false };
    const dir = join(root, 'untied');
    mkdirSync(dir, { recursive: true });
    await buildQwen2Artifacts(dir, untied, source, { precision: 'fp32' });
    const session = await open(dir);
    const prompt = prompts[1]!;
    const got = await session.forward(session.embed(prompt), prompt.length);
    const ref = new Qwen2Reference(untied, await loadQwen2ReferenceWeights(untied, source));
    const want = ref.forward(ref.embed(prompt), prompt.map((_, i) => i), ref.newCache()).slice(-config.vocabSize);
    expect(maxAbsDiff(got, want) / maxAbs(want)).toBeLessThan(1e-4);
    const tied = reference.forward(reference.embed(prompt), prompt.map((_, i) => i), reference.newCache()).slice(-config.vocabSize);
    expect(maxAbsDiff(got, tied) / maxAbs(tied)).toBeGreaterThan(1e-2);
  });
});

describe('int4 wiring', () => {
  it('the int4 graph (accuracy 0) equals the reference run on the dequantized weights', async () => {
    const settings: Int4Settings = { blockSize: 32, accuracyLevel: 0, symmetric: true, lmHead: 'int4' };
    const quantizer = int4Quantizer();
    // Quantization is per row along K, so quantizing q, k and v apart gives the packed qkv's rows.
    const roundTrip = new Map(weights);
    for (const [name, w] of weights) {
      if (!name.endsWith('proj.weight') && name !== qwen2Names.embedTokens) continue;
      const cols = name.endsWith('down_proj.weight') ? config.intermediateSize : name.endsWith('o_proj.weight') ? config.numHeads * config.headDim : config.hiddenSize;
      roundTrip.set(name, dequantizeInt4(quantizer.quantize(w, w.length / cols, cols, { blockSize: settings.blockSize, symmetric: true, scaleDtype: 'float32' })));
    }
    const refSource = { readFloat32: (name: string) => Promise.resolve(roundTrip.get(name)!) };
    const ref = new Qwen2Reference(config, await loadQwen2ReferenceWeights(config, refSource));
    const session = await open(await prepared('int4', settings));
    for (const prompt of prompts) {
      session.reset();
      // Both get the same input rows (the prepared table is float16): only the head is quantized.
      const embeds = session.embed(prompt);
      const got = await session.forward(embeds, prompt.length);
      const want = ref.forward(embeds, prompt.map((_, i) => i), ref.newCache()).slice(-config.vocabSize);
      expect(maxAbsDiff(got, want) / maxAbs(want)).toBeLessThan(1e-4);
    }
  });
});

describe('reduced precisions: error figures against the fp32 reference (64 greedy tokens)', () => {
  const cases: Array<[string, DecoderPrecision, Int4Settings | undefined, number, number]> = [
    // [label, precision, int4, max relative logit error bound, min greedy agreement]: loose sanity
    // bounds (uniform random weights are a worst case for 4 bits); a wiring bug gives errors ~1.
    ['fp16', 'fp16', undefined, 0.02, 0.9],
    ['int4 block 32, accuracy 4, symmetric, 4-bit head (default)', 'int4', { blockSize: 32, accuracyLevel: 4, symmetric: true, lmHead: 'int4' }, 0.5, 0.5],
    ['int4 block 32, accuracy 4, symmetric, float32 head', 'int4', { blockSize: 32, accuracyLevel: 4, symmetric: true, lmHead: 'float' }, 0.5, 0.5],
    ['int4 block 32, accuracy 0, symmetric, 4-bit head', 'int4', { blockSize: 32, accuracyLevel: 0, symmetric: true, lmHead: 'int4' }, 0.5, 0.5],
    ['int4 block 32, accuracy 4, zero points, 4-bit head', 'int4', { blockSize: 32, accuracyLevel: 4, symmetric: false, lmHead: 'int4' }, 0.5, 0.5],
    ['int4 block 128, accuracy 4, symmetric, 4-bit head', 'int4', { blockSize: 128, accuracyLevel: 4, symmetric: true, lmHead: 'int4' }, 0.5, 0.5],
  ];
  it.each(cases)('%s', async (label, precision, int4, maxRel, minAgreement) => {
    const session = await open(await prepared(precision, int4));
    const prompt = prompts[2]!;
    const want = referenceGreedy(prompt, 64);
    // Teacher-forced on the reference ids, so every step compares logits of the same context.
    session.reset();
    let logits = await session.forward(session.embed(prompt), prompt.length);
    let worst = 0;
    let agree = 0;
    for (let t = 0; t < 64; t++) {
      worst = Math.max(worst, maxAbsDiff(logits, want.logits[t]!) / maxAbs(want.logits[t]!));
      if (argmax(logits) === want.ids[t]) agree++;
      logits = await session.forward(session.embed([want.ids[t]!]), 1);
    }
    console.log(`[qwen2 ${label}] max relative logit error ${worst.toExponential(3)}, greedy agreement ${agree}/64`);
    expect(worst).toBeLessThan(maxRel);
    expect(agree / 64).toBeGreaterThanOrEqual(minAgreement);
  });
});
