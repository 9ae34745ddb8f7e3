// The Qwen2 sizes the decoder graph and the reference forward need, read from the checkpoint's
// `llm/config.json` (spec section 9/10): nothing here is a constant.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';

export interface Qwen2Config {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
}

const positiveInt = z.number().int().positive();

const llmConfigSchema = z.looseObject({
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt,
  intermediate_size: positiveInt,
  vocab_size: positiveInt,
  rms_norm_eps: z.number().positive(),
  rope_theta: z.number().positive(),
  max_position_embeddings: positiveInt,
  tie_word_embeddings: z.boolean(),
  head_dim: positiveInt.optional(),
  rope_scaling: z.null().optional(),
  use_sliding_window: z.literal(false).optional(),
});

/** Maps a parsed `llm/config.json` object to the sizes; refuses shapes Qwen2 cannot have. */
export function qwen2ConfigFromJson(json: unknown, label = 'llm/config.json'): Qwen2Config {
  const parsed = llmConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${label} is missing a Qwen2 setting or has an unexpected value (${parsed.error.issues[0]?.path.join('.') ?? '?'}); download the model again.`);
  }
  const c = parsed.data;
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0 || c.num_attention_heads % c.num_key_value_heads !== 0) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${label} has attention sizes that do not fit together (hidden ${c.hidden_size}, heads ${c.num_attention_heads}, kv heads ${c.num_key_value_heads}); download the model again.`);
  }
  return {
    hiddenSize: c.hidden_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads: c.num_key_value_heads,
    headDim,
    intermediateSize: c.intermediate_size,
    vocabSize: c.vocab_size,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta: c.rope_theta,
    maxPositionEmbeddings: c.max_position_embeddings,
    tieWordEmbeddings: c.tie_word_embeddings,
  };
}

/** Reads `<llmDir>/config.json`. */
export async function loadQwen2Config(llmDir: string): Promise<Qwen2Config> {
  const path = join(llmDir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} cannot be read; check the model folder or download the model again.`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} is not valid JSON; download the model again.`, { cause: error });
  }
  return qwen2ConfigFromJson(json, path);
}

/** Checkpoint tensor names of Qwen2 (spec section 10). */
export const qwen2Names = {
  embedTokens: 'model.embed_tokens.weight',
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head.weight',
  layer: (i: number) => ({
    inputNorm: `model.layers.${i}.input_layernorm.weight`,
    postAttentionNorm: `model.layers.${i}.post_attention_layernorm.weight`,
    q: `model.layers.${i}.self_attn.q_proj`,
    k: `model.layers.${i}.self_attn.k_proj`,
    v: `model.layers.${i}.self_attn.v_proj`,
    o: `model.layers.${i}.self_attn.o_proj`,
    gate: `model.layers.${i}.mlp.gate_proj`,
    up: `model.layers.${i}.mlp.up_proj`,
    down: `model.layers.${i}.mlp.down_proj`,
  }),
};

/** The output matrix: embed_tokens when tied, even if lm_head.weight is stored (spec 11.7). */
export function outputMatrixName(config: Qwen2Config): string {
  return config.tieWordEmbeddings ? qwen2Names.embedTokens : qwen2Names.lmHead;
}
