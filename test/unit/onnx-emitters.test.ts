// Every shared emitter, built into a small graph, loaded and run in onnxruntime-node, against a
// naive loop written here from the math.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { emitCachedAttention, emitScaledDotProductAttention } from '../../electron/engine/onnx/emit-attention.js';
import { emitLinear } from '../../electron/engine/onnx/emit-linear.js';
import { emitGelu, emitPackedSwiGluMlp, emitSwiGluMlp } from '../../electron/engine/onnx/emit-mlp.js';
import { emitLayerNorm, emitRmsNorm, emitSkipRmsNorm } from '../../electron/engine/onnx/emit-norm.js';
import { emitRotary, emitRotaryCaches } from '../../electron/engine/onnx/emit-rotary.js';
import { ExternalDataWriter } from '../../electron/engine/onnx/external-data-writer.js';
import { encodeFloats, type FloatDType } from '../../electron/engine/onnx/float-encoding.js';
import { GraphBuilder } from '../../electron/engine/onnx/graph-builder.js';
import { onnx } from '../../electron/engine/onnx/onnx-schema.js';
import { allocateInt4 } from '../../electron/engine/quant/int4-layout.js';
import { dequantizeInt4 } from '../../electron/engine/quant/int4-dequantize.js';
import { quantizeInt4Twin } from '../../electron/engine/quant/int4-quantize-twin.js';
import { f16BitsToNumber } from '../../electron/engine/native/float-convert-twin.js';
import { makeTempDir } from '../helpers/paths.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 * scale);
}

async function runGraph(
  build: (g: GraphBuilder) => void,
  feeds: Record<string, ort.Tensor>,
  fetches?: Record<string, ort.Tensor>,
): Promise<{ out: Record<string, ort.Tensor>; dir: string }> {
  const dir = makeTempDir('onnx-emit');
  const g = new GraphBuilder({ name: 'test', externalData: new ExternalDataWriter(join(dir, 'model.onnx.data')), externalThreshold: 64 });
  build(g);
  g.save(join(dir, 'model.onnx'));
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: 1 });
  const out = fetches === undefined ? await session.run(feeds) : await session.run(feeds, fetches);
  await session.release();
  return { out, dir };
}

function asFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float16') return Float32Array.from(t.data as Uint16Array, (b) => f16BitsToNumber(b));
  return t.data as Float32Array;
}

function feedFloat(data: Float32Array, dims: number[], dtype: FloatDType): ort.Tensor {
  return new ort.Tensor(dtype, encodeFloats(data, dtype), dims);
}

function maxRelError(ref: Float32Array, got: Float32Array): number {
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(ref[i]! - got[i]!));
    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
  }
  return maxAbs / Math.max(maxRef, 1e-12);
}

/** y[r, o] = Σ x[r, i]·W[o, i] + b[o]. */
function naiveLinear(x: Float32Array, rows: number, w: Float32Array, out: number, inF: number, b?: Float32Array): Float32Array {
  const y = new Float32Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let s = b?.[o] ?? 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
      y[r * out + o] = s;
    }
  return y;
}

