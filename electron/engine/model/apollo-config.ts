// The Apollo checkpoint's configuration files, validated with zod at the boundary, and every graph
// size derived from them (spec sections 1, 5, 7, 9, 10). Unknown keys pass through untouched. Where
// a key may be absent, its default is the one of the Python class that reads it (transformers,
// configuration_internvideo2.py), never a guess about Apollo.
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';

const positiveInt = z.number().int().positive();
/**
 * A size of the model: a positive integer no larger than the Apollo family (Qwen2.5 LLMs, SigLIP,
 * InternVideo2, the Perceiver connector) can have, with room to spare. A hostile or damaged file
 * (max_position_embeddings 25,000,000, absurd widths) is CHECKPOINT_CONFIG_INVALID before anything
 * is allocated from it.
 */
const dim = (max: number) => positiveInt.max(max, `must be at most ${max} for an Apollo model`);
const tokenId = z.number().int().nonnegative();
const folderName = z
  .string()
  .min(1)
  .refine((s) => !/[\\/]/.test(s) && s !== '.' && s !== '..', 'must be a folder name inside the checkpoint');
const triple = z.tuple([dim(65536), dim(65536), dim(65536)]);

/** Root `config.json` (ApolloConfig). */
export const apolloRootConfigSchema = z.looseObject({
  architectures: z.array(z.string()).optional(),
  model_type: z.string().optional(),
  llm_cfg: z.looseObject({
    model_max_length: dim(131072).optional(),
    tokenizer_model_max_length: dim(131072).optional(),
  }),
  vision_tower_cfg: z.looseObject({}),
  mm_connector_cfg: z.looseObject({ num_output_tokens: dim(4096).optional() }),
  // Spec 11.1: the reference crashes on null, so the real file carries an integer; -2 or -1.
  mm_vision_select_layer: z.number().int(),
  // Spec 11.2: must be "patch" for the InternVideo2 reshape (SigLIP forces cls_patch anyway).
  mm_vision_select_feature: z.enum(['patch', 'cls_patch']).default('patch'),
  clip_duration: z.number().positive().max(3600),
  // Spec 11.3: present (16384) in the real files; llm_cfg's copy is the fallback.
  model_max_length: dim(131072).optional(),
  tokenizer_model_max_length: dim(131072).optional(),
  // Only bounds memory while encoding (spec 2); absent in some sizes.
  encode_batch_size: dim(512).optional(),
  hidden_size: dim(16384).optional(),
  intermediate_size: dim(65536).optional(),
  attn_implementation: z.string().optional(),
  drop_path_rate: z.number().optional(),
  image_aspect_ratio: z.string().optional(),
  interpolate_mode: z.string().optional(),
  model_dtype: z.string().optional(),
  use_mm_start_end: z.boolean().default(false),
  num_video_frames: dim(256).nullable().optional(),
});
export type ApolloRootConfig = z.infer<typeof apolloRootConfigSchema>;

/**
 * The keys of the root `config.json` that clip planning reads (clip sampling, the context budget,
 * tokens per clip): `apollo-chat plan --model` works on a folder holding only that file.
 */
export const apolloPlanningConfigSchema = apolloRootConfigSchema
  .pick({ clip_duration: true, model_max_length: true, tokenizer_model_max_length: true, mm_connector_cfg: true })
  .extend({ llm_cfg: apolloRootConfigSchema.shape.llm_cfg.optional() });
export type ApolloPlanningConfig = z.infer<typeof apolloPlanningConfigSchema>;

