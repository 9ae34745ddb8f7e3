import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generationConfigSchema, loadGenerationConfig, parseConfigText } from '../../electron/engine/model/apollo-config.js';
import {
  resolveGenerationSettings,
  type GenerationConfigFile,
  type GenerationOverrides,
} from '../../electron/engine/chat/generation-config.js';
import { createStopRule, stopReason } from '../../electron/engine/chat/stop-conditions.js';
import { makeTempDir } from '../helpers/paths.js';
import { qwen25Tokenizer } from './chat-tokenizer-fixture.js';

// The stock Qwen2.5-Instruct llm/generation_config.json (spec sections 9 and 11.6).
const stock: GenerationConfigFile = {
  bos_token_id: 151643,
  pad_token_id: 151643,
  do_sample: true,
  eos_token_id: [151645, 151643],
  repetition_penalty: 1.05,
  temperature: 0.7,
  top_p: 0.8,
  top_k: 20,
};

describe('resolveGenerationSettings (HF generate merge: defaults ← file ← call)', () => {
  it.each<[string, GenerationConfigFile, GenerationOverrides, Record<string, unknown>]>([
    [
      "the reference: the card's call over the stock file",
      stock,
      {},
      { doSample: true, temperature: 0.4, topP: 0.7, topK: 20, repetitionPenalty: 1.05, maxNewTokens: 256, eosTokenIds: [151645, 151643] },
    ],
    ['greedy keeps the penalty', stock, { greedy: true }, { doSample: false, repetitionPenalty: 1.05, topK: 20 }],
    ['temperature 0 means greedy, as do_sample=(temperature > 0)', stock, { temperature: 0 }, { doSample: false, temperature: 0 }],
    [
      'user overrides win',
      stock,
      { temperature: 0.9, topP: 0.95, topK: 0, repetitionPenalty: 1, maxNewTokens: 12, seed: 7 },
      { doSample: true, temperature: 0.9, topP: 0.95, topK: 0, repetitionPenalty: 1, maxNewTokens: 12, seed: 7 },
    ],
    [
      "a missing file falls back to transformers' GenerationConfig defaults",
      {},
      {},
      { doSample: true, temperature: 0.4, topP: 0.7, topK: 50, repetitionPenalty: 1, eosTokenIds: [] },
    ],
    ['one eos id', { eos_token_id: 151645 }, {}, { eosTokenIds: [151645] }],
    ['null values are absent values', parseConfigText(generationConfigSchema, JSON.stringify({ top_k: null, repetition_penalty: null }), 'generation_config.json'), {}, { topK: 50, repetitionPenalty: 1 }],
  ])('%s', (_name, file, overrides, expected) => {
    expect(resolveGenerationSettings(file, overrides)).toMatchObject(expected);
  });

  it.each<GenerationOverrides>([
    { temperature: -1 },
    { topP: 0 },
    { topP: 1.5 },
    { topK: 2.5 },
    { repetitionPenalty: 0 },
    { maxNewTokens: 0 },
    { seed: 1.5 },
  ])('rejects %o with INVALID_ARGUMENT', (overrides) => {
    expect(() => resolveGenerationSettings(stock, overrides)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('loadGenerationConfig (model/apollo-config.ts)', () => {
  it('reads the file, treats a missing one as defaults and rejects a damaged one', async () => {
    const dir = makeTempDir('chat-genconfig');
    const llm = join(dir, 'llm');
    mkdirSync(llm);
    const missing = await loadGenerationConfig(llm);
    expect(resolveGenerationSettings(missing)).toEqual(resolveGenerationSettings({}));
    writeFileSync(join(llm, 'generation_config.json'), JSON.stringify({ ...stock, transformers_version: '4.44.0' }));
    expect(await loadGenerationConfig(llm)).toMatchObject(stock);
    writeFileSync(join(llm, 'generation_config.json'), '{');
    await expect(loadGenerationConfig(llm)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID' });
    writeFileSync(join(llm, 'generation_config.json'), JSON.stringify({ top_k: 'twenty' }));
    await expect(loadGenerationConfig(llm)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID' });
  });
});

describe('stop conditions', () => {
  const tok = qwen25Tokenizer();
  const rule = createStopRule(tok, { eosTokenIds: [151643], maxNewTokens: 4 });

  it.each<[string, number[], boolean, string | null]>([
    ['<|im_end|> (the template separator)', [9707, 151645], false, 'stop-token'],
    ['an eos id of generation_config.json', [151643], false, 'stop-token'],
    ['max_new_tokens', [1, 2, 3, 4], false, 'max-new-tokens'],
    ['a stop token on the last allowed step is a stop token', [1, 2, 3, 151645], false, 'stop-token'],
    ['cancel between two tokens', [1], true, 'cancelled'],
    ['nothing yet', [1, 2], false, null],
    ['other special tokens do not stop', [151644], false, null],
  ])('%s', (_name, generated, cancelled, expected) => {
    expect(stopReason(rule, generated, cancelled)).toBe(expected);
  });

  it('stops on the union of the eos ids and <|im_end|>', () => {
    expect([...rule.stopTokenIds].sort()).toEqual([151643, 151645]);
  });
});
