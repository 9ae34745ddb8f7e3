import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../electron/engine/model/seeded-random.js';
import { loadChatTokenizer } from '../../electron/engine/chat/tokenizer.js';
import { buildQwen25TokenizerFiles } from '../../electron/engine/model/qwen25-tokenizer-files.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';
import { slowDecodeOracle, stressIdSequences } from './chat-slow-decode-oracle.js';
import { QWEN25_LAST_ADDED_ID, qwen25Tokenizer, qwen25TokenizerFiles, qwen25TokenizerPath } from './chat-tokenizer-fixture.js';

interface KnownCase {
  source: string;
  text: string;
  ids: number[];
}
const known = (
  JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/tokenizer/qwen2-known-tokenizations.json'), 'utf8')) as { cases: KnownCase[] }
).cases;

describe('Qwen2.5 tokenizer: encoding', () => {
  const tok = qwen25Tokenizer();

  it.each(known.map((c, i) => [i, c.source, c] as const))('known tokenization #%i (%s)', (_i, _source, c) => {
    expect(tok.encode(c.text)).toEqual(c.ids);
  });

  it('covers digits split one by one, whitespace runs, emoji and mixed scripts', () => {
    const texts = known.map((c) => c.text);
    expect(texts).toContain('333333333');
    expect(texts.some((t) => t.includes('\n\n\n'))).toBe(true);
    expect(texts.some((t) => /\p{Extended_Pictographic}/u.test(t))).toBe(true);
    expect(texts.some((t) => /\p{Script=Khmer}/u.test(t) && /\p{Script=Han}/u.test(t))).toBe(true);
  });

  it('keeps the chat markers atomic and adds no special tokens', () => {
    expect(tok.encode('<|im_start|>hello<|im_end|>')).toEqual([151644, 14990, 151645]);
    const system = '<|im_start|>system\n\nYou are a helpful vision-language assistant.<|im_end|>\n';
    const ids = tok.encode(system);
    expect(ids[0]).toBe(151644);
    expect(ids.filter((id) => id === 151645)).toHaveLength(1);
    expect(ids.slice(1, ids.indexOf(151645))).toEqual(tok.encode('system\n\nYou are a helpful vision-language assistant.'));
    expect(ids[ids.length - 1]).toBe(198);
    expect(tok.encode('')).toEqual([]);
  });

  it('normalises to NFC over the whole text, as the slow tokenizer does', () => {
    // The three code points whose NFC, NFD, NFKC and NFKD forms all differ (transformers' test).
    expect(tok.encode('\u03d2\u0301\u03d2\u0308\u017f\u0307')).toEqual(tok.encode('\u03d3\u03d4\u1e9b'));
    expect(tok.encode('Cafe\u0301 <|im_end|>e\u0301')).toEqual(tok.encode('Caf\u00e9 <|im_end|>\u00e9'));
    expect(tok.encode('\u1100\u1161\u11a8')).toEqual(tok.encode('\uac01'));
  });

  it('reads the special and added tokens from the files', () => {
    const { tokenizerJson } = qwen25TokenizerFiles();
    for (const added of tokenizerJson.added_tokens) {
      expect(tok.tokenId(added.content)).toBe(added.id);
      expect(tok.isSpecial(added.id)).toBe(added.special);
    }
    expect(tok.isSpecial(9707)).toBe(false);
    expect(tok.idCount).toBe(QWEN25_LAST_ADDED_ID + 1);
  });
});

describe('Qwen2.5 tokenizer: decoding', () => {
  const tok = qwen25Tokenizer();

  it('round-trips the known texts', () => {
    for (const c of known) expect(tok.decode(c.ids)).toBe(c.text.normalize('NFC'));
  });

  it('skips special tokens only when asked and keeps the non-special added tokens', () => {
    const ids = [151644, ...tok.encode('hello'), 151645, 151657, 151643];
    expect(tok.decode(ids)).toBe('<|im_start|>hello<|im_end|><tool_call><|endoftext|>');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('hello<tool_call>');
  });

  it('matches the slow Qwen2Tokenizer decode (Python oracle) on stress sequences', () => {
    const { tokenizerConfig } = qwen25TokenizerFiles();
    const sequences = stressIdSequences(createSeededRandom(7), 150, 24, tok.idCount);
    const cases = sequences.flatMap((ids) => [
      { ids, skip: true },
      { ids, skip: false },
    ]);
    const expected = slowDecodeOracle(qwen25TokenizerPath(), tokenizerConfig, QWEN25_LAST_ADDED_ID, cases);
    cases.forEach((c, i) => {
      expect(tok.decode(c.ids, { skipSpecialTokens: c.skip }), JSON.stringify(c)).toBe(expected[i]?.text);
    });
    // The stress set really contains broken UTF-8 and whitespace at the ends.
    expect(expected.some((e) => e.text.includes('\ufffd'))).toBe(true);
    expect(expected.some((e) => e.text !== e.stripped)).toBe(true);
  });

  it('gives the raw bytes of byte-level tokens', () => {
    // " 🦙" is split over three tokens in the llama.cpp case " this is 🦙.cpp".
    const bytes = [11162, 99, 247].flatMap((id) => [...tok.tokenBytes(id)]);
    expect(Buffer.from(bytes).toString('utf8')).toBe(' \u{1F999}');
    expect(tok.tokenBytes(99).length).toBe(1);
  });
});

describe('loadChatTokenizer', () => {
  it("loads a checkpoint's llm folder and rejects damaged files with a typed error", async () => {
    const dir = makeTempDir('chat-tokenizer');
    const { tokenizerJson, tokenizerConfig } = qwen25TokenizerFiles();
    const llm = join(dir, 'llm');
    mkdirSync(llm);
    writeFileSync(join(llm, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    writeFileSync(join(llm, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
    const tok = await loadChatTokenizer(llm);
    expect(tok.encode('Hello world')).toEqual([9707, 1879]);

    writeFileSync(join(llm, 'tokenizer_config.json'), '{not json');
    await expect(loadChatTokenizer(llm)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID' });
    writeFileSync(join(llm, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
    writeFileSync(join(llm, 'tokenizer.json'), JSON.stringify({ ...tokenizerJson, model: { type: 'WordPiece', vocab: {} } }));
    await expect(loadChatTokenizer(llm)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID' });
    await expect(loadChatTokenizer(join(dir, 'missing'))).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID' });
  });
});

describe("the tiny checkpoint's tokenizer files (make-tiny-model)", () => {
  it('load through loadChatTokenizer and tokenise and decode like the stock Qwen2.5 tokenizer', async () => {
    const llm = join(makeTempDir('chat-tiny-tokenizer'), 'llm');
    mkdirSync(llm);
    for (const [name, content] of Object.entries(await buildQwen25TokenizerFiles({ modelMaxLength: 16384 }))) {
      writeFileSync(join(llm, name), content);
    }
    const tok = await loadChatTokenizer(llm);
    for (const c of known) expect(tok.encode(c.text)).toEqual(c.ids);
    const reference = qwen25Tokenizer();
    expect(tok.idCount).toBe(reference.idCount);
    for (let id = 151640; id < tok.idCount; id++) expect(tok.isSpecial(id)).toBe(reference.isSpecial(id));
    expect(tok.decode([151644, 9707, 151645, 151657], { skipSpecialTokens: true })).toBe('Hello<tool_call>');
  });
});
