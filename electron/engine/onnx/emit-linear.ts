// y = x·Wᵀ + b for a PyTorch Linear W [out, in], dense or 4-bit.
import type { Int4Quantized } from '../quant/int4-layout.js';
import type { Int8Quantized } from '../quant/int8-quantize.js';
import { encodeFloats, transposeMatrix, type FloatDType } from './float-encoding.js';
import { attr, MS_DOMAIN, type GraphBuilder } from './graph-builder.js';

export type LinearWeights =
  | { kind: 'dense'; weight: Float32Array; outFeatures: number; inFeatures: number; bias?: Float32Array }
  | {
      kind: 'int4';
      quantized: Int4Quantized;
      bias?: Float32Array;
      /** MatMulNBits accuracy_level: 4 = int8 activations (fastest on CPU), 0 = unset (float). */
      accuracyLevel: number;
    }
  | {
      /** int8 weights per output channel, activations quantized at run time (float32 graphs only). */
      kind: 'int8';
      quantized: Int8Quantized;
      bias?: Float32Array;
    };

/**
 * Emits one linear layer named `name` (weights are named `${name}.weight` etc.).
 * int4 uses com.microsoft MatMulNBits: it reads the 4-bit blocks directly (decode is bound by
 * weight bytes read, so never dequantizing to a full matrix is the whole point) and computes
 * exactly A · dequant(B)ᵀ with dequant = (q - zero_point) * scale per block (accuracy_level 4
 * additionally quantizes A to int8 per block, an approximation that is measured, not assumed).
 * int8 uses com.microsoft DynamicQuantizeMatMul: A is quantized to uint8 per tensor at run time
 * (scale and zero point from its min/max), multiplied with the int8 B in integers (VNNI on CPU)
 * and scaled back per column; the bias is added inside the same kernel.
 */
export function emitLinear(g: GraphBuilder, x: string, name: string, w: LinearWeights, dtype: FloatDType): string {
  let y: string;
  let outFeatures: number;
  if (w.kind === 'dense') {
    if (w.weight.length !== w.outFeatures * w.inFeatures) throw new Error(`${name}: weight size does not match [${w.outFeatures}, ${w.inFeatures}]`);
    outFeatures = w.outFeatures;
    const wt = g.initializer(`${name}.weight`, dtype, [w.inFeatures, w.outFeatures], encodeFloats(transposeMatrix(w.weight, w.outFeatures, w.inFeatures), dtype));
    y = g.op('MatMul', [x, wt]);
  } else if (w.kind === 'int8') {
    if (dtype !== 'float32') throw new Error(`${name}: int8 weights need a float32 graph, not ${dtype}`);
    const q = w.quantized;
    const b = g.initializer(`${name}.weight_i8`, 'int8', [q.k, q.n], q.data);
    const scales = g.initializer(`${name}.weight_scales`, 'float32', [q.n], q.scales);
    if (w.bias !== undefined && w.bias.length !== q.n) throw new Error(`${name}: bias has ${w.bias.length} values, expected ${q.n}`);
    const inputs = w.bias === undefined ? [x, b, scales] : [x, b, scales, '', g.initializer(`${name}.bias`, 'float32', [q.n], w.bias)];
    return g.op('DynamicQuantizeMatMul', inputs, {}, MS_DOMAIN);
  } else {
    const q = w.quantized;
    if (q.scaleDtype !== dtype) throw new Error(`${name}: scales are ${q.scaleDtype} but the graph is ${dtype}`);
    outFeatures = q.n;
    const b = g.initializer(`${name}.weight_q4`, 'uint8', [q.n, q.blocksPerCol, q.blobSize], q.data);
    const scales = g.initializer(`${name}.weight_scales`, dtype, [q.n * q.blocksPerCol], q.scales);
    const zp = q.zeroPoints === undefined ? '' : g.initializer(`${name}.weight_zp`, 'uint8', [q.n * q.zeroPointBytesPerRow], q.zeroPoints);
    const inputs = zp === '' ? [x, b, scales] : [x, b, scales, zp];
    y = g.op(
      'MatMulNBits',
      inputs,
      { K: attr.int(q.k), N: attr.int(q.n), bits: attr.int(4), block_size: attr.int(q.blockSize), accuracy_level: attr.int(w.accuracyLevel) },
      MS_DOMAIN,
    );
  }
  if (w.bias !== undefined) {
    if (w.bias.length !== outFeatures) throw new Error(`${name}: bias has ${w.bias.length} values, expected ${outFeatures}`);
    y = g.op('Add', [y, g.initializer(`${name}.bias`, dtype, [outFeatures], encodeFloats(w.bias, dtype))]);
  }
  return y;
}