/** `llm/config.json` (transformers Qwen2Config). */
export const qwen2ConfigSchema = z
  .looseObject({
    architectures: z.array(z.string()).optional(),
    model_type: z.literal('qwen2'),
    hidden_size: dim(16384),
    intermediate_size: dim(65536),
    num_hidden_layers: dim(256),
    num_attention_heads: dim(256),
    num_key_value_heads: dim(256),
    // Newer transformers read an explicit head_dim; 4.44 (Apollo's) always uses hidden / heads.
    head_dim: dim(1024).optional(),
    vocab_size: dim(524288),
    max_position_embeddings: dim(131072),
    rope_theta: z.number().positive(),
    rms_norm_eps: z.number().positive(),
    tie_word_embeddings: z.boolean(),
    hidden_act: z.literal('silu').default('silu'),
    // The port implements plain RoPE without scaling and full (not sliding-window) attention.
    rope_scaling: z.null().optional(),
    use_sliding_window: z.literal(false).default(false),
    sliding_window: z.number().int().nullable().optional(),
    max_window_layers: z.number().int().optional(),
    attention_dropout: z.number().optional(),
    bos_token_id: tokenId.nullable().optional(),
    eos_token_id: z.union([tokenId, z.array(tokenId)]).nullable().optional(),
    torch_dtype: z.string().optional(),
    model_max_length: dim(131072).optional(),
    tokenizer_model_max_length: dim(131072).optional(),
  })
  .check((ctx) => {
    const c = ctx.value;
    if (c.num_attention_heads % c.num_key_value_heads !== 0) ctx.issues.push({ code: 'custom', input: c, path: ['num_key_value_heads'], message: 'num_attention_heads must be a multiple of num_key_value_heads' });
    if (c.head_dim === undefined && c.hidden_size % c.num_attention_heads !== 0) ctx.issues.push({ code: 'custom', input: c, path: ['hidden_size'], message: 'hidden_size must be a multiple of num_attention_heads' });
  });
export type Qwen2ConfigFile = z.infer<typeof qwen2ConfigSchema>;

/** Top-level nulls read as absent keys (transformers writes None for unset values). */
function withoutNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

/** `llm/generation_config.json`; defaults are transformers' GenerationConfig defaults. */
export const generationConfigSchema = z.preprocess(withoutNulls, z.looseObject({
  bos_token_id: tokenId.optional(),
  pad_token_id: tokenId.optional(),
  eos_token_id: z.union([tokenId, z.array(tokenId)]).optional(),
  do_sample: z.boolean().default(false),
  temperature: z.number().nonnegative().default(1),
  top_p: z.number().min(0).max(1).default(1),
  top_k: z.number().int().nonnegative().default(50),
  repetition_penalty: z.number().positive().default(1),
  max_new_tokens: dim(131072).optional(),
  transformers_version: z.string().optional(),
}));
export type GenerationConfig = z.infer<typeof generationConfigSchema>;

/** `vision_tower/config.json` (hybrid tower): the order of `vision_towers` is the channel order. */
export const hybridVisionTowerConfigSchema = z
  .looseObject({
    model_type: z.literal('hybrid_vision_tower'),
    num_vision_encoders: dim(8),
    token_output_shape: triple,
    vision_towers: z.array(folderName).min(1),
  })
  .check((ctx) => {
    if (ctx.value.vision_towers.length !== ctx.value.num_vision_encoders) ctx.issues.push({ code: 'custom', input: ctx.value, path: ['vision_towers'], message: 'must list num_vision_encoders towers' });
  });
export type HybridVisionTowerConfig = z.infer<typeof hybridVisionTowerConfigSchema>;

/** SigLIP `config.json` (transformers SiglipVisionConfig; behavioural defaults from that class). */
export const siglipVisionConfigSchema = z
  .looseObject({
    architectures: z.array(z.string()).optional(),
    model_type: z.literal('siglip_vision_model'),
    hidden_size: dim(16384),
    intermediate_size: dim(65536),
    num_hidden_layers: dim(256),
    num_attention_heads: dim(256),
    image_size: dim(4096),
    patch_size: dim(1024),
    num_channels: dim(4).default(3),
    hidden_act: z.literal('gelu_pytorch_tanh').default('gelu_pytorch_tanh'),
    layer_norm_eps: z.number().positive().default(1e-6),
    attention_dropout: z.number().optional(),
  })
  .check((ctx) => {
    const c = ctx.value;
    if (c.hidden_size % c.num_attention_heads !== 0) ctx.issues.push({ code: 'custom', input: c, path: ['hidden_size'], message: 'hidden_size must be a multiple of num_attention_heads' });
    if (c.patch_size > c.image_size) ctx.issues.push({ code: 'custom', input: c, path: ['patch_size'], message: 'patch_size must not exceed image_size' });
  });