describe('GraphBuilder', () => {
  it('stores large initializers in the side file at 64-byte aligned offsets and small ones inline', async () => {
    const w = randn(7 * 5, 1);
    const b = randn(7, 2);
    const x = randn(3 * 5, 3);
    const { out, dir } = await runGraph(
      (g) => {
        const input = g.input('x', 'float32', ['batch', 'seq', 5]);
        g.output(emitLinear(g, input, 'fc', { kind: 'dense', weight: w, outFeatures: 7, inFeatures: 5, bias: b }, 'float32'), 'y', 'float32', ['batch', 'seq', 7]);
      },
      { x: new ort.Tensor('float32', x, [1, 3, 5]) },
    );
    expect(maxRelError(naiveLinear(x, 3, w, 7, 5, b), out.y!.data as Float32Array)).toBeLessThan(1e-6);
    const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
    const inits = model.graph!.initializer!;
    const external = inits.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
    expect(external.map((t) => t.name)).toEqual(['fc.weight']);
    const offsets = external.map((t) => Number(t.externalData!.find((e) => e.key === 'offset')!.value));
    expect(offsets.every((o) => o % 64 === 0)).toBe(true);
    expect(existsSync(join(dir, 'model.onnx.data'))).toBe(true);
    expect(statSync(join(dir, 'model.onnx.data')).size).toBe(7 * 5 * 4);
    expect(inits.find((t) => t.name === 'fc.bias')!.rawData!.length).toBe(7 * 4);
    expect(model.opsetImport!.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
  });

  it('rejects a value defined twice and an initializer whose bytes do not match its shape', () => {
    const g = new GraphBuilder({ name: 't' });
    g.input('x', 'float32', [1]);
    expect(() => g.input('x', 'float32', [1])).toThrow(/defined twice/);
    expect(() => g.initializer('w', 'float32', [2, 2], new Float32Array(3))).toThrow(/bytes/);
  });
});

describe.each(['float32', 'float16'] as const)('emitters in %s', (dtype) => {
  const tol = dtype === 'float32' ? 2e-5 : 5e-3;

  it('linear (dense) matches x·Wᵀ + b', async () => {
    const w = randn(6 * 8, 4);
    const b = randn(6, 5);
    const x = randn(2 * 4 * 8, 6);
    const { out } = await runGraph(
      (g) => {
        const input = g.input('x', dtype, ['batch', 'seq', 8]);
        g.output(emitLinear(g, input, 'fc', { kind: 'dense', weight: w, outFeatures: 6, inFeatures: 8, bias: b }, dtype), 'y', dtype, ['batch', 'seq', 6]);
      },
      { x: feedFloat(x, [2, 4, 8], dtype) },
    );
    expect(maxRelError(naiveLinear(x, 8, w, 6, 8, b), asFloat32(out.y!))).toBeLessThan(tol);
  });

  it.each([32, 128] as const)('linear (int4, MatMulNBits block %i) matches x·dequant(W)ᵀ', async (blockSize) => {
    const n = 12;
    const k = 256;
    const w = randn(n * k, 7);
    const q = allocateInt4(n, k, { blockSize, symmetric: false, scaleDtype: dtype });
    quantizeInt4Twin(w, q);
    const deq = dequantizeInt4(q);
    const x = randn(3 * k, 8);
    for (const accuracyLevel of [0, 4]) {
      const { out } = await runGraph(
        (g) => {
          const input = g.input('x', dtype, [1, 'seq', k]);
          g.output(emitLinear(g, input, 'fc', { kind: 'int4', quantized: q, accuracyLevel }, dtype), 'y', dtype, [1, 'seq', n]);
        },
        { x: feedFloat(x, [1, 3, k], dtype) },
      );
      // accuracy_level 4 quantizes activations to int8 per block: a bounded, looser error.
      expect(maxRelError(naiveLinear(x, 3, deq, n, k), asFloat32(out.y!))).toBeLessThan(accuracyLevel === 4 ? 2e-2 : tol);
    }
  });

  it('RMSNorm, fused residual RMSNorm and LayerNorm match their definitions', async () => {
    const h = 16;
    const rows = 5;
    const x = randn(rows * h, 9);
    const r = randn(rows * h, 10);
    const w = randn(h, 11);
    const b = randn(h, 12);
    const eps = 1e-6;
    const { out } = await runGraph(
      (g) => {
        const xi = g.input('x', dtype, [1, rows, h]);
        const ri = g.input('r', dtype, [1, rows, h]);
        g.output(emitRmsNorm(g, xi, 'n1', w, eps, dtype), 'rms', dtype, [1, rows, h]);
        const skip = emitSkipRmsNorm(g, xi, ri, 'n2', w, eps, dtype);
        g.output(skip.normed, 'skip_normed', dtype, [1, rows, h]);
        g.output(skip.sum, 'skip_sum', dtype, [1, rows, h]);
        g.output(emitLayerNorm(g, xi, 'n3', w, b, 1e-5, dtype), 'ln', dtype, [1, rows, h]);
      },
      { x: feedFloat(x, [1, rows, h], dtype), r: feedFloat(r, [1, rows, h], dtype) },
    );
    const rms = new Float32Array(rows * h);
    const skipNormed = new Float32Array(rows * h);
    const sum = new Float32Array(rows * h);
    const ln = new Float32Array(rows * h);
    for (let i = 0; i < rows; i++) {
      let ss = 0;
      let ss2 = 0;
      let mean = 0;
      for (let j = 0; j < h; j++) {
        const v = x[i * h + j]!;
        ss += v * v;
        sum[i * h + j] = v + r[i * h + j]!;
        ss2 += sum[i * h + j]! ** 2;
        mean += v / h;
      }
      let varSum = 0;
      for (let j = 0; j < h; j++) varSum += (x[i * h + j]! - mean) ** 2 / h;
      for (let j = 0; j < h; j++) {
        rms[i * h + j] = (x[i * h + j]! / Math.sqrt(ss / h + eps)) * w[j]!;
        skipNormed[i * h + j] = (sum[i * h + j]! / Math.sqrt(ss2 / h + eps)) * w[j]!;
        ln[i * h + j] = ((x[i * h + j]! - mean) / Math.sqrt(varSum + 1e-5)) * w[j]! + b[j]!;
      }
    }
    expect(maxRelError(rms, asFloat32(out.rms!))).toBeLessThan(tol);
    expect(maxRelError(skipNormed, asFloat32(out.skip_normed!))).toBeLessThan(tol);
    expect(maxRelError(sum, asFloat32(out.skip_sum!))).toBeLessThan(tol);
    expect(maxRelError(ln, asFloat32(out.ln!))).toBeLessThan(tol);
  });

  it('rotary (rotate-half) matches the definition at the fed position ids', async () => {
    const heads = 3;
    const d = 8;
    const seq = 4;
    const theta = 10000;
    const x = randn(seq * heads * d, 13);
    const positions = [5, 6, 9, 30];
    const { out } = await runGraph(
      (g) => {
        const xi = g.input('x', dtype, [1, 'seq', heads * d]);
        const pi = g.input('pos', 'int64', [1, 'seq']);
        g.output(emitRotary(g, xi, pi, emitRotaryCaches(g, 'rope', theta, d, 64, dtype), heads), 'y', dtype, [1, 'seq', heads * d]);
      },
      { x: feedFloat(x, [1, seq, heads * d], dtype), pos: new ort.Tensor('int64', BigInt64Array.from(positions.map(BigInt)), [1, seq]) },
    );
    const ref = new Float32Array(x.length);
    for (let s = 0; s < seq; s++)
      for (let hh = 0; hh < heads; hh++)
        for (let i = 0; i < d / 2; i++) {
          const a = positions[s]! / theta ** ((2 * i) / d);
          const base = s * heads * d + hh * d;
          const x1 = x[base + i]!;
          const x2 = x[base + i + d / 2]!;
          ref[base + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
          ref[base + i + d / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
    expect(maxRelError(ref, asFloat32(out.y!))).toBeLessThan(tol);
  });

  it('cached attention over per-head cache views matches causal GQA attention over past + new', async () => {
    const heads = 4;
    const kvHeads = 2;
    const d = 8;
    const past = 3;
    const seq = 2;
    const total = past + seq;
    const q = randn(seq * heads * d, 14);
    // The cache as the session holds it: per kv head [total, d], the new positions last.
    const keys = [randn(total * d, 17), randn(total * d, 19)];
    const values = [randn(total * d, 18), randn(total * d, 20)];
    const { out } = await runGraph(
      (g) => {
        const o = emitCachedAttention(g, {
          query: g.input('q', 'float32', [1, 'seq', heads * d]),
          keys: [0, 1].map((j) => g.input(`k${j}`, dtype, ['total', d])),
          values: [0, 1].map((j) => g.input(`v${j}`, dtype, ['total', d])),
          numHeads: heads, kvNumHeads: kvHeads, headDim: d, cacheDtype: dtype,
        });
        g.output(o, 'y', 'float32', [1, 'seq', heads * d]);
      },
      {
        q: new ort.Tensor('float32', q, [1, seq, heads * d]),
        k0: feedFloat(keys[0]!, [total, d], dtype), k1: feedFloat(keys[1]!, [total, d], dtype),
        v0: feedFloat(values[0]!, [total, d], dtype), v1: feedFloat(values[1]!, [total, d], dtype),
      },
    );
    const ref = new Float32Array(seq * heads * d);
    for (let s = 0; s < seq; s++)
      for (let hh = 0; hh < heads; hh++) {
        const kh = Math.floor(hh / (heads / kvHeads));
        const visible = past + s + 1;
        const scores = [];
        for (let t = 0; t < visible; t++) {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += q[s * heads * d + hh * d + i]! * keys[kh]![t * d + i]!;
          scores.push(dot / Math.sqrt(d));
        }
        const m = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < d; i++) ref[s * heads * d + hh * d + i] = e.reduce((acc, p, t) => acc + (p / z) * values[kh]![t * d + i]!, 0);
      }
    expect(maxRelError(ref, out.y!.data as Float32Array)).toBeLessThan(tol);
  });

  it('plain softmax attention (GQA by broadcast) matches the definition', async () => {
    const heads = 4;
    const kvHeads = 2;
    const d = 6;
    const sq = 3;
    const sk = 5;
    const q = randn(sq * heads * d, 19);
    const k = randn(sk * kvHeads * d, 20);
    const v = randn(sk * kvHeads * d, 21);
    const { out } = await runGraph(
      (g) => {
        const qi = g.input('q', dtype, [1, 'sq', heads * d]);
        const ki = g.input('k', dtype, [1, 'sk', kvHeads * d]);
        const vi = g.input('v', dtype, [1, 'sk', kvHeads * d]);
        g.output(emitScaledDotProductAttention(g, qi, ki, vi, { numHeads: heads, numKvHeads: kvHeads, headDim: d, dtype }), 'y', dtype, [1, 'sq', heads * d]);
      },
      { q: feedFloat(q, [1, sq, heads * d], dtype), k: feedFloat(k, [1, sk, kvHeads * d], dtype), v: feedFloat(v, [1, sk, kvHeads * d], dtype) },
    );
    const ref = new Float32Array(sq * heads * d);
    for (let s = 0; s < sq; s++)
      for (let hh = 0; hh < heads; hh++) {
        const kh = Math.floor(hh / (heads / kvHeads));
        const scores = [];
        for (let t = 0; t < sk; t++) {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += q[s * heads * d + hh * d + i]! * k[t * kvHeads * d + kh * d + i]!;
          scores.push(dot / Math.sqrt(d));
        }
        const m = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < d; i++) ref[s * heads * d + hh * d + i] = e.reduce((acc, p, t) => acc + (p / z) * v[t * kvHeads * d + kh * d + i]!, 0);
      }
    expect(maxRelError(ref, asFloat32(out.y!))).toBeLessThan(tol);
  });

  it('SwiGLU MLP and both GELU variants match their definitions', async () => {
    const h = 8;
    const inter = 12;
    const rows = 3;
    const x = randn(rows * h, 22);
    const wg = randn(inter * h, 23);
    const wu = randn(inter * h, 24);
    const wd = randn(h * inter, 25);
    const dense = (weight: Float32Array, o: number, i: number) => ({ kind: 'dense' as const, weight, outFeatures: o, inFeatures: i });
    const { out } = await runGraph(
      (g) => {
        const xi = g.input('x', dtype, [1, rows, h]);
        g.output(emitSwiGluMlp(g, xi, 'mlp', { gate: dense(wg, inter, h), up: dense(wu, inter, h), down: dense(wd, h, inter) }, dtype), 'mlp', dtype, [1, rows, h]);
        const gateUp = new Float32Array(2 * inter * h);
        gateUp.set(wg);
        gateUp.set(wu, inter * h);
        g.output(emitPackedSwiGluMlp(g, xi, 'packed', { gateUp: dense(gateUp, 2 * inter, h), down: dense(wd, h, inter) }, inter, dtype), 'packed', dtype, [1, rows, h]);
        g.output(emitGelu(g, xi, 'erf'), 'gelu_erf', dtype, [1, rows, h]);
        g.output(emitGelu(g, xi, 'tanh'), 'gelu_tanh', dtype, [1, rows, h]);
      },
      { x: feedFloat(x, [1, rows, h], dtype) },
    );
    const gate = naiveLinear(x, rows, wg, inter, h);
    const up = naiveLinear(x, rows, wu, inter, h);
    const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]!);
    expect(maxRelError(naiveLinear(act, rows, wd, h, inter), asFloat32(out.mlp!))).toBeLessThan(tol);
    expect(maxRelError(naiveLinear(act, rows, wd, h, inter), asFloat32(out.packed!))).toBeLessThan(tol);
    const erf = (z: number) => {
      // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead (|z| small here).
      let sum = 0;
      let term = z;
      for (let n = 0; n < 60; n++) {
        sum += term / (2 * n + 1);
        term *= (-z * z) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    expect(maxRelError(x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), asFloat32(out.gelu_erf!))).toBeLessThan(tol);
    expect(maxRelError(x.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))), asFloat32(out.gelu_tanh!))).toBeLessThan(tol);
  });
});
