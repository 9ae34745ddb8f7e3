// Cost of the chat modules around each decode step, at the real Qwen2.5 vocabulary size read from
// the tokenizer: choosing the next token (Apollo's default warpers, greedy, top-p without top-k),
// streaming one token's text, and planning a first question and a follow-up on a 10-minute video.
// Run: flock /tmp/apollo-heavy.lock npx tsx bench/chat-sampling.bench.ts
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chooseNextToken, type SamplingParams } from '../electron/engine/chat/sampling.js';
import { createSeededRandom } from '../electron/engine/model/seeded-random.js';
import { AnswerStreamDecoder } from '../electron/engine/chat/stream-decoder.js';
import { cachedIdsAfterAnswer, planConversationTurn } from '../electron/engine/chat/conversation-plan.js';
import { planApolloClips } from '../electron/engine/video/apollo-clip-plan.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../electron/engine/video/sampling-settings.js';
import { buildVideoText } from '../electron/engine/video/video-text.js';
import { qwen25Tokenizer } from '../test/unit/chat-tokenizer-fixture.js';
import { benchDir, machineFacts, timeMedian, writeResult, type Measurement } from './bench-harness.js';

const tok = qwen25Tokenizer();
// Logits have one entry per embedding row: vocab_size of the real 3B config, not the tokenizer's count.
const llmConfig = JSON.parse(readFileSync(join(benchDir, '..', 'test/fixtures/checkpoint-configs/apollo-3b/llm/config.json'), 'utf8')) as { vocab_size: number };
const vocab = llmConfig.vocab_size;
const random = createSeededRandom(1);
const logits = new Float32Array(vocab);
for (let i = 0; i < vocab; i++) logits[i] = (random() - 0.5) * 12;
const scratch = new Float32Array(vocab);
const generated = Array.from({ length: 128 }, (_, i) => (i * 7919) % vocab);

const apollo: SamplingParams = { doSample: true, temperature: 0.4, topK: 20, topP: 0.7, repetitionPenalty: 1.05 };
const measurements: Measurement[] = [];
const perCall = (name: string, calls: number, fn: () => void, extra: Record<string, unknown> = {}) => {
  const t = timeMedian(() => {
    for (let i = 0; i < calls; i++) fn();
  }, { warmup: 1, runs: 5 });
  measurements.push({ name, seconds: t.seconds / calls, runs: t.runs, ...extra });
};
const copyThen = (params: SamplingParams) => () => {
  scratch.set(logits);
  chooseNextToken(scratch, generated, params, random);
};
perCall('copy logits only (baseline)', 50, () => scratch.set(logits), { vocab });
perCall('chooseNextToken: T 0.4, top-k 20, top-p 0.7, penalty 1.05', 50, copyThen(apollo), { vocab });
perCall('chooseNextToken: greedy with penalty', 50, copyThen({ ...apollo, doSample: false }), { vocab });
perCall('chooseNextToken: top-p 0.7 without top-k', 3, copyThen({ ...apollo, topK: 0 }), { vocab });

const answer = tok.encode('At 1:23 the man throws a ball 🎾 into the sea, and the dog — a brown labrador — runs after it. '.repeat(6));
perCall('stream decoder, per token', 1, () => {
  const d = new AnswerStreamDecoder(tok);
  for (const id of answer) d.push(id);
  d.finish();
}, { tokens: answer.length });
measurements[measurements.length - 1]!.seconds /= answer.length;

const settings = { ...DEFAULT_SAMPLING_SETTINGS };
const plan = planApolloClips({ frameCount: 18000, fps: 30 }, settings);
const videoText = buildVideoText(plan, settings);
const base = { videoText, modelMaxLength: settings.modelMaxLength, reserveTokens: 256, clipCount: plan.groupCount, tokensPerClip: settings.numOutputTokens };
let first = planConversationTurn(tok, { ...base, history: [], question: 'What happens in this video?' });
perCall('plan first question (10-minute video)', 1, () => {
  first = planConversationTurn(tok, { ...base, history: [], question: 'What happens in this video?' });
}, { promptTokens: first.ids.length, clips: plan.groupCount });
const cachedIds = cachedIdsAfterAnswer(first.ids, [...answer.slice(0, 60), 151645]);
const history = [{ question: 'What happens in this video?', answer: tok.decode(answer.slice(0, 60)).trim() }];
let follow = planConversationTurn(tok, { ...base, history, question: 'And then?', cachedIds });
perCall('plan follow-up (10-minute video)', 1, () => {
  follow = planConversationTurn(tok, { ...base, history, question: 'And then?', cachedIds });
}, { prefillTokens: follow.prefillIds.length, reusedTokens: follow.reuseLength });

const s = (prefix: string) => measurements.find((m) => m.name.startsWith(prefix))!.seconds;
const path = writeResult({
  bench: 'chat-sampling',
  date: new Date().toISOString(),
  machine: machineFacts(),
  measurements,
  summary: {
    vocab,
    apolloSamplingMs: s('chooseNextToken: T 0.4') * 1e3,
    greedyMs: s('chooseNextToken: greedy') * 1e3,
    followUpPrefillTokens: follow.prefillIds.length,
    loadAverage1m: loadavg()[0],
  },
});
console.log(JSON.stringify({ path, measurements }, null, 2));
