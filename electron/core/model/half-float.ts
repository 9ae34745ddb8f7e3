// Half-precision conversions the checkpoint code needs beyond electron/core/native/float-convert.ts:
// F16 → F32 widening (a 64K-entry table: exact, and fast enough for load time) and F32 → BF16
// rounding to nearest even (for writing BF16 checkpoints).
let f16Table: Uint32Array | undefined;

function table(): Uint32Array {
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
  const t = table();
  // Copied as bits: a float load/store could quieten a signalling NaN.
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]!]!;
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
