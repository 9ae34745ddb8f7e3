// TypeScript twins of native/src/convert.cc: the same bit-level algorithms, used for parity tests
// and as the fallback when the addon cannot load.

export function bf16ToF32Twin(src: Uint16Array, dst: Float32Array): void {
  if (src.length !== dst.length) throw new RangeError('src and dst lengths differ');
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = (src[i]! << 16) >>> 0;
}

export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) {
    if (absx === 0x7f800000) return sign | 0x7c00;
    return sign | 0x7e00 | ((absx >>> 13) & 0x3ff);
  }
  if (absx >= 0x477ff000) return sign | 0x7c00;
  if (absx < 0x38800000) {
    if (absx < 0x33000000) return sign;
    const exp = absx >>> 23;
    const mant = (absx & 0x7fffff) | 0x800000;
    const shift = 126 - exp;
    const shifted = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    let out = shifted;
    if (rem > half || (rem === half && (shifted & 1) !== 0)) out++;
    return sign | out;
  }
  let h = (absx - 0x38000000) >>> 13;
  const rem = absx & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
  return sign | h;
}

export function f32ToF16Twin(src: Float32Array, dst: Uint16Array): void {
  if (src.length !== dst.length) throw new RangeError('src and dst lengths differ');
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) dst[i] = f32BitsToF16(bits[i]!);
}

/** F16 bits -> number, exact (used by tests and by readers of F16 tensors). */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
