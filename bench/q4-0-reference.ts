// llama.cpp's Q4_0 round trip (quantize_row_q4_0_ref, then dequantize): blocks of 32 along a
// row, d = (value of largest magnitude) / -8 stored as F16, q = min(15, trunc(x/d + 8.5)).
// The benchmark uses it to put Q4_0's weight error beside MatMulNBits' on the same weights.
import { f16BitsToNumber, f32BitsToF16 } from '../electron/engine/native/float-convert-twin.js';

const f32 = Math.fround;
const view = new Float32Array(1);
const bits = new Uint32Array(view.buffer);

export function q4_0RoundTrip(w: Float32Array, rows: number, cols: number): Float32Array {
  if (cols % 32 !== 0) throw new Error('Q4_0 needs rows that are a multiple of 32');
  const out = new Float32Array(rows * cols);
  for (let base = 0; base < rows * cols; base += 32) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = w[base + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f32(max / -8);
    const id = d !== 0 ? f32(1 / d) : 0;
    view[0] = d;
    const dh = f16BitsToNumber(f32BitsToF16(bits[0]!));
    for (let j = 0; j < 32; j++) {
      const q = Math.min(15, Math.trunc(f32(f32(w[base + j]! * id) + 8.5)));
      out[base + j] = f32((q - 8) * dh);
    }
  }
  return out;
}