export type SiglipVisionConfig = z.infer<typeof siglipVisionConfigSchema>;

/** SigLIP `preprocessor_config.json` (SiglipImageProcessor; defaults from that class). */
export const siglipPreprocessorConfigSchema = z.looseObject({
  image_processor_type: z.string().optional(),
  do_resize: z.boolean().default(true),
  do_rescale: z.boolean().default(true),
  do_normalize: z.boolean().default(true),
  do_convert_rgb: z.boolean().nullable().optional(),
  // A dict in the stock file; an int (a square) in older image processors.
  size: z.union([dim(4096), z.looseObject({ height: dim(4096), width: dim(4096) })]),
  resample: z.number().int().min(0).max(5).default(3),
  rescale_factor: z.number().positive().default(1 / 255),
  image_mean: z.tuple([z.number(), z.number(), z.number()]).default([0.5, 0.5, 0.5]),
  image_std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([0.5, 0.5, 0.5]),
});
export type SiglipPreprocessorConfig = z.infer<typeof siglipPreprocessorConfigSchema>;

/**
 * InternVideo2 `config.json`. The real file has no depth / mlp_ratio / init_values /
 * qk_normalization keys: the configuration_internvideo2.py defaults apply (spec 1). Its generic
 * `hidden_size` / `num_hidden_layers` are transformers boilerplate and are ignored.
 */
export const internVideo2ConfigSchema = z
  .looseObject({
    architectures: z.array(z.string()).optional(),
    model_type: z.literal('internvideo2'),
    d_model: dim(16384),
    num_heads: dim(256),
    img_size: dim(4096),
    patch_size: dim(1024),
    num_frames: dim(256),
    tubelet_size: dim(64).default(1),
    in_chans: dim(4).default(3),
    depth: dim(256).default(40),
    mlp_ratio: z.number().positive().max(64).default(48 / 11),
    init_values: z.number().nonnegative().default(1e-5),
    qk_normalization: z.boolean().default(true),
    qkv_bias: z.boolean().default(false),
    sep_image_video_pos_embed: z.boolean().default(true),
    attn_pool_num_heads: dim(256).default(16),
    clip_embed_dim: dim(16384).default(768),
    clip_teacher_embed_dim: dim(16384).default(3200),
    clip_teacher_final_dim: z.number().int().nonnegative().max(16384).default(768),
    clip_return_layer: z.number().int().nonnegative().max(256).default(1),
    use_flash_attn: z.boolean().optional(),
    use_fused_mlp: z.boolean().optional(),
    use_fused_rmsnorm: z.boolean().optional(),
  })
  .check((ctx) => {
    const c = ctx.value;
    if (c.d_model % c.num_heads !== 0) ctx.issues.push({ code: 'custom', input: c, path: ['d_model'], message: 'd_model must be a multiple of num_heads' });
    if (c.num_frames % c.tubelet_size !== 0) ctx.issues.push({ code: 'custom', input: c, path: ['num_frames'], message: 'num_frames must be a multiple of tubelet_size' });
    if (c.d_model % c.attn_pool_num_heads !== 0) ctx.issues.push({ code: 'custom', input: c, path: ['attn_pool_num_heads'], message: 'd_model must be a multiple of attn_pool_num_heads' });
  });
export type InternVideo2Config = z.infer<typeof internVideo2ConfigSchema>;

/** InternVideo2 `preprocessor_config.json`: not used by the pipeline (spec 4.3), kept for completeness. */
export const internVideo2PreprocessorConfigSchema = z.looseObject({});

