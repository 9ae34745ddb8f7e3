// When an answer ends (spec section 9): on <|im_end|> (the CHATML separator the reference's
// KeywordsStoppingCriteria watches, by id), on any eos id of generation_config.json, or after
// max_new_tokens generated tokens, whichever comes first; a cancel ends it between two tokens.
import type { ChatTokenizer } from './tokenizer.js';

export type StopReason = 'stop-token' | 'max-new-tokens' | 'cancelled';

export interface StopRule {
  stopTokenIds: ReadonlySet<number>;
  maxNewTokens: number;
}

/** The stop ids: generation_config's eos ids plus the template separator's id. */
export function createStopRule(
  tokenizer: ChatTokenizer,
  settings: { eosTokenIds: readonly number[]; maxNewTokens: number },
  separator = '<|im_end|>',
): StopRule {
  const ids = new Set(settings.eosTokenIds);
  const separatorId = tokenizer.tokenId(separator);
  if (separatorId !== undefined) ids.add(separatorId);
  return { stopTokenIds: ids, maxNewTokens: settings.maxNewTokens };
}

/** Checked after each generated token (the token itself is part of the output, as in HF). */
export function stopReason(rule: StopRule, generated: readonly number[], cancelled = false): StopReason | null {
  const last = generated[generated.length - 1];
  if (last !== undefined && rule.stopTokenIds.has(last)) return 'stop-token';
  if (generated.length >= rule.maxNewTokens) return 'max-new-tokens';
  if (cancelled) return 'cancelled';
  return null;
}
