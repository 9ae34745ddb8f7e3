// Every float conversion's algorithm, in TypeScript: the twins of native/src/convert.cc and
// quantize.cc (the same bit-level algorithms, used for parity tests and as the fallback when the
// addon cannot load), plus the conversions only TypeScript needs (F16 widening at load time, F32 →
// BF16 for writing BF16 checkpoints). native/float-convert.ts picks native or twin.

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

/** BF16 -> F16 bits (round to nearest even, as F32 -> F16 would round the same value). */
export function bf16ToF16Twin(src: Uint16Array, dst: Uint16Array): void {
  if (src.length !== dst.length) throw new RangeError('src and dst lengths differ');
  for (let i = 0; i < src.length; i++) dst[i] = f32BitsToF16((src[i]! << 16) >>> 0);
}

/** F16 bits -> F32 bits for every F16 value: exact, and fast enough for load time. */
let f16Table: Uint32Array | undefined;

function f16ToF32Table(): Uint32Array {
  if (f16Table === undefined) {
    const values = new Float32Array(65536);
    const bits = new Uint32Array(values.buffer);
    f16Table = bits;
    // Built from bit patterns so that NaN payloads and signed zeros survive exactly.
    for (let h = 0; h < 65536; h++) {
      const sign = (h & 0x8000) << 16;
      const exp = (h >>> 10) & 0x1f;
      const mant = h & 0x3ff;
      if (exp === 0) values[h] = (sign !== 0 ? -1 : 1) * mant * 2 ** -24;
      else if (exp === 31) bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
      else bits[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
  }
  return f16Table;
}

export function f16ToF32(src: Uint16Array, dst: Float32Array): void {
  if (src.length !== dst.length) throw new RangeError('src and dst lengths differ');
  const t = f16ToF32Table();
  // Copied as bits: a float load/store could quieten a signalling NaN.
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]!]!;
}

const one = new Float32Array(1);
const oneBits = new Uint32Array(one.buffer);

/** F16 bits -> number, exact (tests and readers of single F16 values; the same table as f16ToF32). */
export function f16BitsToNumber(h: number): number {
  oneBits[0] = f16ToF32Table()[h & 0xffff]!;
  return one[0]!;
}

/** F32 → BF16 bits, round to nearest even; NaN stays a quiet NaN with its sign. */
export function f32ToBf16(src: Float32Array, dst: Uint16Array): void {
  if (src.length !== dst.length) throw new RangeError('src and dst lengths differ');
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    if ((x & 0x7fffffff) > 0x7f800000) {
      dst[i] = (x >>> 16) | 0x40;
      continue;
    }
    dst[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
}