/** `mm_connector/config.json` (spec 7). */
export const connectorConfigSchema = z
  .looseObject({
    architectures: z.array(z.string()).optional(),
    model_type: z.literal('mm_connector'),
    projector_type: z.literal('mlp1x_gelu'),
    resampler_type: z.literal('perciver'),
    resampler_depth: dim(64),
    resampler_n_heads: dim(256),
    resampler_head_dim: dim(1024),
    num_key_value_heads: dim(256),
    ff_multi: dim(64),
    hidden_act: z.literal('silu').default('silu'),
    num_output_tokens: dim(4096),
    vision_hidden_size: dim(65536),
    text_hidden_size: dim(16384),
    token_input_shape: triple,
    rms_norm_eps: z.number().positive().optional(),
    num_patches: z.number().int().optional(),
    attention_dropout: z.number().optional(),
  })
  .check((ctx) => {
    const c = ctx.value;
    if (c.resampler_n_heads % c.num_key_value_heads !== 0) ctx.issues.push({ code: 'custom', input: c, path: ['num_key_value_heads'], message: 'resampler_n_heads must be a multiple of num_key_value_heads' });
  });
export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;

export type TowerKind = 'siglip' | 'internvideo2';

export interface ApolloConfigParts {
  root: ApolloRootConfig;
  llm: Qwen2ConfigFile;
  generation: GenerationConfig;
  visionTower: HybridVisionTowerConfig;
  siglip: SiglipVisionConfig;
  siglipPreprocessor: SiglipPreprocessorConfig;
  internvideo2: InternVideo2Config;
  connector: ConnectorConfig;
  /** Tower kinds in `vision_towers` order: the channel order of the fused features. */
  towerOrder: TowerKind[];
}

export interface LlmShapes {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** heads × headDim (the q_proj / o_proj width; equals hidden for Qwen2.5). */
  qDim: number;
  /** kvHeads × headDim (the k_proj / v_proj width). */
  kvDim: number;
  intermediate: number;
  layers: number;
  vocab: number;
  /** tie_word_embeddings: use embed_tokens as the output matrix, even when lm_head is stored (spec 11.7). */
  tied: boolean;
  ropeTheta: number;
  rmsNormEps: number;
  maxPositions: number;
}

export interface SiglipShapes {
  hidden: number;
  heads: number;
  headDim: number;
  intermediate: number;
  layers: number;
  /** Encoder layers run for hidden_states[mm_vision_select_layer]. */
  layersUsed: number;
  channels: number;
  patch: number;
  image: number;
  /** floor(image / patch): the conv drops the remainder (27 for 384 / 14). */
  grid: number;
  tokensPerFrame: number;
  layerNormEps: number;
}

export interface InternVideo2Shapes {
  width: number;
  heads: number;
  headDim: number;
  depth: number;
  /** Blocks run: the loop stops after block index depth + idx for negative idx (spec 5). */
  blocksUsed: number;
  mlpHidden: number;
  channels: number;
  patch: number;
  image: number;
  frames: number;
  tubelet: number;
  temporalTokens: number;
  grid: number;
  patchTokens: number;
  /** patchTokens + the CLS token: the pos_embed rows. */
  tokensWithCls: number;
  /** One frame's grid + CLS: the img_pos_embed rows. */
  imageTokensWithCls: number;
  qkNormalization: boolean;
  qkvBias: boolean;
  /** init_values > 0 creates ls1 / ls2 LayerScale vectors. */
  layerScale: boolean;
  /** RMSNorm eps of the blocks: fixed in the model code (norm_layer_for_blocks), not in the config. */
  normEps: number;
  attnPoolHeads: number;
  clipEmbedDim: number;
  clipTeacherEmbedDim: number;
  clipTeacherFinalDim: number;
  clipReturnLayers: number;
}

export interface ConnectorShapes {
  visionHidden: number;
  textHidden: number;
  heads: number;
  headDim: number;
  kvHeads: number;
  qDim: number;
  kvDim: number;
  ffHidden: number;
  depth: number;
  latents: number;
  tokenInputShape: [number, number, number];
  /** T × H × W: context tokens per clip (2916 for Apollo). */
  contextTokens: number;
  /** nn.LayerNorm's default, fixed in the connector code (spec 7), not in the config. */
  layerNormEps: number;
}

