// Float weights in the graph's float dtype: float32 as is, float16 as F16 bits (round to nearest
// even, on the native addon when it loads).
import { floatConverter } from '../native/float-convert.js';

export type FloatDType = 'float32' | 'float16';

export function encodeFloats(values: Float32Array, dtype: FloatDType): Float32Array | Uint16Array {
  if (dtype === 'float32') return values;
  const out = new Uint16Array(values.length);
  floatConverter().f32ToF16(values, out);
  return out;
}

/** [rows, cols] row-major -> [cols, rows]: PyTorch Linear weights are [out, in], MatMul wants [in, out]. */
export function transposeMatrix(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  const tile = 32;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const rEnd = Math.min(rows, r0 + tile);
      const cEnd = Math.min(cols, c0 + tile);
      for (let r = r0; r < rEnd; r++) for (let c = c0; c < cEnd; c++) out[c * rows + r] = values[r * cols + c]!;
    }
  }
  return out;
}
