// A naive Qwen2 forward pass in plain loops over Float32Array, written from the spec (section 9)
// and HF's Qwen2 modelling, never from the graph builder: the tests' independent reference for
// the ONNX decoder. Slow on purpose (no tricks to get wrong); only for tiny checkpoints.
import { outputMatrixName, qwen2Names, type Qwen2Config } from '../../electron/engine/llm/qwen2-config.js';
import type { Float32WeightSource } from '../../electron/engine/llm/qwen2-decoder-graph.js';

interface LinearF32 {
  weight: Float32Array; // [out, in]
  bias: Float32Array | undefined;
  out: number;
  in: number;
}

interface ReferenceLayer {
  inputNorm: Float32Array;
  q: LinearF32;
  k: LinearF32;
  v: LinearF32;
  o: LinearF32;
  postNorm: Float32Array;
  gate: LinearF32;
  up: LinearF32;
  down: LinearF32;
}

export interface Qwen2ReferenceWeights {
  embedTokens: Float32Array;
  layers: ReferenceLayer[];
  finalNorm: Float32Array;
  outputMatrix: Float32Array;
}

export async function loadQwen2ReferenceWeights(config: Qwen2Config, source: Float32WeightSource): Promise<Qwen2ReferenceWeights> {
  const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize: inter } = config;
  const lin = async (name: string, out: number, inF: number, withBias: boolean): Promise<LinearF32> => ({
    weight: await source.readFloat32(`${name}.weight`),
    bias: withBias ? await source.readFloat32(`${name}.bias`) : undefined,
    out,
    in: inF,
  });
  const layers: ReferenceLayer[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const n = qwen2Names.layer(i);
    layers.push({
      inputNorm: await source.readFloat32(n.inputNorm),
      q: await lin(n.q, numHeads * headDim, h, true),
      k: await lin(n.k, numKvHeads * headDim, h, true),
      v: await lin(n.v, numKvHeads * headDim, h, true),
      o: await lin(n.o, h, numHeads * headDim, false),
      postNorm: await source.readFloat32(n.postAttentionNorm),
      gate: await lin(n.gate, inter, h, false),
      up: await lin(n.up, inter, h, false),
      down: await lin(n.down, h, inter, false),
    });
  }
  return {
    embedTokens: await source.readFloat32(qwen2Names.embedTokens),
    layers,
    finalNorm: await source.readFloat32(qwen2Names.finalNorm),
    outputMatrix: await source.readFloat32(outputMatrixName(config)),
  };
}

/** Keys and values of every past position, per layer: [position][kvHead·headDim]. */
export interface ReferenceKvCache {
  keys: Float32Array[][];
  values: Float32Array[][];
}

function linear(x: Float32Array, l: LinearF32): Float32Array {
  const y = new Float32Array(l.out);
  for (let o = 0; o < l.out; o++) {
    let s = l.bias === undefined ? 0 : l.bias[o]!;
    const row = o * l.in;
    for (let i = 0; i < l.in; i++) s += x[i]! * l.weight[row + i]!;
    y[o] = s;
  }
  return y;
}

function rmsNorm(x: Float32Array, w: Float32Array, eps: number): Float32Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * w[i]!);
}

/** HF rotate_half: each head's first half pairs with its second half. */
function applyRope(x: Float32Array, heads: number, headDim: number, position: number, theta: number): Float32Array {
  const out = new Float32Array(x.length);
  const half = headDim / 2;
  for (let hd = 0; hd < heads; hd++) {
    const base = hd * headDim;
    for (let i = 0; i < half; i++) {
      const angle = position / Math.pow(theta, (2 * i) / headDim);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const x1 = x[base + i]!;
      const x2 = x[base + i + half]!;
      out[base + i] = x1 * c - x2 * s;
      out[base + i + half] = x2 * c + x1 * s;
    }
  }
  return out;
}

