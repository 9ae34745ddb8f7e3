// The engine benchmark's model: a hybrid Apollo checkpoint with the tiny vision towers and connector
// of make-tiny-model but the LLM of a real config (Qwen2.5-1.5B widths and depth, the real
// vocabulary and tokenizer), random BF16 weights. The connector projects to the real LLM hidden size
// and emits the config's num_output_tokens per clip, so clip embeddings have the real shapes while
// the towers cost next to nothing (their cost is bench/vision-encode.bench.ts's subject).
// Written once into a cache folder outside the repository (aside, then renamed into place).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { apolloTensorManifest, type TensorSpec } from '../electron/engine/model/apollo-tensor-manifest.js';
import { f32ToBf16 } from '../electron/engine/native/float-convert-twin.js';
import { buildQwen25TokenizerFiles, sortedJson } from '../electron/engine/model/qwen25-tokenizer-files.js';
import { INDEX_FILE_NAME } from '../electron/engine/model/safetensors-checkpoint.js';
import { writeSafetensors, type TensorToWrite } from '../electron/engine/model/safetensors-writer.js';
import { hashSeed } from '../electron/engine/model/seeded-random.js';
import { INTERNVIDEO2_FOLDER, SIGLIP_FOLDER, TINY_APOLLO_SIZES, tinyApolloConfigFiles, tinyModelShapes } from '../electron/engine/model/tiny-checkpoint.js';
import { fillUniform } from './random-qwen2-weights.js';

interface LlmConfigJson {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  intermediate_size: number;
  vocab_size: number;
}

/** Uniform values with the std a kind of tensor needs (std 0.02 for weights, norms near 1): speed does not depend on them. */
function randomBf16(spec: TensorSpec, seed: number): TensorToWrite {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  const s = hashSeed(seed, spec.name);
  // uniform std = a / √3
  if (spec.init === 'norm') fillUniform(values, 0.1, s, 1);
  else if (spec.init === 'scale') fillUniform(values, 0.1, s, 0.5);
  else if (spec.init === 'bias') fillUniform(values, 0.05, s);
  else fillUniform(values, 0.0346, s);
  const bf16 = new Uint16Array(n);
  f32ToBf16(values, bf16);
  return { name: spec.name, dtype: 'BF16', shape: spec.shape, data: bf16 };
}

/** Writes (once) the hybrid checkpoint for the LLM config folder `llmConfigDir` (config.json, generation_config.json). */
export async function ensureHybridCheckpoint(dir: string, llmConfigDir: string, log: (s: string) => void): Promise<string> {
  if (existsSync(join(dir, 'config.json'))) return dir;
  const started = Date.now();
  const llm = JSON.parse(readFileSync(join(llmConfigDir, 'config.json'), 'utf8')) as LlmConfigJson & Record<string, unknown>;
  const generation = JSON.parse(readFileSync(join(llmConfigDir, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
  const configs = tinyApolloConfigFiles({
    ...TINY_APOLLO_SIZES,
    llmHidden: llm.hidden_size,
    llmLayers: llm.num_hidden_layers,
    llmHeads: llm.num_attention_heads,
    llmKvHeads: llm.num_key_value_heads,
    llmIntermediate: llm.intermediate_size,
    vocab: llm.vocab_size,
  });
  // The real LLM files verbatim (the tiny writer's keys are the same, its values now the real ones).
  configs['llm/config.json'] = llm;
  configs['llm/generation_config.json'] = generation;
  (configs['config.json'] as Record<string, unknown>).llm_cfg = llm;
  const shapes = tinyModelShapes(configs);
  const manifest = apolloTensorManifest(shapes);
  const work = join(dirname(dir), `.${dir.split('/').pop()}.partial-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  const put = async (relative: string, content: string) => {
    await mkdir(dirname(join(work, relative)), { recursive: true });
    await writeFile(join(work, relative), content);
  };
  for (const [relative, value] of Object.entries(configs)) await put(relative, sortedJson(value));
  for (const [name, content] of Object.entries(await buildQwen25TokenizerFiles({ modelMaxLength: (llm as { model_max_length?: number }).model_max_length ?? 16384 }))) await put(`llm/${name}`, content);

  // LLM shards of a few layers each, so at most one shard's BF16 bytes are held at a time.
  const layersPerShard = 7;
  const layerOf = (name: string) => Number(/^model\.layers\.(\d+)\./.exec(name)?.[1] ?? -1);
  const groups = new Map<number, TensorSpec[]>();
  for (const spec of manifest.llm) {
    const layer = layerOf(spec.name);
    const shard = layer < 0 ? (spec.name.startsWith('model.embed') ? 0 : Math.floor((shapes.llm.layers - 1) / layersPerShard)) : Math.floor(layer / layersPerShard);
    groups.set(shard, [...(groups.get(shard) ?? []), spec]);
  }
  const shardCount = groups.size;
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (const [shard, specs] of [...groups.entries()].sort((a, b) => a[0] - b[0])) {
    const file = `model-${String(shard + 1).padStart(5, '0')}-of-${String(shardCount).padStart(5, '0')}.safetensors`;
    const weights = specs.map((s) => randomBf16(s, 1)).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const w of weights) {
      weightMap[w.name] = file;
      totalSize += w.data.byteLength;
    }
    await mkdir(join(work, 'llm'), { recursive: true });
    await writeSafetensors(join(work, 'llm', file), weights, { format: 'pt' }, { sync: false });
    log(`wrote llm/${file} (${specs.length} tensors)`);
  }
  await put(`llm/${INDEX_FILE_NAME}`, sortedJson({ metadata: { total_size: totalSize }, weight_map: weightMap }));
  const towers: Array<[string, TensorSpec[]]> = [
    [`vision_tower/${SIGLIP_FOLDER}/model.safetensors`, manifest.siglip],
    [`vision_tower/${INTERNVIDEO2_FOLDER}/model.safetensors`, manifest.internvideo2],
    ['mm_connector/model.safetensors', manifest.connector],
  ];
  for (const [relative, specs] of towers) await writeSafetensors(join(work, relative), specs.map((s) => randomBf16(s, 2)).sort((a, b) => (a.name < b.name ? -1 : 1)), { format: 'pt' }, { sync: false });
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  log(`hybrid checkpoint written to ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}
