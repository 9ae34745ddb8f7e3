// Deterministic random weights at the exact tensor names and shapes of a Qwen2 config, so the
// benchmark builds real-shape graphs without a checkpoint. Linear weights have std 0.02 (typical
// of trained layers), uniform or Laplace (heavy-tailed like trained weights, which is where the
// block size matters for quantization error); norms near 1, small biases.
import { qwen2Names, type Qwen2Config } from '../electron/engine/llm/qwen2-config.js';
import type { Float32WeightSource } from '../electron/engine/llm/qwen2-decoder-graph.js';

function hashName(name: string, seed: number): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0 || 1;
}

/** Fills with uniform values in [-a, a) from a xorshift32 stream. */
export function fillUniform(out: Float32Array, amplitude: number, seed: number, offset = 0): void {
  let s = seed >>> 0 || 1;
  const scale = (2 * amplitude) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = offset - amplitude + (s >>> 0) * scale;
  }
}

/** Laplace values with the given std (scale b = std / √2) from a xorshift32 stream. */
export function fillLaplace(out: Float32Array, std: number, seed: number): void {
  let s = seed >>> 0 || 1;
  const b = std / Math.SQRT2;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = ((s >>> 0) + 0.5) / 4294967296; // (0, 1)
    out[i] = u < 0.5 ? b * Math.log(2 * u) : -b * Math.log(2 - 2 * u);
  }
}

export type WeightDistribution = 'uniform' | 'laplace';

/** Tensor shapes of a Qwen2 checkpoint, by name. */
export function qwen2TensorShapes(c: Qwen2Config): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  shapes.set(qwen2Names.embedTokens, [c.vocabSize, c.hiddenSize]);
  shapes.set(qwen2Names.finalNorm, [c.hiddenSize]);
  if (!c.tieWordEmbeddings) shapes.set(qwen2Names.lmHead, [c.vocabSize, c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    const n = qwen2Names.layer(i);
    shapes.set(n.inputNorm, [c.hiddenSize]);
    shapes.set(n.postAttentionNorm, [c.hiddenSize]);
    shapes.set(`${n.q}.weight`, [qDim, c.hiddenSize]);
    shapes.set(`${n.q}.bias`, [qDim]);
    shapes.set(`${n.k}.weight`, [kvDim, c.hiddenSize]);
    shapes.set(`${n.k}.bias`, [kvDim]);
    shapes.set(`${n.v}.weight`, [kvDim, c.hiddenSize]);
    shapes.set(`${n.v}.bias`, [kvDim]);
    shapes.set(`${n.o}.weight`, [c.hiddenSize, qDim]);
    shapes.set(`${n.gate}.weight`, [c.intermediateSize, c.hiddenSize]);
    shapes.set(`${n.up}.weight`, [c.intermediateSize, c.hiddenSize]);
    shapes.set(`${n.down}.weight`, [c.hiddenSize, c.intermediateSize]);
  }
  return shapes;
}

export class RandomQwen2Weights implements Float32WeightSource {
  private readonly shapes: Map<string, number[]>;

  constructor(
    config: Qwen2Config,
    private readonly seed = 1,
    /** Optional transform of 2-D weights (e.g. a Q4_0 round trip for the error comparison). */
    private readonly transform?: (name: string, w: Float32Array, rows: number, cols: number) => Float32Array,
    private readonly distribution: WeightDistribution = 'uniform',
  ) {
    this.shapes = qwen2TensorShapes(config);
  }

  readFloat32(name: string): Promise<Float32Array> {
    const shape = this.shapes.get(name);
    if (shape === undefined) return Promise.reject(new Error(`no tensor ${name}`));
    const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const seed = hashName(name, this.seed);
    // uniform std = a / sqrt(3): a = 0.0346 gives std 0.02
    if (name.endsWith('norm.weight')) fillUniform(out, 0.1, seed, 1);
    else if (name.endsWith('.bias')) fillUniform(out, 0.05, seed);
    else if (this.distribution === 'laplace') fillLaplace(out, 0.02, seed);
    else fillUniform(out, 0.0346, seed);
    if (shape.length === 2 && this.transform) return Promise.resolve(this.transform(name, out, shape[0]!, shape[1]!));
    return Promise.resolve(out);
  }
}
