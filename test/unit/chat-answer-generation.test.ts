import { describe, expect, it } from 'vitest';
import { generateAnswer } from '../../electron/engine/chat/answer-generation.js';
import { resolveGenerationSettings } from '../../electron/engine/chat/generation-config.js';
import { pythonStrip } from '../../electron/engine/chat/stream-decoder.js';
import { qwen25Tokenizer } from './chat-tokenizer-fixture.js';

const tok = qwen25Tokenizer();
const stockFile = { eos_token_id: [151645, 151643], top_k: 20, repetition_penalty: 1.05 };
// "Hello 🦙 world" with the llama spread over three byte-level tokens, then <|im_end|>.
const script = [...tok.encode('Hello'), 11162, 99, 247, ...tok.encode(' world'), 151645];

/** A stand-in model whose logits put the script's next token first (a real computation, no mock of the loop). */
function scriptedModel(sequence: number[]) {
  let position = 0;
  const logitsAt = (i: number): Float32Array => {
    const logits = new Float32Array(tok.idCount);
    for (let v = 0; v < logits.length; v++) logits[v] = ((v * 2654435761) % 1000) / 1000;
    const next = sequence[Math.min(i, sequence.length - 1)] as number;
    logits[next] = 30;
    return logits;
  };
  const fed: number[] = [];
  return {
    first: logitsAt(0),
    fed,
    feed: async (id: number) => {
      fed.push(id);
      position++;
      return logitsAt(position);
    },
  };
}

describe('generateAnswer', () => {
  it('streams whole characters, stops on <|im_end|>, and reports what the cache holds', async () => {
    const model = scriptedModel(script);
    const deltas: string[] = [];
    const answer = await generateAnswer({
      tokenizer: tok,
      settings: resolveGenerationSettings(stockFile, { greedy: true }),
      firstLogits: model.first,
      feed: model.feed,
      onDelta: (d) => deltas.push(d),
    });
    expect(answer.ids).toEqual(script);
    expect(answer.stopReason).toBe('stop-token');
    expect(answer.text).toBe('Hello \u{1F999} world');
    expect(deltas.join('')).toBe(answer.text);
    expect(deltas).toContain(' \u{1F999}');
    expect(answer.fedIds).toEqual(script.slice(0, -1));
    expect(model.fed).toEqual(answer.fedIds);
  });

  it('stops after max_new_tokens', async () => {
    const model = scriptedModel(script);
    const answer = await generateAnswer({
      tokenizer: tok,
      settings: resolveGenerationSettings(stockFile, { greedy: true, maxNewTokens: 3 }),
      firstLogits: model.first,
      feed: model.feed,
    });
    expect(answer).toMatchObject({ ids: script.slice(0, 3), fedIds: script.slice(0, 2), stopReason: 'max-new-tokens' });
    expect(answer.text).toBe(pythonStrip(tok.decode(script.slice(0, 3), { skipSpecialTokens: true })));
  });

  it('cancels within one token and keeps the partial answer', async () => {
    const model = scriptedModel(script);
    const controller = new AbortController();
    const answer = await generateAnswer({
      tokenizer: tok,
      settings: resolveGenerationSettings(stockFile, { greedy: true }),
      firstLogits: model.first,
      feed: model.feed,
      signal: controller.signal,
      onToken: (_id, index) => {
        if (index === 2) controller.abort();
      },
    });
    expect(answer.stopReason).toBe('cancelled');
    expect(answer.ids).toEqual(script.slice(0, 3));
    expect(answer.fedIds).toEqual(script.slice(0, 2));
    expect(answer.text).toBe(pythonStrip(tok.decode(answer.ids, { skipSpecialTokens: true })));
  });

  it('samples reproducibly from a seed', async () => {
    const run = async (seed: number) => {
      const model = scriptedModel(script);
      // A flat model: every answer token comes from the sampler, not from a peak.
      const flat = async (id: number) => {
        await model.feed(id);
        return new Float32Array(tok.idCount).map((_, v) => ((v * 40503 + model.fed.length * 7) % 997) / 200);
      };
      return generateAnswer({
        tokenizer: tok,
        settings: resolveGenerationSettings(stockFile, { seed, maxNewTokens: 12 }),
        firstLogits: new Float32Array(tok.idCount).map((_, v) => (v % 991) / 200),
        feed: flat,
      });
    };
    const a = await run(3);
    expect((await run(3)).ids).toEqual(a.ids);
    expect((await run(4)).ids).not.toEqual(a.ids);
  });
});