export interface ModelShapes {
  llm: LlmShapes;
  siglip: SiglipShapes;
  internvideo2: InternVideo2Shapes;
  connector: ConnectorShapes;
  towerOrder: TowerKind[];
  selectLayer: number;
  selectFeature: 'patch' | 'cls_patch';
  /** Frames per clip: the video tower's frame count. */
  framesPerClip: number;
  /** LLM tokens per clip: the resampler's latents. */
  tokensPerClip: number;
  clipDuration: number;
  /** Grid every tower is resampled to before the channel concatenation: [T, H, W]. */
  fusedGrid: [number, number, number];
  eosTokenIds: number[];
  bosTokenId: number | undefined;
  /** Top-level model_max_length (the clip budget of spec 3), else llm_cfg's. */
  modelMaxLength: number;
  /** The sequence length the reference truncates to (spec 8): tokenizer_model_max_length. */
  tokenizerModelMaxLength: number;
}

function configError(file: string, why: string): ApolloError {
  return new ApolloError('CHECKPOINT_CONFIG_INVALID', `The model configuration ${file} ${why}; download the model again.`, { details: { file, reason: why } });
}

/** Encoder layers (SigLIP) or blocks (InternVideo2) run for a given mm_vision_select_layer. */
export function layersForSelectLayer(kind: TowerKind, selectLayer: number, total: number): number {
  // SigLIP: hidden_states has total + 1 entries (embeddings first); InternVideo2: stop after block index.
  const used = kind === 'siglip' ? (selectLayer < 0 ? total + 1 + selectLayer : selectLayer) : selectLayer < 0 ? total + selectLayer + 1 : selectLayer + 1;
  return used;
}

