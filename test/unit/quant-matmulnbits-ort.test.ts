// The quantizer's layout is the one onnxruntime's MatMulNBits reads: a one-node MatMulNBits graph
// run in onnxruntime-node equals A · dequantize(W)ᵀ computed here in float64.
import { createRequire } from 'node:module';
import type * as OnnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { f16BitsToNumber, f32ToF16Twin } from '../../electron/engine/native/float-convert-twin.js';
import { dequantizeInt4 } from '../../electron/engine/quant/int4-dequantize.js';
import type { Int4Quantized, Int4QuantizeOptions } from '../../electron/engine/quant/int4-layout.js';
import { int4Quantizer } from '../../electron/engine/quant/int4-quantize.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto;

function randomArray(length: number, seed: number, amplitude: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length }, () => (rand() - 0.5) * 2 * amplitude);
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A model with one MatMulNBits node whose B/scales/zero_points are initializers. */
function matMulNBitsModel(q: Int4Quantized, accuracyLevel: number): Uint8Array {
  const T = onnx.TensorProto.DataType;
  const act = q.scaleDtype === 'float16' ? T.FLOAT16 : T.FLOAT;
  const initializers = [
    onnx.TensorProto.create({ name: 'B', dataType: T.UINT8, dims: [q.n, q.blocksPerCol, q.blobSize], rawData: q.data }),
    onnx.TensorProto.create({ name: 'scales', dataType: act, dims: [q.n * q.blocksPerCol], rawData: bytesOf(q.scales) }),
  ];
  const inputs = ['A', 'B', 'scales'];
  if (q.zeroPoints) {
    initializers.push(onnx.TensorProto.create({ name: 'zero_points', dataType: T.UINT8, dims: [q.zeroPoints.length], rawData: q.zeroPoints }));
    inputs.push('zero_points');
  }
  const attr = (name: string, i: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const valueInfo = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: act, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    });
  const graph = onnx.GraphProto.create({
    name: 'matmulnbits',
    node: [
      onnx.NodeProto.create({
        opType: 'MatMulNBits',
        domain: 'com.microsoft',
        input: inputs,
        output: ['Y'],
        attribute: [attr('K', q.k), attr('N', q.n), attr('bits', 4), attr('block_size', q.blockSize), attr('accuracy_level', accuracyLevel)],
      }),
    ],
    initializer: initializers,
    input: [valueInfo('A', ['m', q.k])],
    output: [valueInfo('Y', ['m', q.n])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

function referenceMatMul(a: Float32Array, m: number, w: Float32Array, n: number, k: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t]! * w[j * k + t]!;
      y[i * n + j] = s;
    }
  return y;
}

const quantizer = int4Quantizer();

describe('MatMulNBits in onnxruntime-node reads the quantizer layout', () => {
  const cases: (Int4QuantizeOptions & { k: number; n: number })[] = [
    { k: 256, n: 48, blockSize: 32, symmetric: true, scaleDtype: 'float32' },
    { k: 256, n: 48, blockSize: 32, symmetric: false, scaleDtype: 'float32' },
    { k: 384, n: 40, blockSize: 128, symmetric: true, scaleDtype: 'float32' },
    { k: 384, n: 40, blockSize: 128, symmetric: false, scaleDtype: 'float32' },
    { k: 96, n: 24, blockSize: 64, symmetric: false, scaleDtype: 'float32' }, // K not a multiple of the block, odd block count
    { k: 256, n: 32, blockSize: 32, symmetric: false, scaleDtype: 'float16' },
  ];

  it.each(cases)('equals A · dequantize(W)ᵀ: %o', async (c) => {
    const m = 3;
    const w = randomArray(c.n * c.k, c.k + c.n, 0.1);
    const q = quantizer.quantize(w, c.n, c.k, c);
    const wq = dequantizeInt4(q);
    const a = randomArray(m * c.k, 99, 1);
    const session = await ort.InferenceSession.create(matMulNBitsModel(q, 0), { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
    try {
      let feedA: ort.Tensor;
      let aUsed = a;
      if (c.scaleDtype === 'float16') {
        const a16 = new Uint16Array(a.length);
        f32ToF16Twin(a, a16);
        aUsed = Float32Array.from(a16, f16BitsToNumber);
        feedA = new ort.Tensor('float16', a16, [m, c.k]);
      } else feedA = new ort.Tensor('float32', a, [m, c.k]);
      const out = await session.run({ A: feedA });
      const yTensor = out.Y!;
      const y = c.scaleDtype === 'float16' ? Float64Array.from(yTensor.data as Uint16Array, f16BitsToNumber) : Float64Array.from(yTensor.data as Float32Array);
      const ref = referenceMatMul(aUsed, m, wq, c.n, c.k);
      const refUnquantized = referenceMatMul(aUsed, m, w, c.n, c.k);
      let maxRef = 0;
      for (const v of ref) maxRef = Math.max(maxRef, Math.abs(v));
      const tol = (c.scaleDtype === 'float16' ? 2e-3 : 1e-5) * maxRef;
      let maxErr = 0;
      let maxQuantErr = 0;
      for (let i = 0; i < ref.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(y[i]! - ref[i]!));
        maxQuantErr = Math.max(maxQuantErr, Math.abs(refUnquantized[i]! - ref[i]!));
      }
      expect(maxErr).toBeLessThan(tol);
      // The check is sharp: the quantization error itself is far larger than the tolerance.
      expect(maxQuantErr).toBeGreaterThan(tol * 5);
    } finally {
      await session.release();
    }
  });
});
