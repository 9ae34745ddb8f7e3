// The chat modules driving a real Qwen2 decoder session (ONNX graph on onnxruntime, random weights
// at the real Qwen vocabulary size): a first question and a follow-up that reuses the KV cache must
// give exactly the tokens that the naive reference forward gives when it prefills the whole
// conversation from scratch, as the reference template lays it out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAnswer, type GeneratedAnswer } from '../../electron/engine/chat/answer-generation.js';
import { countMediaMarkers } from '../../electron/engine/chat/chat-prompt.js';
import { planConversationTurn, type ChatTurn, type ConversationPlan } from '../../electron/engine/chat/conversation-plan.js';
import { resolveGenerationSettings } from '../../electron/engine/chat/generation-config.js';
import { assembleInputsEmbeds, planSplice } from '../../electron/engine/chat/splice-plan.js';
import { selectDevice } from '../../electron/engine/llm/execution-device.js';
import { buildQwen2Artifacts } from '../../electron/engine/llm/qwen2-artifacts.js';
import { qwen2Names, type Qwen2Config } from '../../electron/engine/llm/qwen2-config.js';
import { Qwen2DecoderSession } from '../../electron/engine/llm/qwen2-decoder-session.js';
import { loadQwen2ReferenceWeights, Qwen2Reference } from '../reference/qwen2-reference.js';
import { int4Quantizer } from '../../electron/engine/quant/int4-quantize.js';
import { makeTempDir } from '../helpers/paths.js';
import { qwen25Tokenizer } from './chat-tokenizer-fixture.js';

const tok = qwen25Tokenizer();
const config: Qwen2Config = {
  hiddenSize: 16,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 8,
  intermediateSize: 32,
  vocabSize: 151936,
  rmsNormEps: 1e-6,
  ropeTheta: 1e6,
  maxPositionEmbeddings: 512,
  tieWordEmbeddings: true,
};

function randomWeights(c: Qwen2Config, seed: number): Map<string, Float32Array> {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  const m = new Map<string, Float32Array>();
  const put = (name: string, n: number, scale: number, offset = 0) => m.set(name, Float32Array.from({ length: n }, () => offset + next() * scale));
  const { hiddenSize: h, numHeads, numKvHeads, headDim: d, intermediateSize: inter, vocabSize: v } = c;
  put(qwen2Names.embedTokens, v * h, 0.5);
  put(qwen2Names.lmHead, v * h, 0.5);
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

const weights = randomWeights(config, 11);
const source = { readFloat32: (name: string) => Promise.resolve(weights.get(name) as Float32Array) };
const clipCount = 2;
const tokensPerClip = 4;
const videoText =
  'You are provided the following series of two, 2 second clips from a 0:00:04 [H:MM:SS] video.\n' +
  ['0.0-2.0', '2.0-4.0'].map((t) => `${t} seconds: ${'<|video_token|>'.repeat(tokensPerClip)}`).join(',\n');
const clipRows = Float32Array.from({ length: clipCount * tokensPerClip * config.hiddenSize }, (_, i) => Math.sin(i * 0.37) * 0.8);
const settings = resolveGenerationSettings({ eos_token_id: [151645, 151643], top_k: 20, repetition_penalty: 1.05 }, { greedy: true, maxNewTokens: 6 });
const base = { videoText, modelMaxLength: 400, reserveTokens: settings.maxNewTokens, clipCount, tokensPerClip };

let session: Qwen2DecoderSession;
let reference: Qwen2Reference;
beforeAll(async () => {
  const dir = makeTempDir('chat-multiturn');
  await buildQwen2Artifacts(dir, config, source, { precision: 'fp32', quantize: int4Quantizer().quantize });
  session = await Qwen2DecoderSession.open(dir, { device: await selectDevice('cpu'), threads: 1, capacity: 64 });
  reference = new Qwen2Reference(config, await loadQwen2ReferenceWeights(config, source));
});
afterAll(async () => {
  await session?.release();
});

/** One turn through the session: keep the reusable prefix, prefill the rest, generate. */
async function sessionTurn(plan: ConversationPlan): Promise<GeneratedAnswer> {
  session.truncate(plan.reuseLength);
  const embeds = assembleInputsEmbeds(planSplice(plan.ids, plan.reuseLength), {
    hiddenSize: config.hiddenSize,
    embedTokens: (ids) => session.embed(ids),
    clipRows,
  });
  const firstLogits = await session.forward(embeds, plan.prefillIds.length);
  return generateAnswer({ tokenizer: tok, settings, firstLogits, feed: (id) => session.forward(session.embed([id]), 1) });
}

/** The oracle: the naive forward prefills the whole sequence, then greedy with the penalty (HF rule). */
function referenceGreedy(ids: number[]): number[] {
  const cache = reference.newCache();
  const embeds = assembleInputsEmbeds(planSplice(ids), { hiddenSize: config.hiddenSize, embedTokens: (x) => reference.embed(x), clipRows });
  let logits: Float32Array = reference.forward(embeds, ids.map((_, i) => i), cache).slice(-config.vocabSize);
  const out: number[] = [];
  for (let step = 0; step < settings.maxNewTokens; step++) {
    const scores = Float32Array.from(logits);
    for (const id of new Set(out)) scores[id] = scores[id]! < 0 ? scores[id]! * Math.fround(1.05) : scores[id]! / Math.fround(1.05);
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
    out.push(best);
    if (best === 151645 || best === 151643) break;
    logits = reference.forward(reference.embed([best]), [ids.length + step], cache);
  }
  return out;
}

describe('multi-turn on a real decoder session', () => {
  it('a follow-up reusing the KV cache answers exactly like a full prefill of the whole conversation', async () => {
    const q1 = 'What happens in the video?';
    const first = planConversationTurn(tok, { ...base, history: [], question: q1 });
    const a1 = await sessionTurn(first);
    expect(a1.ids).toEqual(referenceGreedy(first.ids));
    expect(session.length).toBe(first.ids.length + a1.fedIds.length);

    const history: ChatTurn[] = [{ question: q1, answer: a1.text }];
    const cachedIds = [...first.ids, ...a1.fedIds];
    const follow = planConversationTurn(tok, { ...base, history, question: 'And then?', cachedIds });
    // The video and the first question are not prefilled again.
    expect(follow.reuseLength).toBeGreaterThan(first.ids.length - 1);
    expect(countMediaMarkers(follow.prefillIds)).toBe(0);
    const a2 = await sessionTurn(follow);
    expect(a2.ids).toEqual(referenceGreedy(follow.ids));
    expect(session.length).toBe(follow.ids.length + a2.fedIds.length);

    // Regenerate: rewind to before the last answer and get the same answer again.
    const again = planConversationTurn(tok, { ...base, history, question: 'And then?', cachedIds: [...follow.ids, ...a2.fedIds] });
    expect(again.prefillIds).toHaveLength(1);
    expect((await sessionTurn(again)).ids).toEqual(a2.ids);
  });
});
