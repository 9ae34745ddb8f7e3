// The decode loop: prefill the prompt once, then one token at a time, greedy (argmax), until a
// stop id or the token budget. Timings are taken here so every caller reports the same figures.
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import type { Qwen2DecoderSession } from './qwen2-decoder-session.js';

export interface GenerateTimings {
  promptTokens: number;
  newTokens: number;
  prefillMs: number;
  /** Time of the decode steps (each new token after the first). */
  decodeMs: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export interface GreedyResult {
  tokenIds: number[];
  stopReason: 'max-new-tokens' | 'eos';
  timings: GenerateTimings;
}

export interface GreedyOptions {
  maxNewTokens: number;
  /** Stop after emitting one of these ids (it is included in the output). */
  stopIds?: readonly number[];
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  onToken?: (id: number) => void;
}

/** Index of the largest logit; the first on ties (as torch.argmax). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestValue = logits[0]!;
  for (let i = 1; i < logits.length; i++) {
    if (logits[i]! > bestValue) {
      bestValue = logits[i]!;
      best = i;
    }
  }
  return best;
}

export async function generateGreedy(session: Qwen2DecoderSession, promptIds: readonly number[], options: GreedyOptions): Promise<GreedyResult> {
  if (promptIds.length === 0) throw new ApolloError('INVALID_ARGUMENT', 'The prompt is empty; pass at least one token id.');
  const stop = new Set(options.stopIds ?? []);
  const now = () => performance.now();
  options.signal?.throwIfAborted();
  const t0 = now();
  let logits = await session.forward(session.embed(promptIds), promptIds.length, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  const prefillMs = now() - t0;
  const tokenIds: number[] = [];
  let stopReason: GreedyResult['stopReason'] = 'max-new-tokens';
  const t1 = now();
  for (;;) {
    const id = argmax(logits);
    tokenIds.push(id);
    options.onToken?.(id);
    options.onProgress?.({ stage: 'decode', done: tokenIds.length, total: options.maxNewTokens, unit: 'tokens' });
    if (stop.has(id)) {
      stopReason = 'eos';
      break;
    }
    if (tokenIds.length >= options.maxNewTokens) break;
    options.signal?.throwIfAborted();
    logits = await session.forward(session.embed([id]), 1);
  }
  const decodeMs = now() - t1;
  const decodeSteps = tokenIds.length - 1;
  return {
    tokenIds,
    stopReason,
    timings: {
      promptTokens: promptIds.length,
      newTokens: tokenIds.length,
      prefillMs,
      decodeMs,
      prefillTokensPerSecond: (promptIds.length / prefillMs) * 1000,
      decodeTokensPerSecond: decodeSteps > 0 ? (decodeSteps / decodeMs) * 1000 : 0,
    },
  };
}