/** Every size the graphs need, from the parsed files. `selectLayer` overrides the root key (tests). */
export function deriveModelShapes(parts: ApolloConfigParts, options: { selectLayer?: number } = {}): ModelShapes {
  const { root, llm, siglip, internvideo2: iv, connector, visionTower, generation } = parts;
  const selectLayer = options.selectLayer ?? root.mm_vision_select_layer;

  const headDim = llm.head_dim ?? llm.hidden_size / llm.num_attention_heads;
  const llmShapes: LlmShapes = {
    hidden: llm.hidden_size,
    heads: llm.num_attention_heads,
    kvHeads: llm.num_key_value_heads,
    headDim,
    qDim: llm.num_attention_heads * headDim,
    kvDim: llm.num_key_value_heads * headDim,
    intermediate: llm.intermediate_size,
    layers: llm.num_hidden_layers,
    vocab: llm.vocab_size,
    tied: llm.tie_word_embeddings,
    ropeTheta: llm.rope_theta,
    rmsNormEps: llm.rms_norm_eps,
    maxPositions: llm.max_position_embeddings,
  };

  const sGrid = Math.floor(siglip.image_size / siglip.patch_size);
  const siglipShapes: SiglipShapes = {
    hidden: siglip.hidden_size,
    heads: siglip.num_attention_heads,
    headDim: siglip.hidden_size / siglip.num_attention_heads,
    intermediate: siglip.intermediate_size,
    layers: siglip.num_hidden_layers,
    layersUsed: layersForSelectLayer('siglip', selectLayer, siglip.num_hidden_layers),
    channels: siglip.num_channels,
    patch: siglip.patch_size,
    image: siglip.image_size,
    grid: sGrid,
    tokensPerFrame: sGrid * sGrid,
    layerNormEps: siglip.layer_norm_eps,
  };

  const vGrid = Math.floor(iv.img_size / iv.patch_size);
  const temporal = iv.num_frames / iv.tubelet_size;
  const ivShapes: InternVideo2Shapes = {
    width: iv.d_model,
    heads: iv.num_heads,
    headDim: iv.d_model / iv.num_heads,
    depth: iv.depth,
    blocksUsed: layersForSelectLayer('internvideo2', selectLayer, iv.depth),
    // Python's int(dim * mlp_ratio): the same IEEE product, truncated (1408 · 48/11 = 6144).
    mlpHidden: Math.trunc(iv.d_model * iv.mlp_ratio),
    channels: iv.in_chans,
    patch: iv.patch_size,
    image: iv.img_size,
    frames: iv.num_frames,
    tubelet: iv.tubelet_size,
    temporalTokens: temporal,
    grid: vGrid,
    patchTokens: temporal * vGrid * vGrid,
    tokensWithCls: temporal * vGrid * vGrid + 1,
    imageTokensWithCls: vGrid * vGrid + 1,
    qkNormalization: iv.qk_normalization,
    qkvBias: iv.qkv_bias,
    layerScale: iv.init_values > 0,
    normEps: 1e-6,
    attnPoolHeads: iv.attn_pool_num_heads,
    clipEmbedDim: iv.clip_embed_dim,
    clipTeacherEmbedDim: iv.clip_teacher_embed_dim,
    clipTeacherFinalDim: iv.clip_teacher_final_dim,
    clipReturnLayers: iv.clip_return_layer,
  };

  const [t, h, w] = connector.token_input_shape;
  const connectorShapes: ConnectorShapes = {
    visionHidden: connector.vision_hidden_size,
    textHidden: connector.text_hidden_size,
    heads: connector.resampler_n_heads,
    headDim: connector.resampler_head_dim,
    kvHeads: connector.num_key_value_heads,
    qDim: connector.resampler_n_heads * connector.resampler_head_dim,
    kvDim: connector.num_key_value_heads * connector.resampler_head_dim,
    ffHidden: connector.ff_multi * connector.text_hidden_size,
    depth: connector.resampler_depth,
    latents: connector.num_output_tokens,
    tokenInputShape: [t, h, w],
    contextTokens: t * h * w,
    layerNormEps: 1e-5,
  };

  // Cross-file consistency: a mismatch here would only surface as a shape error deep in a graph.
  const widths = { siglip: siglipShapes.hidden, internvideo2: ivShapes.width };
  const sumWidths = parts.towerOrder.reduce((a, k) => a + widths[k], 0);
  if (connector.text_hidden_size !== llm.hidden_size) throw configError('mm_connector/config.json', `has text_hidden_size ${connector.text_hidden_size} but the LLM's hidden_size is ${llm.hidden_size}`);
  if (connector.vision_hidden_size !== sumWidths) throw configError('mm_connector/config.json', `has vision_hidden_size ${connector.vision_hidden_size} but the vision towers give ${sumWidths} channels`);
  const fused: [number, number, number] = [Math.max(temporal, 1), Math.max(sGrid, vGrid), Math.max(sGrid, vGrid)];
  if (visionTower.token_output_shape.join() !== fused.join()) throw configError('vision_tower/config.json', `has token_output_shape [${visionTower.token_output_shape.join(', ')}] but the towers' grids give [${fused.join(', ')}]`);
  if (connector.token_input_shape.join() !== fused.join()) throw configError('mm_connector/config.json', `has token_input_shape [${connector.token_input_shape.join(', ')}] but the vision tower gives [${fused.join(', ')}]`);
  if (siglipShapes.layersUsed < 1 || siglipShapes.layersUsed > siglipShapes.layers) throw configError('config.json', `has mm_vision_select_layer ${selectLayer}, outside SigLIP's ${siglipShapes.layers} layers`);
  if (ivShapes.blocksUsed < 1 || ivShapes.blocksUsed > ivShapes.depth) throw configError('config.json', `has mm_vision_select_layer ${selectLayer}, outside InternVideo2's ${ivShapes.depth} blocks`);
  if (root.mm_connector_cfg.num_output_tokens !== undefined && root.mm_connector_cfg.num_output_tokens !== connector.num_output_tokens) {
    throw configError('config.json', `has mm_connector_cfg.num_output_tokens ${root.mm_connector_cfg.num_output_tokens} but mm_connector/config.json says ${connector.num_output_tokens}`);
  }

  const modelMaxLength = root.model_max_length ?? root.llm_cfg.model_max_length ?? llm.model_max_length;
  if (modelMaxLength === undefined) throw configError('config.json', 'has no model_max_length (neither at the top level nor in llm_cfg)');
  const tokenizerModelMaxLength = root.tokenizer_model_max_length ?? root.llm_cfg.tokenizer_model_max_length ?? llm.tokenizer_model_max_length ?? modelMaxLength;

  const eos = generation.eos_token_id ?? llm.eos_token_id ?? [];
  return {
    llm: llmShapes,
    siglip: siglipShapes,
    internvideo2: ivShapes,
    connector: connectorShapes,
    towerOrder: parts.towerOrder,
    selectLayer,
    selectFeature: root.mm_vision_select_feature,
    framesPerClip: iv.num_frames,
    tokensPerClip: connector.num_output_tokens,
    clipDuration: root.clip_duration,
    fusedGrid: fused,
    eosTokenIds: Array.isArray(eos) ? [...eos] : [eos],
    bosTokenId: generation.bos_token_id ?? llm.bos_token_id ?? undefined,
    modelMaxLength,
    tokenizerModelMaxLength,
  };
}

