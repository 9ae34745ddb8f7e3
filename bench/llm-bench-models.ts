// The random real-shape models the LLM benchmarks run: an onnxruntime decoder folder per variant
// and a Q4_0 GGUF for llama.cpp, built once into the benchmark cache (temp folder + rename, so a
// killed build is never reused).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildQwen2Artifacts, DECODER_FORMAT_VERSION } from '../electron/engine/llm/qwen2-artifacts.js';
import { qwen2ConfigFromFile, type Qwen2Config } from '../electron/engine/llm/qwen2-config.js';
import { parseConfigText, qwen2ConfigSchema } from '../electron/engine/model/apollo-config.js';
import type { Int4Settings } from '../electron/engine/llm/qwen2-decoder-graph.js';
import { int4Quantizer } from '../electron/engine/quant/int4-quantize.js';
import { benchDir } from './bench-harness.js';
import { writeRandomQwen2Gguf } from './llm-random-gguf.js';
import { RandomQwen2Weights, type WeightDistribution } from './random-qwen2-weights.js';

export const cacheRoot = process.env.BENCH_CACHE ?? join(homedir(), '.cache', 'apollo-desktop', 'bench');
const log = (s: string) => process.stderr.write(`[bench-models] ${s}\n`);
export const quantizer = int4Quantizer();

/** The LLM config of a real Apollo checkpoint (test/fixtures/checkpoint-configs/apollo-SHAPE). */
export function loadConfig(shape: string): Qwen2Config {
  const path = join(benchDir, '..', 'test', 'fixtures', 'checkpoint-configs', `apollo-${shape}`, 'llm', 'config.json');
  return qwen2ConfigFromFile(parseConfigText(qwen2ConfigSchema, readFileSync(path, 'utf8'), path), path);
}

async function ensureBuilt(dir: string, build: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(join(dir, 'llm-decoder.json')) || existsSync(join(dir, 'done'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const t0 = Date.now();
  await build(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`built ${dir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

export interface OrtModelOptions {
  layersOverride?: number;
  transform?: ConstructorParameters<typeof RandomQwen2Weights>[2];
  precision?: 'int4' | 'fp32';
  tag?: string;
  distribution?: WeightDistribution;
  /** Rotary rows (positions the graph supports); default 4096. */
  maxPositions?: number;
}

export async function ensureOrtModel(shape: string, config: Qwen2Config, settings: Int4Settings, o: OrtModelOptions = {}): Promise<string> {
  const { layersOverride, transform, precision = 'int4', tag = '', distribution = 'uniform', maxPositions = 4096 } = o;
  const c = layersOverride === undefined ? config : { ...config, numLayers: layersOverride };
  const name = precision === 'int4' ? `b${settings.blockSize}${settings.symmetric ? 's' : 'a'}-acc${settings.accuracyLevel}` : precision;
  const dir = join(cacheRoot, `${shape}${layersOverride === undefined ? '' : `-L${layersOverride}`}-${name}${tag}${distribution === 'uniform' ? '' : `-${distribution}`}-p${maxPositions}-v${DECODER_FORMAT_VERSION}`);
  return ensureBuilt(dir, async (tmp) => {
    await buildQwen2Artifacts(tmp, c, new RandomQwen2Weights(c, 1, transform, distribution), {
      precision,
      ...(precision === 'int4' ? { int4: settings, quantize: (w, n, k, q) => quantizer.quantize(w, n, k, q) } : {}),
      maxPositions,
    });
  });
}

export function ensureGguf(shape: string, config: Qwen2Config): string {
  const path = join(cacheRoot, `${shape}-q4_0-pure.gguf`);
  if (!existsSync(path)) {
    mkdirSync(cacheRoot, { recursive: true });
    const t0 = Date.now();
    writeRandomQwen2Gguf(`${path}.tmp`, {
      hidden_size: config.hiddenSize,
      num_hidden_layers: config.numLayers,
      num_attention_heads: config.numHeads,
      num_key_value_heads: config.numKvHeads,
      intermediate_size: config.intermediateSize,
      vocab_size: config.vocabSize,
      rope_theta: config.ropeTheta,
      rms_norm_eps: config.rmsNormEps,
      max_position_embeddings: config.maxPositionEmbeddings,
      tie_word_embeddings: config.tieWordEmbeddings,
    }, `random-qwen2-${shape}`);
    renameSync(`${path}.tmp`, path);
    log(`wrote ${path} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return path;
}
