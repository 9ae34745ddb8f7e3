// A random Apollo checkpoint with the exact Apollo-3B-t32 layout (spec sections 1 and 10): the same
// folders, file names, config keys, tensor names and BF16 dtype, a sharded LLM with its index, the
// full Qwen vocabulary with the real Qwen2.5 tokenizer files, the real image / patch sizes, 4 frames
// and 128 tokens per clip, but tiny widths and depths. The sizes live in the config files it
// writes; the tensors are then derived from those files by the same code that reads real ones.
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import {
  apolloRootConfigSchema,
  connectorConfigSchema,
  deriveModelShapes,
  generationConfigSchema,
  hybridVisionTowerConfigSchema,
  internVideo2ConfigSchema,
  parseConfigText,
  qwen2ConfigSchema,
  siglipPreprocessorConfigSchema,
  siglipVisionConfigSchema,
  type ModelShapes,
} from './apollo-config.js';
import { apolloTensorManifest, type TensorSpec } from './apollo-tensor-manifest.js';
import { f32ToBf16 } from '../native/float-convert-twin.js';
import { buildQwen25TokenizerFiles, sortedJson } from './qwen25-tokenizer-files.js';
import { INDEX_FILE_NAME } from './safetensors-checkpoint.js';
import { writeSafetensors, type TensorToWrite } from './safetensors-writer.js';
import { fillNormal, hashSeed } from './seeded-random.js';

/** The tiny widths and depths; everything else is Apollo-3B-t32's. */
export interface TinyApolloSizes {
  llmHidden: number;
  llmLayers: number;
  llmHeads: number;
  llmKvHeads: number;
  llmIntermediate: number;
  vocab: number;
  siglipHidden: number;
  siglipHeads: number;
  siglipIntermediate: number;
  siglipLayers: number;
  ivWidth: number;
  ivHeads: number;
  ivDepth: number;
  connectorHeads: number;
  connectorHeadDim: number;
  connectorKvHeads: number;
}

// head_dim 16 = 64 / 4; InternVideo2 keeps mlp_ratio 48/11 (88 → 384); select layer -2 then runs
// 2 of 3 SigLIP layers and 2 of 3 InternVideo2 blocks, so the two readings give different graphs.
export const TINY_APOLLO_SIZES: TinyApolloSizes = {
  llmHidden: 64,
  llmLayers: 2,
  llmHeads: 4,
  llmKvHeads: 2,
  llmIntermediate: 128,
  vocab: 151936,
  siglipHidden: 32,
  siglipHeads: 2,
  siglipIntermediate: 64,
  siglipLayers: 3,
  ivWidth: 88,
  ivHeads: 4,
  ivDepth: 3,
  connectorHeads: 4,
  connectorHeadDim: 8,
  connectorKvHeads: 2,
};

const TRANSFORMERS_VERSION = '4.44.0';
const RUN_NAME = 'apollo-tiny-random-internvideo2-siglip-so400m-patch14-384-freeze-perciver_128_2-newprompt-ft';
export const SIGLIP_FOLDER = 'siglip-so400m-patch14-384';
export const INTERNVIDEO2_FOLDER = 'internvideo2';
export const LLM_SHARDS = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];