/** Parses one file's JSON text with a schema; failures name the file and the offending key. */
export function parseConfigText<S extends z.ZodType>(schema: S, text: string, file: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw configError(file, 'is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `key "${issue.path.join('.')}"` : 'top level';
    throw configError(file, `has an unexpected value at ${where} (${issue.message})`);
  }
  return parsed.data;
}

/** Configuration files are a few KiB; anything past this is not one. */
export const CONFIG_FILE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * A configuration file's text, or undefined when it does not exist. Opened without blocking and
 * checked before a byte is read: a FIFO (which would hang the read), a device (endless bytes), a
 * socket or a folder is refused, and so is a file over CONFIG_FILE_MAX_BYTES.
 */
export async function readConfigFileText(path: string): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EISDIR') throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `The model configuration ${path} is a folder, not a file; check the model folder or download the model again.`, { cause: error, details: { file: path } });
    if (code === 'ENXIO') throw configError(path, 'is not a regular file (a socket or a pipe)');
    throw new ApolloError('FILE_UNREADABLE', `The model configuration ${path} cannot be read (${code ?? 'unknown error'}); check its permissions.`, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `The model configuration ${path} is a folder, not a file; check the model folder or download the model again.`, { details: { file: path } });
    if (!info.isFile()) throw configError(path, `is not a regular file (a ${info.isFIFO() ? 'FIFO' : info.isSocket() ? 'socket' : 'device'})`);
    if (info.size > CONFIG_FILE_MAX_BYTES) throw configError(path, `is ${info.size} bytes, far larger than a configuration file (at most ${CONFIG_FILE_MAX_BYTES})`);
    const bytes = Buffer.alloc(info.size);
    let read = 0;
    while (read < bytes.length) {
      const { bytesRead } = await handle.read(bytes, read, bytes.length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return bytes.toString('utf8', 0, read);
  } finally {
    await handle.close();
  }
}

async function readConfig<S extends z.ZodType>(schema: S, dir: string, relative: string): Promise<z.infer<S>> {
  const parsed = await readOptionalConfig(schema, dir, relative);
  if (parsed === undefined) {
    const path = join(dir, relative);
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `The model configuration ${path} is missing; check the model folder or download the model again.`, { details: { file: path } });
  }
  return parsed;
}

/** The parsed file, or undefined when it does not exist. */
async function readOptionalConfig<S extends z.ZodType>(schema: S, dir: string, relative: string): Promise<z.infer<S> | undefined> {
  const path = join(dir, relative);
  const text = await readConfigFileText(path);
  return text === undefined ? undefined : parseConfigText(schema, text, path);
}

/** Where each part's files are, relative to the checkpoint root. */
export interface ApolloCheckpointPaths {
  llm: string;
  visionTower: string;
  siglip: string;
  internvideo2: string;
  connector: string;
}

