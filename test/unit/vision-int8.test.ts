// The int8 vision variant (every Linear as com.microsoft DynamicQuantizeMatMul over int8 weights
// per output channel): the quantizer, the operator against a naive transcription of its
// semantics, and each tiny vision graph against the naive reference forwards and its fp32 graph.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { emitLinear } from '../../electron/engine/onnx/emit-linear.js';
import { GraphBuilder } from '../../electron/engine/onnx/graph-builder.js';
import { dequantizeInt8, INT8_WEIGHT_MAX, quantizeInt8PerChannel } from '../../electron/engine/quant/int8-quantize.js';
import { buildConnectorGraph, type FusionInputs } from '../../electron/engine/vision/connector-graph.js';
import { buildInternVideoGraph } from '../../electron/engine/vision/internvideo-graph.js';
import { buildSiglipGraph } from '../../electron/engine/vision/siglip-graph.js';
import { fuseTowerFeatures } from '../../electron/engine/vision/trilinear-fusion.js';
import { fetcherFromMap, type VisionDtype } from '../../electron/engine/vision/vision-graph-parts.js';
import { connectorReference } from '../reference/connector-reference.js';
import { internVideoReference } from '../reference/internvideo-reference.js';
import { siglipReference } from '../reference/siglip-reference.js';
import { flatWeights, mulberry32, randomTensor, randomWeights, relativeError } from './vision-oracle.js';
import { connectorSpecs, internVideoSpecs, siglipSpecs, tinyConnector, tinyInternVideo, tinySiglip } from './vision-shapes-fixtures.js';

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

async function run(g: GraphBuilder, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(g.encode(), { intraOpNumThreads: 1 });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])));
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('int8 per-channel quantizer', () => {
  it('uses its whole 7-bit range per output channel and dequantizes within half a step', () => {
    const n = 7;
    const k = 33;
    const rand = mulberry32(5);
    const w = randomTensor([n, k], rand, 0, 0.05);
    w[3 * k + 4] = 0.9; // an outlier only widens its own row's step
    for (let j = 0; j < k; j++) w[6 * k + j] = 0; // an all-zero row stays zero
    const q = quantizeInt8PerChannel(w, n, k);
    const back = dequantizeInt8(q);
    for (let row = 0; row < n; row++) {
      let maxQ = 0;
      for (let j = 0; j < k; j++) {
        maxQ = Math.max(maxQ, Math.abs(q.data[j * n + row]!));
        expect(Math.abs(back[row * k + j]! - w[row * k + j]!)).toBeLessThanOrEqual(q.scales[row]! / 2 + 1e-9);
      }
      expect(maxQ).toBe(row === 6 ? 0 : INT8_WEIGHT_MAX);
    }
    expect(q.scales[3]! / q.scales[0]!).toBeGreaterThan(10);
  });
});