/** Relative path → JSON value of every config file, with the real files' keys. */
export function tinyApolloConfigFiles(s: TinyApolloSizes = TINY_APOLLO_SIZES): Record<string, unknown> {
  const modelMaxLength = 16384;
  const llm = {
    _name_or_path: `${RUN_NAME}/llm`,
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: 151645,
    hidden_act: 'silu',
    hidden_size: s.llmHidden,
    initializer_range: 0.02,
    intermediate_size: s.llmIntermediate,
    max_position_embeddings: 32768,
    max_window_layers: s.llmLayers,
    model_max_length: modelMaxLength,
    model_type: 'qwen2',
    num_attention_heads: s.llmHeads,
    num_hidden_layers: s.llmLayers,
    num_key_value_heads: s.llmKvHeads,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000.0,
    sliding_window: 32768,
    tie_word_embeddings: true,
    tokenizer_model_max_length: modelMaxLength,
    torch_dtype: 'bfloat16',
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    use_sliding_window: false,
    vocab_size: s.vocab,
  };
  const generation = {
    bos_token_id: 151643,
    do_sample: true,
    eos_token_id: [151645, 151643],
    pad_token_id: 151643,
    repetition_penalty: 1.05,
    temperature: 0.7,
    top_k: 20,
    top_p: 0.8,
    transformers_version: TRANSFORMERS_VERSION,
  };
  const siglipGrid = Math.floor(384 / 14);
  const frames = 4;
  const visionTower = {
    architectures: ['HybridVisionTower'],
    configs: {},
    model_type: 'hybrid_vision_tower',
    num_vision_encoders: 2,
    token_output_shape: [frames, siglipGrid, siglipGrid],
    torch_dtype: 'bfloat16',
    transformers_version: TRANSFORMERS_VERSION,
    vision_towers: [SIGLIP_FOLDER, INTERNVIDEO2_FOLDER],
  };
  const siglip = {
    _name_or_path: `${RUN_NAME}/vision_tower/${SIGLIP_FOLDER}`,
    architectures: ['SiglipVisionModel'],
    attention_dropout: 0.0,
    hidden_act: 'gelu_pytorch_tanh',
    hidden_size: s.siglipHidden,
    image_size: 384,
    intermediate_size: s.siglipIntermediate,
    layer_norm_eps: 1e-6,
    model_type: 'siglip_vision_model',
    num_attention_heads: s.siglipHeads,
    num_channels: 3,
    num_hidden_layers: s.siglipLayers,
    patch_size: 14,
    torch_dtype: 'bfloat16',
    transformers_version: TRANSFORMERS_VERSION,
  };
  const siglipPreprocessor = {
    do_convert_rgb: null,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_processor_type: 'SiglipImageProcessor',
    image_std: [0.5, 0.5, 0.5],
    processor_class: 'SiglipProcessor',
    resample: 3,
    rescale_factor: 1 / 255,
    size: { height: 384, width: 384 },
  };
  const internvideo2 = {
    architectures: ['PretrainInternVideo2'],
    attn_pool_num_heads: s.ivHeads,
    auto_map: { AutoConfig: 'configuration_internvideo2.InternVideo2Config', AutoModel: 'modeling_internvideo2.InternVideo2Model' },
    clip_embed_dim: 16,
    clip_return_layer: 2,
    clip_teacher_embed_dim: 24,
    clip_teacher_final_dim: 16,
    d_model: s.ivWidth,
    // Absent from the real file (its default 40 applies); the tiny model must say it.
    depth: s.ivDepth,
    hidden_size: 768,
    img_size: 224,
    model_type: 'internvideo2',
    name: 'pretrain_internvideo2_1b_patch14_224',
    num_frames: frames,
    num_heads: s.ivHeads,
    num_hidden_layers: 12,
    patch_size: 14,
    qkv_bias: false,
    sep_image_video_pos_embed: true,
    torch_dtype: 'bfloat16',
    transformers_version: TRANSFORMERS_VERSION,
    tubelet_size: 1,
    use_flash_attn: false,
    use_fused_mlp: false,
    use_fused_rmsnorm: false,
  };
  const internvideo2Preprocessor = {
    crop_size: { height: 224, width: 224 },
    do_center_crop: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.485, 0.456, 0.406],
    image_processor_type: 'VideoMAEImageProcessor',
    image_std: [0.229, 0.224, 0.225],
    resample: 2,
    rescale_factor: 1 / 255,
    size: { shortest_edge: 224 },
  };
  const connector = {
    architectures: ['Connector'],
    attention_dropout: 0.0,
    ff_multi: 4,
    hidden_act: 'silu',
    model_type: 'mm_connector',
    num_key_value_heads: s.connectorKvHeads,
    num_output_tokens: 128,
    num_patches: 24,
    projector_type: 'mlp1x_gelu',
    resampler_depth: 1,
    resampler_head_dim: s.connectorHeadDim,
    resampler_n_heads: s.connectorHeads,
    resampler_type: 'perciver',
    rms_norm_eps: 1e-6,
    text_hidden_size: s.llmHidden,
    token_input_shape: [frames, siglipGrid, siglipGrid],
    torch_dtype: 'bfloat16',
    transformers_version: TRANSFORMERS_VERSION,
    vision_hidden_size: s.siglipHidden + s.ivWidth,
  };
  const root = {
    architectures: ['ApolloForCausalLM'],
    attn_implementation: 'flash_attention_2',
    clip_duration: 2,
    drop_path_rate: 0.0,
    encode_batch_size: 25,
    hidden_size: s.llmHidden,
    image_aspect_ratio: 'square',
    interpolate_mode: 'linear',
    intermediate_size: s.llmIntermediate,
    llm_cfg: llm,
    mm_connector_cfg: connector,
    mm_vision_select_feature: 'patch',
    mm_vision_select_layer: -2,
    model_dtype: 'torch.bfloat16',
    model_max_length: modelMaxLength,
    model_type: 'apollo',
    num_video_frames: null,
    tokenizer_model_max_length: modelMaxLength,
    torch_dtype: 'bfloat16',
    transformers_version: TRANSFORMERS_VERSION,
    use_mm_start_end: false,
    vision_tower_cfg: visionTower,
  };
  return {
    'config.json': root,
    'llm/config.json': llm,
    'llm/generation_config.json': generation,
    'vision_tower/config.json': visionTower,
    [`vision_tower/${SIGLIP_FOLDER}/config.json`]: siglip,
    [`vision_tower/${SIGLIP_FOLDER}/preprocessor_config.json`]: siglipPreprocessor,
    [`vision_tower/${INTERNVIDEO2_FOLDER}/config.json`]: internvideo2,
    [`vision_tower/${INTERNVIDEO2_FOLDER}/preprocessor_config.json`]: internvideo2Preprocessor,
    'mm_connector/config.json': connector,
  };
}

