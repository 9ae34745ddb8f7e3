// The Qwen2 sizes the decoder graph and the reference forward need, from the checkpoint's
// `llm/config.json` as model/apollo-config.ts parses it (spec section 9/10): nothing here is a constant.
import { join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import { loadQwen2ConfigFile, type Qwen2ConfigFile } from '../model/apollo-config.js';

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

/** Pure: the sizes from a parsed `llm/config.json`; refuses attention sizes the decoder graph cannot build. */
export function qwen2ConfigFromFile(c: Qwen2ConfigFile, label = 'llm/config.json'): Qwen2Config {
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

/** Reads `<llmDir>/config.json` through the checkpoint reader (model/apollo-config.ts). */
export async function loadQwen2Config(llmDir: string): Promise<Qwen2Config> {
  return qwen2ConfigFromFile(await loadQwen2ConfigFile(llmDir), join(llmDir, 'config.json'));
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