export interface ApolloCheckpointConfig extends ApolloConfigParts {
  dir: string;
  paths: ApolloCheckpointPaths;
  internvideo2Preprocessor: Record<string, unknown>;
  shapes: ModelShapes;
}

/** The root config.json's planning keys only (a checkpoint that is still downloading, or `plan --model`). */
export function loadApolloPlanningConfig(dir: string): Promise<ApolloPlanningConfig> {
  return readConfig(apolloPlanningConfigSchema, dir, 'config.json');
}

/** `<llmDir>/config.json`: the LLM's own folder, read alone by the decoder's prepare step. */
export function loadQwen2ConfigFile(llmDir: string): Promise<Qwen2ConfigFile> {
  return readConfig(qwen2ConfigSchema, llmDir, 'config.json');
}

/** `<llmDir>/generation_config.json`; a missing file means transformers' GenerationConfig defaults. */
export async function loadGenerationConfig(llmDir: string): Promise<GenerationConfig> {
  return (await readOptionalConfig(generationConfigSchema, llmDir, 'generation_config.json')) ?? generationConfigSchema.parse({});
}

/** Every configuration file of an Apollo checkpoint, parsed and cross-checked: the one reader of them. */
export async function loadApolloCheckpointConfig(dir: string): Promise<ApolloCheckpointConfig> {
  const root = await readConfig(apolloRootConfigSchema, dir, 'config.json');
  const llm = await loadQwen2ConfigFile(join(dir, 'llm'));
  const generation = await loadGenerationConfig(join(dir, 'llm'));
  const visionTower = await readConfig(hybridVisionTowerConfigSchema, dir, join('vision_tower', 'config.json'));
  const connector = await readConfig(connectorConfigSchema, dir, join('mm_connector', 'config.json'));

  // Each tower folder says what it is through its own model_type.
  const kindSchema = z.looseObject({ model_type: z.string() });
  const towerOrder: TowerKind[] = [];
  const towerDirs: Partial<Record<TowerKind, string>> = {};
  for (const name of visionTower.vision_towers) {
    const rel = join('vision_tower', name);
    const { model_type: type } = await readConfig(kindSchema, dir, join(rel, 'config.json'));
    const kind: TowerKind | undefined = type === 'siglip_vision_model' ? 'siglip' : type === 'internvideo2' ? 'internvideo2' : undefined;
    if (kind === undefined) throw configError(join(dir, rel, 'config.json'), `has model_type "${type}", which Apollo Desktop does not support (expected siglip_vision_model or internvideo2)`);
    if (towerDirs[kind] !== undefined) throw configError(join(dir, 'vision_tower', 'config.json'), `lists two ${kind} towers`);
    towerDirs[kind] = rel;
    towerOrder.push(kind);
  }
  if (towerDirs.siglip === undefined || towerDirs.internvideo2 === undefined) throw configError(join(dir, 'vision_tower', 'config.json'), 'must list a SigLIP and an InternVideo2 tower');
  const siglip = await readConfig(siglipVisionConfigSchema, dir, join(towerDirs.siglip, 'config.json'));
  const siglipPreprocessor = await readConfig(siglipPreprocessorConfigSchema, dir, join(towerDirs.siglip, 'preprocessor_config.json'));
  const internvideo2 = await readConfig(internVideo2ConfigSchema, dir, join(towerDirs.internvideo2, 'config.json'));
  const internvideo2Preprocessor = (await readConfig(internVideo2PreprocessorConfigSchema, dir, join(towerDirs.internvideo2, 'preprocessor_config.json'))) as Record<string, unknown>;

  const parts: ApolloConfigParts = { root, llm, generation, visionTower, siglip, siglipPreprocessor, internvideo2, connector, towerOrder };
  return {
    ...parts,
    dir,
    paths: { llm: 'llm', visionTower: 'vision_tower', siglip: towerDirs.siglip, internvideo2: towerDirs.internvideo2, connector: 'mm_connector' },
    internvideo2Preprocessor,
    shapes: deriveModelShapes(parts),
  };
}