describe('DynamicQuantizeMatMul linear', () => {
  /**
   * The operator's documented semantics written out: A quantized per tensor to uint8 with
   * scale = (max(0, max A) − min(0, min A)) / 255 and zero point round(−min/scale) (ties to even),
   * integer products with the int8 B, scaled by a_scale · b_scale[col], plus the bias.
   */
  function naiveDynamicQuantizeMatMul(a: Float32Array, m: number, k: number, q: ReturnType<typeof quantizeInt8PerChannel>, bias: Float32Array): Float32Array {
    let lo = 0;
    let hi = 0;
    for (const v of a) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const scale = Math.fround((hi - lo) / 255);
    const roundEven = (x: number) => {
      const r = Math.round(x);
      return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    };
    const zp = Math.max(0, Math.min(255, roundEven(-lo / scale)));
    const qa = Int32Array.from(a, (v) => Math.max(0, Math.min(255, roundEven(v / scale) + zp)) - zp);
    const out = new Float32Array(m * q.n);
    for (let i = 0; i < m; i++) {
      for (let c = 0; c < q.n; c++) {
        let acc = 0;
        for (let j = 0; j < k; j++) acc += qa[i * k + j]! * q.data[j * q.n + c]!;
        out[i * q.n + c] = acc * scale * q.scales[c]! + bias[c]!;
      }
    }
    return out;
  }

  it('equals the naive integer computation and stays near the float product', async () => {
    const m = 9;
    const k = 64;
    const n = 24;
    const rand = mulberry32(7);
    const a = randomTensor([m, k], rand, 0.1, 1.5);
    const w = randomTensor([n, k], rand, 0, 0.1);
    const bias = randomTensor([n], rand, 0, 0.1);
    const q = quantizeInt8PerChannel(w, n, k);
    const g = new GraphBuilder({ name: 'int8-linear' });
    g.output(emitLinear(g, g.input('a', 'float32', [m, k]), 'lin', { kind: 'int8', quantized: q, bias }, 'float32'), 'y', 'float32', [m, n]);
    const got = await run(g, { a: { data: a, dims: [m, k] } });
    const naive = naiveDynamicQuantizeMatMul(a, m, k, q, bias);
    // same integers, one float rounding order apart
    expect(relativeError(got, naive)).toBeLessThan(1e-5);
    const exact = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let c = 0; c < n; c++) {
      let acc = bias[c]!;
      for (let j = 0; j < k; j++) acc += a[i * k + j]! * w[c * k + j]!;
      exact[i * n + c] = acc;
    }
    expect(relativeError(got, exact)).toBeLessThan(2e-2);
  });

  it('stays exact where 8-bit weights overflow a non-VNNI kernel (AVX2 sums u8·s8 pairs in int16)', async () => {
    // Every activation quantizes to 255 and every weight to ±INT8_WEIGHT_MAX: each pair of
    // products is 2 · 255 · 64 = 32,640, just inside int16 (with 127 it would be 64,770). On a CPU
    // with VNNI any range is exact; on an AVX2-only one this fails if the weights were 8-bit.
    const m = 3;
    const k = 96;
    const n = 16;
    const a = new Float32Array(m * k).fill(1.5);
    a[0] = 0; // the per-tensor minimum: zero point 0, so 1.5 quantizes to 255
    const w = new Float32Array(n * k);
    for (let c = 0; c < n; c++) for (let j = 0; j < k; j++) w[c * k + j] = (c % 2 === 0 ? 1 : -1) * 0.01 * (c + 1);
    const bias = new Float32Array(n);
    const q = quantizeInt8PerChannel(w, n, k);
    expect(Math.max(...Array.from(q.data, Math.abs))).toBe(INT8_WEIGHT_MAX);
    const g = new GraphBuilder({ name: 'int8-saturation' });
    g.output(emitLinear(g, g.input('a', 'float32', [m, k]), 'lin', { kind: 'int8', quantized: q, bias }, 'float32'), 'y', 'float32', [m, n]);
    const got = await run(g, { a: { data: a, dims: [m, k] } });
    expect(relativeError(got, naiveDynamicQuantizeMatMul(a, m, k, q, bias))).toBeLessThan(1e-5);
  });

  it('refuses a float16 graph', () => {
    const g = new GraphBuilder({ name: 'int8-f16' });
    const q = quantizeInt8PerChannel(new Float32Array(4), 2, 2);
    expect(() => emitLinear(g, g.input('a', 'float16', [1, 2]), 'lin', { kind: 'int8', quantized: q }, 'float16')).toThrow(/float32 graph/);
  });
});

/**
 * Tolerances of the int8 graphs on the tiny random models: max |int8 − ref| / max |ref| (measured
 * with 7-bit weights 7.8e-2 SigLIP, 1.6e-2 InternVideo2, 7.8e-3 connector, where 8-bit weights gave
 * 4.4e-2, 1.3e-2, 6.7e-3; widths of 8–20 channels make a per-tensor activation step large) and
 * cosine (measured ≥ 0.9995). The real-width figures, which decide the
 * default, come from bench/vision-encode.bench.ts.
 */
