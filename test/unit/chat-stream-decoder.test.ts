import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../electron/engine/model/seeded-random.js';
import { AnswerStreamDecoder, pythonStrip } from '../../electron/engine/chat/stream-decoder.js';
import { runPython } from '../helpers/python-oracle.js';
import { slowDecodeOracle, stressIdSequences } from './chat-slow-decode-oracle.js';
import { QWEN25_LAST_ADDED_ID, qwen25Tokenizer, qwen25TokenizerFiles, qwen25TokenizerPath } from './chat-tokenizer-fixture.js';

function hasLoneSurrogate(s: string): boolean {
  return /\p{Surrogate}/u.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

describe('AnswerStreamDecoder', () => {
  const tok = qwen25Tokenizer();

  it('emits a character only once all its bytes have arrived', () => {
    const d = new AnswerStreamDecoder(tok);
    // "Hello 🦙." : the llama arrives as three byte-level tokens.
    const deltas = [...tok.encode('Hello'), 11162, 99, 247, 13].map((id) => d.push(id));
    expect(deltas).toEqual(['Hello', '', '', ' \u{1F999}', '.']);
    expect(d.finish()).toMatchObject({ text: 'Hello \u{1F999}.', delta: '' });
  });

  it('never emits leading whitespace and holds trailing whitespace back', () => {
    const d = new AnswerStreamDecoder(tok);
    const deltas = [198, 220, ...tok.encode('Yes'), 198, 198, ...tok.encode('no'), 220, 151645].map((id) => d.push(id));
    expect(deltas).toEqual(['', '', 'Yes', '', '', '\n\nno', '', '']);
    expect(d.finish()).toMatchObject({ text: 'Yes\n\nno', delta: '' });
  });

  it('keeps the partial answer on cancel, a cut character becoming U+FFFD as decode() gives it', () => {
    const d = new AnswerStreamDecoder(tok);
    d.push(tok.encode('Look')[0] as number);
    d.push(11162);
    d.push(99);
    const end = d.finish();
    expect(end.text).toBe(pythonStrip(tok.decode(end.ids, { skipSpecialTokens: true })));
    expect(end.text.startsWith('Look \ufffd')).toBe(true);
    expect(end.delta).toBe(end.text.slice('Look'.length));
    expect(() => d.push(13)).toThrow();
  });

  it('streams exactly decode(ids, skip_special_tokens).strip() of the reference (Python oracle), in whole characters', () => {
    const { tokenizerConfig } = qwen25TokenizerFiles();
    const sequences = stressIdSequences(createSeededRandom(11), 200, 30, tok.idCount);
    const expected = slowDecodeOracle(
      qwen25TokenizerPath(),
      tokenizerConfig,
      QWEN25_LAST_ADDED_ID,
      sequences.map((ids) => ({ ids, skip: true })),
    );
    sequences.forEach((ids, i) => {
      const d = new AnswerStreamDecoder(tok);
      let streamed = '';
      for (const id of ids) {
        const delta = d.push(id);
        expect(hasLoneSurrogate(delta)).toBe(false);
        streamed += delta;
        expect(d.text).toBe(streamed);
      }
      const end = d.finish();
      streamed += end.delta;
      expect(streamed, JSON.stringify(ids)).toBe(expected[i]?.stripped);
      expect(end.text).toBe(expected[i]?.stripped);
    });
  });

  it("strips Python's whitespace set, not JavaScript's", () => {
    const chars = Array.from({ length: 0x3001 }, (_, i) => String.fromCharCode(i)).join('') + '\ufeff';
    const python = JSON.parse(
      runPython('import json,sys; s=json.load(sys.stdin); print(json.dumps([c for c in s if c.isspace()]))', JSON.stringify(chars)).toString(),
    ) as string[];
    const ours = [...chars].filter((c) => pythonStrip(`a${c}`) === 'a');
    expect(ours).toEqual(python);
  });
});

describe('ids past the tokenizer', () => {
  it('decode to nothing (embedding rows beyond the vocabulary)', () => {
    const tok = qwen25Tokenizer();
    const d = new AnswerStreamDecoder(tok);
    expect(d.push(tok.idCount + 10)).toBe('');
    expect(d.push(tok.encode('ok')[0] as number)).toBe('ok');
    expect(tok.decode([tok.idCount + 3, 151645], { skipSpecialTokens: true })).toBe('');
  });
});
