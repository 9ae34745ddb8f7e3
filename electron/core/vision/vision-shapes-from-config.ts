// The vision sizes of a checkpoint, read from its config files (spec section 1): the root
// config.json (mm_vision_select_layer, encode_batch_size), vision_tower/config.json (tower order,
// token_output_shape), each tower's config.json, and mm_connector/config.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import { siglipGridSide, type VisionShapes } from './vision-shapes.js';

const int = z.number().int();
const pos = int.positive();

const rootSchema = z.looseObject({
  mm_vision_select_layer: int,
  mm_vision_select_feature: z.string().optional(),
  encode_batch_size: pos.optional(),
});
const hybridSchema = z.looseObject({
  vision_towers: z.array(z.string()).length(2),
  token_output_shape: z.tuple([pos, pos, pos]),
});
const siglipFields = z.looseObject({
  hidden_size: pos,
  num_hidden_layers: pos,
  num_attention_heads: pos,
  intermediate_size: pos,
  image_size: pos,
  patch_size: pos,
  num_channels: pos.optional(),
  layer_norm_eps: z.number().positive().optional(),
  hidden_act: z.string().optional(),
});
const internVideoSchema = z.looseObject({
  d_model: pos,
  num_heads: pos,
  img_size: pos,
  patch_size: pos,
  num_frames: pos,
  tubelet_size: pos,
  depth: pos.optional(),
  mlp_ratio: z.number().positive().optional(),
  qkv_bias: z.boolean().optional(),
  qk_normalization: z.boolean().optional(),
});
const connectorSchema = z.looseObject({
  vision_hidden_size: pos,
  text_hidden_size: pos,
  num_output_tokens: pos,
  resampler_type: z.string().optional(),
  resampler_depth: pos,
  resampler_n_heads: pos,
  resampler_head_dim: pos,
  num_key_value_heads: pos,
  ff_multi: pos,
  hidden_act: z.string().optional(),
});

/** configuration_internvideo2.py defaults, used when config.json omits the key (spec section 1). */
const INTERNVIDEO_DEFAULTS = { depth: 40, mlpRatio: 48 / 11 };
/** HF SiglipVisionConfig defaults. */
const SIGLIP_DEFAULTS = { numChannels: 3, layerNormEps: 1e-6 };
/** Idefics2/PyTorch nn.LayerNorm default eps: WeightedNorm does not pass the config's rms_norm_eps. */
const WEIGHTED_NORM_EPS = 1e-5;
/** The 3B config's encode_batch_size, for configs that omit it (it only bounds memory). */
const DEFAULT_ENCODE_BATCH_SIZE = 25;

export interface CheckpointConfigs {
  root: unknown;
  hybrid: unknown;
  /** Tower folder name → its config.json, in vision_towers order. */
  towers: Record<string, unknown>;
  connector: unknown;
}

function invalid(file: string, detail: string): ApolloError {
  return new ApolloError('CHECKPOINT_CONFIG_INVALID', `The model's ${file} ${detail}; download the model again.`, { details: { file } });
}

function parse<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw invalid(file, `has a missing or invalid ${issue?.path.join('.') || 'value'}`);
  }
  return r.data;
}

function isSiglip(config: unknown): boolean {
  const t = (config as { model_type?: unknown } | null)?.model_type;
  return typeof t === 'string' && t.startsWith('siglip');
}