const INT8_MAX_RELATIVE_ERROR = 1e-1;
const INT8_MIN_COSINE = 0.999;
const errors: Record<string, { vsReference: number; vsFloat32Graph: number; cosine: number }> = {};

async function checkInt8(label: string, build: (dtype: VisionDtype) => Promise<GraphBuilder>, feeds: Parameters<typeof run>[1], reference: Float32Array): Promise<void> {
  const int8 = await run(await build('int8'), feeds);
  const fp32 = await run(await build('float32'), feeds);
  expect(relativeError(fp32, reference)).toBeLessThan(1e-4);
  errors[label] = { vsReference: relativeError(int8, reference), vsFloat32Graph: relativeError(int8, fp32), cosine: cosine(int8, reference) };
  expect(errors[label].vsReference).toBeLessThan(INT8_MAX_RELATIVE_ERROR);
  expect(errors[label].vsFloat32Graph).toBeLessThan(INT8_MAX_RELATIVE_ERROR);
  expect(errors[label].cosine).toBeGreaterThan(INT8_MIN_COSINE);
  // it really is the int8 graph: not bit-identical to fp32
  expect(errors[label].vsFloat32Graph).toBeGreaterThan(0);
}

describe('int8 vision graphs vs reference forwards', () => {
  it('SigLIP', async () => {
    const weights = flatWeights(randomWeights(siglipSpecs(tinySiglip), 41));
    const dims = [3, 3, tinySiglip.imageSize, tinySiglip.imageSize];
    const pixels = randomTensor(dims, mulberry32(1));
    await checkInt8('siglip', (dtype) => buildSiglipGraph(tinySiglip, fetcherFromMap(weights), dtype), { pixel_values: { data: pixels, dims } }, siglipReference(tinySiglip, weights, pixels, 3));
  });

  it('InternVideo2', async () => {
    const weights = flatWeights(randomWeights(internVideoSpecs(tinyInternVideo), 42));
    const dims = [2, 3, tinyInternVideo.numFrames, tinyInternVideo.imageSize, tinyInternVideo.imageSize];
    const pixels = randomTensor(dims, mulberry32(2));
    await checkInt8('internvideo2', (dtype) => buildInternVideoGraph(tinyInternVideo, fetcherFromMap(weights), dtype), { pixel_values: { data: pixels, dims } }, internVideoReference(tinyInternVideo, weights, pixels, 2));
  });

  it('fusion + connector', async () => {
    const weights = flatWeights(randomWeights(connectorSpecs(tinyConnector), 43));
    const n = 2;
    const fusion: FusionInputs = { grid: { frames: 4, height: 27, width: 27 }, siglipChannels: 8, internVideoGrid: { frames: 4, height: 16, width: 16 }, internVideoChannels: 12 };
    const rand = mulberry32(3);
    const sigDims = [n, 4, 27, 27, 8];
    const ivDims = [n, 4, 16, 16, 12];
    const sig = randomTensor(sigDims, rand);
    const iv = randomTensor(ivDims, rand);
    const ref = connectorReference(tinyConnector, weights, fuseTowerFeatures(sig, 8, iv, 12, n, fusion.internVideoGrid, fusion.grid), n, 4 * 27 * 27);
    await checkInt8('connector', (dtype) => buildConnectorGraph(tinyConnector, fusion, fetcherFromMap(weights), dtype), { siglip_features: { data: sig, dims: sigDims }, internvideo_features: { data: iv, dims: ivDims } }, ref);
  });

  it('reports the errors', () => {
    console.log(`vision int8 error (tiny shapes): ${JSON.stringify(errors)}`);
    expect(Object.keys(errors)).toEqual(['siglip', 'internvideo2', 'connector']);
  });
});
