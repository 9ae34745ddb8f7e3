import { describe, expect, it } from 'vitest';
import { bf16ToF32Twin, f16BitsToNumber, f16ToF32, f32ToF16Twin } from '../../electron/engine/native/float-convert-twin.js';
import { loadNativeAddon } from '../../electron/engine/native/native-addon.js';
import { runPython } from '../helpers/python-oracle.js';
import { mulberry32 } from '../helpers/seeded-random.js';

/** F32 bit patterns covering every class: random bits, NaNs, infinities, F16 subnormals, exact RNE ties, overflow edges. */
function interestingF32Bits(n: number, seed: number): Uint32Array {
  const rand = mulberry32(seed);
  const bits = new Uint32Array(n);
  const special = [
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0x7fbfffff, // zeros, infs, NaNs
    0x477fe000, 0x477ff000, 0x477fefff, 0x47800000, 0xc77ff000, // 65504, 65520 (tie -> inf), just below, 65536
    0x38800000, 0x387fffff, 0x33800000, 0x33000000, 0x33000001, 0x32ffffff, 0x00000001, // f16 normal/subnormal edges
    0x3f801000, 0x3f803000, 0x3f800fff, 0x3f801001, // ties to even at 1.0 + half-ulp
  ];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (i < special.length) bits[i] = special[i]!;
    else if (r < 0.4) bits[i] = Math.floor(rand() * 2 ** 32);
    else if (r < 0.6) {
      // exact ties: a value whose 13 dropped bits are exactly 0x1000, in the F16 normal range
      const exp = 113 + Math.floor(rand() * 29);
      bits[i] = ((rand() < 0.5 ? 0x80000000 : 0) | (exp << 23) | ((Math.floor(rand() * 1024) << 13) | 0x1000)) >>> 0;
    } else if (r < 0.8) {
      // F16 subnormal range, including ties at every shift
      const exp = 102 + Math.floor(rand() * 11);
      bits[i] = ((rand() < 0.5 ? 0x80000000 : 0) | (exp << 23) | Math.floor(rand() * 0x800000)) >>> 0;
    } else {
      // ordinary weights
      const view = new Float32Array(1);
      view[0] = (rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 10);
      bits[i] = new Uint32Array(view.buffer)[0]!;
    }
  }
  return bits;
}

const addon = loadNativeAddon();

