// MatMulNBits' dequantization, W[n, k] = (q - zeroPoint) * scale, for error reports and tests.
import { f16BitsToNumber } from '../native/float-convert-twin.js';
import { INT4_SYMMETRIC_ZERO_POINT, type Int4Quantized } from './int4-layout.js';

export function dequantizeInt4(q: Int4Quantized): Float32Array {
  const { n, k, blockSize, blocksPerCol, blobSize, zeroPointBytesPerRow } = q;
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocksPerCol; b++) {
      const scaleIndex = row * blocksPerCol + b;
      const scale = q.scaleDtype === 'float16' ? f16BitsToNumber(q.scales[scaleIndex]!) : q.scales[scaleIndex]!;
      let zp = INT4_SYMMETRIC_ZERO_POINT;
      if (q.zeroPoints) {
        const byte = q.zeroPoints[row * zeroPointBytesPerRow + (b >> 1)]!;
        zp = (b & 1) === 0 ? byte & 0x0f : byte >> 4;
      }
      const end = Math.min(blockSize, k - b * blockSize);
      for (let j = 0; j < end; j++) {
        const byte = q.data[scaleIndex * blobSize + (j >> 1)]!;
        const v = (j & 1) === 0 ? byte & 0x0f : byte >> 4;
        out[row * k + b * blockSize + j] = (v - zp) * scale;
      }
    }
  }
  return out;
}

/** Error of an approximation against a reference: max |d|, RMS of d, and RMS of d relative to RMS of ref. */
export function errorStats(reference: Float32Array, approx: Float32Array): { maxAbs: number; rms: number; relRms: number } {
  if (reference.length !== approx.length) throw new RangeError('lengths differ');
  let maxAbs = 0;
  let sumSq = 0;
  let refSq = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = approx[i]! - reference[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    sumSq += d * d;
    refSq += reference[i]! * reference[i]!;
  }
  const rms = Math.sqrt(sumSq / Math.max(1, reference.length));
  return { maxAbs, rms, relRms: refSq === 0 ? 0 : Math.sqrt(sumSq / refSq) };
}