/** Shapes from the tiny config files, parsed by the same schemas as a real checkpoint. */
export function tinyModelShapes(files: Record<string, unknown> = tinyApolloConfigFiles()): ModelShapes {
  const parse = <T>(schema: Parameters<typeof parseConfigText>[0], path: string): T => parseConfigText(schema, JSON.stringify(files[path]), path) as T;
  return deriveModelShapes({
    root: parse(apolloRootConfigSchema, 'config.json'),
    llm: parse(qwen2ConfigSchema, 'llm/config.json'),
    generation: parse(generationConfigSchema, 'llm/generation_config.json'),
    visionTower: parse(hybridVisionTowerConfigSchema, 'vision_tower/config.json'),
    siglip: parse(siglipVisionConfigSchema, `vision_tower/${SIGLIP_FOLDER}/config.json`),
    siglipPreprocessor: parse(siglipPreprocessorConfigSchema, `vision_tower/${SIGLIP_FOLDER}/preprocessor_config.json`),
    internvideo2: parse(internVideo2ConfigSchema, `vision_tower/${INTERNVIDEO2_FOLDER}/config.json`),
    connector: parse(connectorConfigSchema, 'mm_connector/config.json'),
    towerOrder: ['siglip', 'internvideo2'],
  });
}

/**
 * Mean and standard deviation per kind of tensor, chosen so activations stay near unit scale:
 * linear and conv weights 1/sqrt(fan_in), norms near 1, embeddings giving logits of std ≈ 2.
 */
function initFor(spec: TensorSpec, hidden: number): { mean: number; std: number } {
  const fanIn = spec.shape.slice(1).reduce((a, b) => a * b, 1);
  switch (spec.init) {
    case 'linear':
    case 'conv':
      return { mean: 0, std: 1 / Math.sqrt(fanIn) };
    case 'embedding':
      return { mean: 0, std: 2 / Math.sqrt(hidden) };
    case 'bias':
      return { mean: 0, std: 0.1 };
    case 'norm':
      return { mean: 1, std: 0.1 };
    case 'scale':
      return { mean: 0.5, std: 0.1 };
    case 'positional':
      return { mean: 0, std: 0.5 };
    case 'token':
      return { mean: 0, std: 1 };
  }
}