describe('float conversion twins', () => {
  it('bf16 -> f32 is the upper half of the f32 pattern', () => {
    const src = new Uint16Array([0x3f80, 0xbf80, 0x7f80, 0xff80, 0x7fc1, 0x0001, 0x0000, 0x8000, 0x4049]);
    const dst = new Float32Array(src.length);
    bf16ToF32Twin(src, dst);
    expect(Array.from(dst.slice(0, 4))).toEqual([1, -1, Infinity, -Infinity]);
    expect(Number.isNaN(dst[4])).toBe(true);
    expect(dst[5]).toBe(2 ** -133);
    expect(Object.is(dst[7], -0)).toBe(true);
    expect(dst[8]).toBeCloseTo(3.140625, 6);
  });

  it('f32 -> f16 rounds to nearest even, overflows to Inf, keeps subnormals', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [65519.99, 0x7bff], [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], [2 ** -25 * 1.0000001, 0x0001], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
    ];
    const src = new Float32Array(cases.map((c) => c[0]));
    const dst = new Uint16Array(src.length);
    f32ToF16Twin(src, dst);
    expect(Array.from(dst)).toEqual(cases.map((c) => c[1]));
  });

  it('f32 -> f16 equals numpy astype(float16) on 200k interesting values (independent oracle)', () => {
    const bits = interestingF32Bits(200_000, 7);
    const src = new Float32Array(bits.buffer);
    const ours = new Uint16Array(src.length);
    f32ToF16Twin(src, ours);
    const ref = runPython('import sys, numpy as np\nx=np.frombuffer(sys.stdin.buffer.read(), dtype="<f4")\nimport warnings\nwarnings.simplefilter("ignore")\nsys.stdout.buffer.write(x.astype("<f2").tobytes())', Buffer.from(src.buffer));
    const theirs = new Uint16Array(ref.buffer, ref.byteOffset, ref.byteLength / 2);
    let mismatches = 0;
    for (let i = 0; i < ours.length; i++) {
      const isNan = (ours[i]! & 0x7c00) === 0x7c00 && (ours[i]! & 0x3ff) !== 0;
      if (isNan) {
        // NaN payloads are implementation-defined; both must be NaN with the same sign.
        if (!((theirs[i]! & 0x7c00) === 0x7c00 && (theirs[i]! & 0x3ff) !== 0 && (theirs[i]! & 0x8000) === (ours[i]! & 0x8000))) mismatches++;
      } else if (ours[i] !== theirs[i]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('f16 bits decode exactly', () => {
    expect(f16BitsToNumber(0x3c00)).toBe(1);
    expect(f16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(f16BitsToNumber(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(f16BitsToNumber(0x7e00))).toBe(true);
  });
});

describe('native addon', () => {
  it('loads in this checkout (CI builds it with node-gyp)', () => {
    expect(addon.loaded, addon.loaded ? '' : addon.reason).toBe(true);
  });

  it.runIf(addon.loaded)('agrees bit for bit with the twin on 1M random buffers (NaN, Inf, subnormals, ties)', () => {
    if (!addon.loaded) return;
    const bits = interestingF32Bits(1_000_000, 42);
    const src = new Float32Array(bits.buffer);
    const a = new Uint16Array(src.length);
    const b = new Uint16Array(src.length);
    addon.addon.f32ToF16(src, a);
    f32ToF16Twin(src, b);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);

    const bf = new Uint16Array(bits.length);
    for (let i = 0; i < bits.length; i++) bf[i] = bits[i]! >>> 16;
    const fa = new Float32Array(bf.length);
    const fb = new Float32Array(bf.length);
    addon.addon.bf16ToF32(bf, fa);
    bf16ToF32Twin(bf, fb);
    expect(Buffer.from(fa.buffer).equals(Buffer.from(fb.buffer))).toBe(true);
  });

  it.runIf(addon.loaded)('f16 -> f32 equals the twin on all 65,536 patterns, on views and at every tail length', () => {
    if (!addon.loaded) return;
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const native = new Float32Array(all.length);
    const twin = new Float32Array(all.length);
    addon.addon.f16ToF32(all, native);
    f16ToF32(all, twin);
    const nb = new Uint32Array(native.buffer);
    const tb = new Uint32Array(twin.buffer);
    for (let h = 0; h < all.length; h++) {
      // NaNs: F16C may quieten a signalling NaN; any NaN must stay a NaN of the same sign.
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) expect(Number.isNaN(native[h]!) && nb[h]! >>> 31 === h >>> 15, `0x${h.toString(16)}`).toBe(true);
      else if (nb[h] !== tb[h]) expect(`0x${h.toString(16)} -> 0x${nb[h]!.toString(16)}`).toBe(`0x${h.toString(16)} -> 0x${tb[h]!.toString(16)}`);
    }
    // The vector loop's tail (lengths not a multiple of 8) and offset views.
    for (let n = 0; n < 20; n++) {
      const out = new Float32Array(n + 2).fill(-7);
      addon.addon.f16ToF32(all.subarray(0x3c00 + 3, 0x3c00 + 3 + n), out.subarray(1, 1 + n));
      expect(out[0]).toBe(-7);
      expect(out[n + 1]).toBe(-7);
      for (let i = 0; i < n; i++) expect(out[1 + i]).toBe(f16BitsToNumber(0x3c00 + 3 + i));
    }
    expect(() => addon.addon.f16ToF32(all.subarray(0, 3), new Float32Array(4))).toThrow(/lengths differ/);
  });

  it.runIf(addon.loaded)('works on sub-array views and rejects mismatched or wrongly typed buffers', () => {
    if (!addon.loaded) return;
    const big = new Float32Array([0, 1, 2, 3, 4]);
    const out = new Uint16Array(3);
    addon.addon.f32ToF16(big.subarray(1, 4), out);
    expect(Array.from(out)).toEqual([0x3c00, 0x4000, 0x4200]);
    expect(() => addon.addon.f32ToF16(big, out)).toThrow(/lengths differ/);
    expect(() => addon.addon.f32ToF16(new Float64Array(3) as unknown as Float32Array, out)).toThrow(/wrong typed-array type/);
  });
});
