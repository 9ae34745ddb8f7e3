// TypeScript twin of native/src/quantize.cc: the same float32 arithmetic step by step (each
// operation rounded with Math.fround), so both produce identical bytes. Used for parity tests and
// as the fallback when the addon cannot load.
import { f16BitsToNumber, f32BitsToF16 } from '../native/float-convert-twin.js';
import { INT4_SYMMETRIC_ZERO_POINT, type Int4Quantized } from './int4-layout.js';

const f32 = Math.fround;
const bitsView = new Float32Array(1);
const bitsViewU32 = new Uint32Array(bitsView.buffer);

/** Round half to even, as C's nearbyint in the default rounding mode. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function clampNibble(v: number): number {
  return v < 0 ? 0 : v > 15 ? 15 : v;
}

/** float32 -> F16 bits (round to nearest even). */
function toF16Bits(x: number): number {
  bitsView[0] = x;
  return f32BitsToF16(bitsViewU32[0]!);
}

/**
 * Quantizes W [n, k] (row-major float32) into `out`, whose buffers come from allocateInt4.
 * Symmetric: scale = (value of largest magnitude) / -8, so that value maps exactly to q = 0 (as
 * llama.cpp's Q4_0). Asymmetric: the range [min(0, lo), max(0, hi)] over 15 steps with a rounded
 * zero point, so 0 stays exact (as onnxruntime's own blockwise quantizer).
 */
export function quantizeInt4Twin(weight: Float32Array, out: Int4Quantized): void {
  const { n, k, blockSize, blocksPerCol, blobSize, zeroPointBytesPerRow, symmetric } = out;
  if (weight.length !== n * k) throw new RangeError(`weight has ${weight.length} values, expected ${n} x ${k}`);
  const halfScales = out.scaleDtype === 'float16';
  const data = out.data;
  data.fill(0);
  if (out.zeroPoints) out.zeroPoints.fill(0);
  for (let row = 0; row < n; row++) {
    const rowBase = row * k;
    for (let b = 0; b < blocksPerCol; b++) {
      const start = b * blockSize;
      const end = Math.min(k, start + blockSize);
      let scale: number;
      let zp = INT4_SYMMETRIC_ZERO_POINT;
      let lo = 0;
      if (symmetric) {
        let maxAbs = 0;
        let m = 0;
        for (let i = start; i < end; i++) {
          const x = weight[rowBase + i]!;
          const a = Math.abs(x);
          if (a > maxAbs) {
            maxAbs = a;
            m = x;
          }
        }
        scale = f32(m / -8);
      } else {
        let hi = 0;
        for (let i = start; i < end; i++) {
          const x = weight[rowBase + i]!;
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        scale = f32(f32(hi - lo) / 15);
      }
      const scaleIndex = row * blocksPerCol + b;
      if (halfScales) {
        const h = toF16Bits(scale);
        (out.scales as Uint16Array)[scaleIndex] = h;
        scale = f16BitsToNumber(h);
      } else {
        (out.scales as Float32Array)[scaleIndex] = scale;
      }
      // The asymmetric range includes 0, so -lo/scale lies in [0, 15] up to rounding.
      if (!symmetric && scale !== 0) zp = clampNibble(roundHalfEven(f32(-lo / scale)));
      const blobBase = scaleIndex * blobSize;
      for (let j = 0; j < blockSize; j++) {
        const i = start + j;
        const q = i < end && scale !== 0 ? clampNibble(roundHalfEven(f32(weight[rowBase + i]! / scale)) + zp) : zp;
        const at = blobBase + (j >> 1);
        data[at] = data[at]! | ((j & 1) === 0 ? q : q << 4);
      }
      if (out.zeroPoints) {
        const at = row * zeroPointBytesPerRow + (b >> 1);
        out.zeroPoints[at] = out.zeroPoints[at]! | ((b & 1) === 0 ? zp : zp << 4);
      }
    }
  }
}