function randomTensor(spec: TensorSpec, seed: number, file: string, hidden: number): TensorToWrite {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  const { mean, std } = initFor(spec, hidden);
  // Each tensor has its own stream: values do not depend on generation order.
  fillNormal(values, hashSeed(seed, `${file}:${spec.name}`), mean, std);
  const bf16 = new Uint16Array(n);
  f32ToBf16(values, bf16);
  return { name: spec.name, dtype: 'BF16', shape: spec.shape, data: bf16 };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export interface TinyCheckpointOptions {
  seed?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface TinyCheckpointSummary {
  dir: string;
  seed: number;
  files: Array<{ path: string; bytes: number }>;
  tensors: number;
  elapsedMs: number;
}

async function assertEmptyOrAbsent(dir: string): Promise<boolean> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new ApolloError('INVALID_ARGUMENT', `${dir} exists and is not a folder; choose a new folder for the tiny model.`);
    if ((await readdir(dir)).length > 0) throw new ApolloError('INVALID_ARGUMENT', `The folder ${dir} is not empty; choose a new or empty folder for the tiny model.`);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Writes the tiny checkpoint into `dir` (absent or empty), aside first, then renamed into place. */
export async function makeTinyCheckpoint(dir: string, options: TinyCheckpointOptions = {}): Promise<TinyCheckpointSummary> {
  const started = Date.now();
  const seed = options.seed ?? 0;
  const existed = await assertEmptyOrAbsent(dir);
  const work = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  const files: TinyCheckpointSummary['files'] = [];
  const configs = tinyApolloConfigFiles();
  const shapes = tinyModelShapes(configs);
  const manifest = apolloTensorManifest(shapes);
  const hidden = shapes.llm.hidden;
  let tensors = 0;
  const totalFiles = Object.keys(configs).length + 6 + 1 + LLM_SHARDS.length + 3;
  const progress = (detail: string) => options.onProgress?.({ stage: 'make-tiny-model', done: files.length, total: totalFiles, unit: 'files', detail });
  const check = () => {
    if (options.signal?.aborted === true) throw new ApolloError('CANCELLED');
  };

  const put = async (relative: string, content: string | null, weights?: TensorToWrite[], metadata?: Record<string, string>) => {
    check();
    const path = join(work, relative);
    await mkdir(dirname(path), { recursive: true });
    if (weights !== undefined) {
      await writeSafetensors(path, weights, metadata, { sync: false });
      tensors += weights.length;
    } else await writeFile(path, content ?? '');
    files.push({ path: relative, bytes: (await stat(path)).size });
    progress(relative);
  };
  const weightsFor = (specs: TensorSpec[], file: string) => specs.map((s) => randomTensor(s, seed, file, hidden)).sort(byName);

  try {
    for (const [relative, value] of Object.entries(configs)) await put(relative, sortedJson(value));
    const tokenizer = await buildQwen25TokenizerFiles({ modelMaxLength: (configs['llm/config.json'] as { model_max_length: number }).model_max_length });
    for (const [name, content] of Object.entries(tokenizer)) await put(`llm/${name}`, content);

    // Shards split like save_pretrained's: state-dict order, the embedding and first layer first.
    const firstLayerEnd = manifest.llm.findIndex((s) => s.name.startsWith('model.layers.1.'));
    const split = firstLayerEnd < 0 ? manifest.llm.length : firstLayerEnd;
    const shardSpecs = [manifest.llm.slice(0, split), manifest.llm.slice(split)];
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (let i = 0; i < LLM_SHARDS.length; i++) {
      const weights = weightsFor(shardSpecs[i]!, `llm/${LLM_SHARDS[i]}`);
      for (const w of weights) {
        weightMap[w.name] = LLM_SHARDS[i]!;
        totalSize += w.data.byteLength;
      }
      await put(`llm/${LLM_SHARDS[i]}`, null, weights, { format: 'pt' });
    }
    await put(`llm/${INDEX_FILE_NAME}`, sortedJson({ metadata: { total_size: totalSize }, weight_map: weightMap }));
    await put(`vision_tower/${SIGLIP_FOLDER}/model.safetensors`, null, weightsFor(manifest.siglip, 'siglip'), { format: 'pt' });
    await put(`vision_tower/${INTERNVIDEO2_FOLDER}/model.safetensors`, null, weightsFor(manifest.internvideo2, 'internvideo2'), { format: 'pt' });
    await put('mm_connector/model.safetensors', null, weightsFor(manifest.connector, 'mm_connector'), { format: 'pt' });

    check();
    if (existed) await rmdir(dir);
    await rename(work, dir);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return { dir, seed, files, tensors, elapsedMs: Date.now() - started };
}