export class Qwen2Reference {
  constructor(
    readonly config: Qwen2Config,
    readonly weights: Qwen2ReferenceWeights,
  ) {}

  newCache(): ReferenceKvCache {
    return { keys: this.weights.layers.map(() => []), values: this.weights.layers.map(() => []) };
  }

  /** Rows of embed_tokens for the ids, [ids.length × hidden]. */
  embed(ids: readonly number[]): Float32Array {
    const h = this.config.hiddenSize;
    const out = new Float32Array(ids.length * h);
    ids.forEach((id, t) => out.set(this.weights.embedTokens.subarray(id * h, (id + 1) * h), t * h));
    return out;
  }

  /**
   * Runs `embeds` [seq × hidden] at `positions`, appending to `cache`; returns the logits of
   * every new position, [seq × vocab].
   */
  forward(embeds: Float32Array, positions: readonly number[], cache: ReferenceKvCache): Float32Array {
    const { hiddenSize: h, numHeads, numKvHeads, headDim, vocabSize, rmsNormEps: eps, ropeTheta } = this.config;
    const seq = positions.length;
    const group = numHeads / numKvHeads;
    const hidden: Float32Array[] = Array.from({ length: seq }, (_, t) => embeds.slice(t * h, (t + 1) * h));
    this.weights.layers.forEach((layer, li) => {
      const keys = cache.keys[li]!;
      const values = cache.values[li]!;
      const queries: Float32Array[] = [];
      for (let t = 0; t < seq; t++) {
        const x = rmsNorm(hidden[t]!, layer.inputNorm, eps);
        queries.push(applyRope(linear(x, layer.q), numHeads, headDim, positions[t]!, ropeTheta));
        keys.push(applyRope(linear(x, layer.k), numKvHeads, headDim, positions[t]!, ropeTheta));
        values.push(linear(x, layer.v));
      }
      const pastLength = keys.length - seq;
      for (let t = 0; t < seq; t++) {
        const visible = pastLength + t + 1; // causal: the past and the new positions up to t
        const ctx = new Float32Array(numHeads * headDim);
        for (let hd = 0; hd < numHeads; hd++) {
          const kvh = Math.floor(hd / group);
          const scores = new Float64Array(visible);
          let max = -Infinity;
          for (let j = 0; j < visible; j++) {
            let dot = 0;
            for (let i = 0; i < headDim; i++) dot += queries[t]![hd * headDim + i]! * keys[j]![kvh * headDim + i]!;
            scores[j] = dot / Math.sqrt(headDim);
            max = Math.max(max, scores[j]!);
          }
          let z = 0;
          for (let j = 0; j < visible; j++) z += scores[j] = Math.exp(scores[j]! - max);
          for (let i = 0; i < headDim; i++) {
            let acc = 0;
            for (let j = 0; j < visible; j++) acc += (scores[j]! / z) * values[j]![kvh * headDim + i]!;
            ctx[hd * headDim + i] = acc;
          }
        }
        const attnOut = linear(ctx, layer.o);
        const afterAttn = hidden[t]!.map((v, i) => v + attnOut[i]!);
        const x = rmsNorm(afterAttn, layer.postNorm, eps);
        const gate = linear(x, layer.gate);
        const up = linear(x, layer.up);
        const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]!);
        const mlpOut = linear(act, layer.down);
        hidden[t] = afterAttn.map((v, i) => v + mlpOut[i]!);
      }
    });
    const logits = new Float32Array(seq * vocabSize);
    for (let t = 0; t < seq; t++) {
      const x = rmsNorm(hidden[t]!, this.weights.finalNorm, eps);
      for (let r = 0; r < vocabSize; r++) {
        let s = 0;
        const row = r * h;
        for (let i = 0; i < h; i++) s += x[i]! * this.weights.outputMatrix[row + i]!;
        logits[t * vocabSize + r] = s;
      }
    }
    return logits;
  }
}
