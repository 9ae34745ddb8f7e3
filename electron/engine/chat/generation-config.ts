// The sampling settings of one answer, merged the way Hugging Face `generate` (transformers 4.44)
// merges them: GenerationConfig class defaults, overridden by llm/generation_config.json, overridden
// by the arguments of the call. The reference call (Apollo README) passes do_sample=(temperature>0),
// temperature 0.4, top_p 0.7 and max_new_tokens 256, so the file's top_k and repetition_penalty
// still apply (spec section 9).
import { ApolloError } from '../../shared/errors.js';
import type { GenerationConfig } from '../model/apollo-config.js';

/** The parts of a parsed `llm/generation_config.json` (model/apollo-config.ts) that a merge reads; absent keys take transformers' defaults. */
export type GenerationConfigFile = Partial<Pick<GenerationConfig, 'top_k' | 'repetition_penalty' | 'eos_token_id' | 'temperature' | 'top_p' | 'do_sample' | 'max_new_tokens' | 'bos_token_id' | 'pad_token_id'>>;

/** transformers' GenerationConfig defaults for the keys used here. */
export const HF_GENERATION_DEFAULTS = { temperature: 1.0, topK: 50, topP: 1.0, repetitionPenalty: 1.0 } as const;

/** The model card's generate() arguments (GH README; LMMS uses the same). */
export const APOLLO_CARD_GENERATE_ARGS = { temperature: 0.4, topP: 0.7, maxNewTokens: 256 } as const;

/** What the user may override for one answer (CLI flags, settings). */
export interface GenerationOverrides {
  greedy?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  maxNewTokens?: number;
  seed?: number;
}

export interface GenerationSettings {
  doSample: boolean;
  temperature: number;
  /** 0 disables top-k. */
  topK: number;
  /** 1 disables top-p. */
  topP: number;
  /** 1 disables the penalty. */
  repetitionPenalty: number;
  maxNewTokens: number;
  /** generation_config.json's eos_token_id (one id or several). */
  eosTokenIds: number[];
  /** Seed of the sampling generator (reproducible answers). */
  seed: number;
}

function badArgument(name: string, value: unknown, rule: string): ApolloError {
  return new ApolloError('INVALID_ARGUMENT', `${name} must be ${rule} (got ${String(value)}); run the command with --help.`, {
    details: { name, value },
  });
}

function toIds(value: number | number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Merges class defaults ← generation_config.json ← the card's call ← the user's overrides. */
export function resolveGenerationSettings(file: GenerationConfigFile, overrides: GenerationOverrides = {}): GenerationSettings {
  const temperature = overrides.temperature ?? APOLLO_CARD_GENERATE_ARGS.temperature;
  const topP = overrides.topP ?? APOLLO_CARD_GENERATE_ARGS.topP;
  const topK = overrides.topK ?? file.top_k ?? HF_GENERATION_DEFAULTS.topK;
  const repetitionPenalty = overrides.repetitionPenalty ?? file.repetition_penalty ?? HF_GENERATION_DEFAULTS.repetitionPenalty;
  const maxNewTokens = overrides.maxNewTokens ?? APOLLO_CARD_GENERATE_ARGS.maxNewTokens;
  const seed = overrides.seed ?? 0;
  if (!Number.isFinite(temperature) || temperature < 0) throw badArgument('temperature', temperature, 'a number ≥ 0');
  if (!Number.isFinite(topP) || topP <= 0 || topP > 1) throw badArgument('top-p', topP, 'a number in (0, 1]');
  if (!Number.isInteger(topK) || topK < 0) throw badArgument('top-k', topK, 'an integer ≥ 0');
  if (!Number.isFinite(repetitionPenalty) || repetitionPenalty <= 0) {
    throw badArgument('repetition penalty', repetitionPenalty, 'a number > 0');
  }
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw badArgument('max new tokens', maxNewTokens, 'an integer ≥ 1');
  if (!Number.isSafeInteger(seed)) throw badArgument('seed', seed, 'an integer');
  return {
    // The README passes do_sample=(temperature > 0); greedy is that with temperature 0.
    doSample: overrides.greedy !== true && temperature > 0,
    temperature,
    topK,
    topP,
    repetitionPenalty,
    maxNewTokens,
    eosTokenIds: toIds(file.eos_token_id),
    seed,
  };
}