/** Pure: the shapes the configs imply; throws CHECKPOINT_CONFIG_INVALID when one is missing or unsupported. */
export function visionShapesFromConfigs(c: CheckpointConfigs): VisionShapes {
  const root = parse(rootSchema, c.root, 'config.json');
  if (root.mm_vision_select_feature !== undefined && root.mm_vision_select_feature !== 'patch') {
    throw invalid('config.json', `selects feature "${root.mm_vision_select_feature}", which this version does not support (only "patch")`);
  }
  const hybrid = parse(hybridSchema, c.hybrid, 'vision_tower/config.json');
  const [firstName, secondName] = hybrid.vision_towers as [string, string];
  if (!isSiglip(c.towers[firstName])) throw invalid('vision_tower/config.json', 'does not list the SigLIP tower first (the fused channel order depends on it)');
  const sigFile = `vision_tower/${firstName}/config.json`;
  const sigRaw = c.towers[firstName] as { vision_config?: unknown };
  const sig = parse(siglipFields, sigRaw.vision_config ?? sigRaw, sigFile);
  if (sig.hidden_act !== undefined && sig.hidden_act !== 'gelu_pytorch_tanh') throw invalid(sigFile, `uses activation ${sig.hidden_act}, not gelu_pytorch_tanh`);
  const ivFile = `vision_tower/${secondName}/config.json`;
  const iv = parse(internVideoSchema, c.towers[secondName], ivFile);
  if (iv.qkv_bias === true) throw invalid(ivFile, 'asks for a qkv bias, which InternVideo2-1B does not have');
  if (iv.qk_normalization === false) throw invalid(ivFile, 'turns q/k normalisation off, which this version does not support');
  const con = parse(connectorSchema, c.connector, 'mm_connector/config.json');
  if (con.resampler_type !== undefined && con.resampler_type !== 'perciver') throw invalid('mm_connector/config.json', `uses resampler ${con.resampler_type}, not the Perceiver`);
  if (con.hidden_act !== undefined && con.hidden_act !== 'silu') throw invalid('mm_connector/config.json', `uses activation ${con.hidden_act}, not silu`);

  const shapes: VisionShapes = {
    siglip: {
      hiddenSize: sig.hidden_size,
      numLayers: sig.num_hidden_layers,
      numHeads: sig.num_attention_heads,
      intermediateSize: sig.intermediate_size,
      imageSize: sig.image_size,
      patchSize: sig.patch_size,
      numChannels: sig.num_channels ?? SIGLIP_DEFAULTS.numChannels,
      layerNormEps: sig.layer_norm_eps ?? SIGLIP_DEFAULTS.layerNormEps,
      selectLayer: root.mm_vision_select_layer,
    },
    internVideo: {
      hiddenSize: iv.d_model,
      depth: iv.depth ?? INTERNVIDEO_DEFAULTS.depth,
      numHeads: iv.num_heads,
      // int(dim * mlp_ratio), as the reference computes it
      mlpHiddenSize: Math.trunc(iv.d_model * (iv.mlp_ratio ?? INTERNVIDEO_DEFAULTS.mlpRatio)),
      imageSize: iv.img_size,
      patchSize: iv.patch_size,
      numFrames: iv.num_frames,
      tubeletSize: iv.tubelet_size,
      numChannels: 3,
      normEps: 1e-6,
      selectLayer: root.mm_vision_select_layer,
    },
    connector: {
      visionHiddenSize: con.vision_hidden_size,
      textHiddenSize: con.text_hidden_size,
      numLatents: con.num_output_tokens,
      depth: con.resampler_depth,
      numHeads: con.resampler_n_heads,
      headDim: con.resampler_head_dim,
      numKvHeads: con.num_key_value_heads,
      ffMult: con.ff_multi,
      layerNormEps: WEIGHTED_NORM_EPS,
    },
    fusion: { frames: hybrid.token_output_shape[0], height: hybrid.token_output_shape[1], width: hybrid.token_output_shape[2] },
    encodeBatchSize: root.encode_batch_size ?? DEFAULT_ENCODE_BATCH_SIZE,
  };
  const G = siglipGridSide(shapes.siglip);
  if (shapes.fusion.height !== G || shapes.fusion.width !== G) throw invalid('vision_tower/config.json', `has token_output_shape ${hybrid.token_output_shape.join('×')}, but SigLIP's grid is ${G}×${G}`);
  if (shapes.siglip.hiddenSize + shapes.internVideo.hiddenSize !== shapes.connector.visionHiddenSize) {
    throw invalid('mm_connector/config.json', `expects ${shapes.connector.visionHiddenSize} vision channels, but the towers give ${shapes.siglip.hiddenSize} + ${shapes.internVideo.hiddenSize}`);
  }
  if (shapes.siglip.hiddenSize % shapes.siglip.numHeads !== 0) throw invalid(sigFile, 'has a hidden size that does not split into its heads');
  if (shapes.internVideo.hiddenSize % shapes.internVideo.numHeads !== 0) throw invalid(ivFile, 'has a hidden size that does not split into its heads');
  if (shapes.connector.numHeads % shapes.connector.numKvHeads !== 0) throw invalid('mm_connector/config.json', 'has query heads that do not group onto its key/value heads');
  return shapes;
}

async function readJson(dir: string, rel: string): Promise<unknown> {
  const path = join(dir, rel);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} does not exist; pass the folder of an Apollo checkpoint (the one holding config.json) to --model.`, { cause: error });
    throw new ApolloError('FILE_UNREADABLE', `${path} cannot be read; check its permissions.`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} is not valid JSON; download the model again.`, { cause: error });
  }
}

/** The tower folders of a checkpoint, in vision_towers order (SigLIP first). */
export async function readVisionConfigs(modelDir: string): Promise<CheckpointConfigs> {
  const root = await readJson(modelDir, 'config.json');
  const hybrid = await readJson(modelDir, join('vision_tower', 'config.json'));
  const names = parse(hybridSchema, hybrid, 'vision_tower/config.json').vision_towers;
  const towers: Record<string, unknown> = {};
  for (const name of names) towers[name] = await readJson(modelDir, join('vision_tower', name, 'config.json'));
  return { root, hybrid, towers, connector: await readJson(modelDir, join('mm_connector', 'config.json')) };
}

export async function loadVisionShapes(modelDir: string): Promise<{ shapes: VisionShapes; towerDirs: { siglip: string; internVideo: string }; configs: CheckpointConfigs }> {
  const configs = await readVisionConfigs(modelDir);
  const [sig, iv] = Object.keys(configs.towers) as [string, string];
  return { shapes: visionShapesFromConfigs(configs), towerDirs: { siglip: join(modelDir, 'vision_tower', sig), internVideo: join(modelDir, 'vision_tower', iv) }, configs };
}
