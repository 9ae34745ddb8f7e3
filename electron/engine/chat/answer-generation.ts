// The token loop of one answer, independent of how logits are computed: sample from the prefill's
// logits, stream the text, feed each token back for the next logits, stop on a stop token,
// max_new_tokens or a cancel (checked between tokens, so a cancel costs at most one step).
import { chooseNextToken } from './sampling.js';
import { createSeededRandom } from '../model/seeded-random.js';
import { createStopRule, stopReason, type StopReason } from './stop-conditions.js';
import { AnswerStreamDecoder } from './stream-decoder.js';
import type { GenerationSettings } from './generation-config.js';
import type { ChatTokenizer } from './tokenizer.js';

export interface AnswerGenerationOptions {
  tokenizer: ChatTokenizer;
  settings: GenerationSettings;
  /** Logits of the last prefilled position (vocabulary-sized; overwritten by sampling). */
  firstLogits: Float32Array;
  /** Feeds one generated token to the model (appending it to the KV cache); returns the next logits. */
  feed: (tokenId: number) => Promise<Float32Array>;
  signal?: AbortSignal;
  /** Each text delta as it becomes whole characters. */
  onDelta?: (delta: string) => void;
  /** Each generated id as soon as it is chosen, with its index in the answer. */
  onToken?: (tokenId: number, index: number) => void;
}

export interface GeneratedAnswer {
  /** decode(ids, skip_special_tokens).strip(): the reference's answer text. */
  text: string;
  /** Every generated id, the stop token included (as HF's output holds it). */
  ids: number[];
  /** The ids fed to the model, i.e. in its KV cache now (all but the last generated one). */
  fedIds: number[];
  stopReason: StopReason;
}

export async function generateAnswer(options: AnswerGenerationOptions): Promise<GeneratedAnswer> {
  const { tokenizer, settings, signal } = options;
  const rule = createStopRule(tokenizer, settings);
  const random = createSeededRandom(settings.seed);
  const decoder = new AnswerStreamDecoder(tokenizer);
  const generated: number[] = [];
  const fed: number[] = [];
  let logits = options.firstLogits;
  let reason: StopReason;
  // A function, not a narrowed property: the signal can fire inside the callbacks.
  const aborted = (): boolean => signal?.aborted === true;
  for (;;) {
    if (aborted()) {
      reason = 'cancelled';
      break;
    }
    const id = chooseNextToken(logits, generated, settings, random);
    generated.push(id);
    options.onToken?.(id, generated.length - 1);
    const delta = decoder.push(id);
    if (delta.length > 0) options.onDelta?.(delta);
    const stop = stopReason(rule, generated, aborted());
    if (stop !== null) {
      reason = stop;
      break;
    }
    logits = await options.feed(id);
    fed.push(id);
  }
  const end = decoder.finish();
  if (end.delta.length > 0) options.onDelta?.(end.delta);
  return { text: end.text, ids: generated, fedIds: fed, stopReason: reason };
}
