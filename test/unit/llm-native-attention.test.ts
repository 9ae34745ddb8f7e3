// The native decode attention (native/src/attention.cc) against a float64 loop written here from
// the definition: one new position attending over a cache read in place, GQA head sharing,
// float32 and float16 caches, every kernel this CPU runs (AVX-512, AVX2, scalar), one and several
// threads (the addon's kept pool threads).
import { describe, expect, it } from 'vitest';
import { f32ToF16Twin, f16BitsToNumber } from '../../electron/engine/native/float-convert-twin.js';
import { loadNativeAddon } from '../../electron/engine/native/native-addon.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const status = loadNativeAddon();
if (!status.loaded) throw new Error(`the native addon is required here (npm run build:native): ${status.reason}`);
const addon = status.addon;

function reference(q: Float32Array, keys: Float32Array[], values: Float32Array[], length: number, heads: number, d: number): Float64Array {
  const out = new Float64Array(heads * d);
  const group = heads / keys.length;
  for (let h = 0; h < heads; h++) {
    const kv = Math.floor(h / group);
    const scores = new Float64Array(length);
    let m = -Infinity;
    for (let t = 0; t < length; t++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[h * d + i]! * keys[kv]![t * d + i]!;
      scores[t] = dot / Math.sqrt(d);
      m = Math.max(m, scores[t]!);
    }
    let z = 0;
    for (let t = 0; t < length; t++) z += scores[t] = Math.exp(scores[t]! - m);
    for (let t = 0; t < length; t++) for (let i = 0; i < d; i++) out[h * d + i]! += (scores[t]! / z) * values[kv]![t * d + i]!;
  }
  return out;
}

const cases = [
  { heads: 12, kvHeads: 2, d: 128, length: 1 },
  { heads: 12, kvHeads: 2, d: 128, length: 700 },
  { heads: 16, kvHeads: 2, d: 64, length: 5000 }, // several items per head, merged
  { heads: 7, kvHeads: 7, d: 16, length: 33 },
  { heads: 6, kvHeads: 2, d: 12, length: 300 }, // head size not a multiple of 8: the scalar path
];

describe('native decode attention', () => {
  for (const c of cases)
    for (const dtype of ['float32', 'float16'] as const)
      it(`${c.heads} heads / ${c.kvHeads} kv heads, head size ${c.d}, ${c.length} cached rows, ${dtype} cache`, () => {
        const random = mulberry32(c.heads * 1000 + c.length);
        const capacity = c.length + 9; // rows past `length` must be ignored
        const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
        const q = fill(c.heads * c.d, 2);
        let keys = Array.from({ length: c.kvHeads }, () => fill(capacity * c.d, 1));
        let values = Array.from({ length: c.kvHeads }, () => fill(capacity * c.d, 1));
        let cache: (Float32Array | Uint16Array)[][] = [keys, values];
        if (dtype === 'float16') {
          cache = cache.map((kind) => kind.map((b) => { const h = new Uint16Array(b.length); f32ToF16Twin(b as Float32Array, h); return h; }));
          // The reference sees the values the cache holds.
          const widen = (kind: (Float32Array | Uint16Array)[]) => kind.map((h) => Float32Array.from(h as Uint16Array, (x) => f16BitsToNumber(x)));
          keys = widen(cache[0]!);
          values = widen(cache[1]!);
        }
        const ref = reference(q, keys, values, c.length, c.heads, c.d);
        const kernels = addon.attentionKernels(c.d, c.heads / c.kvHeads);
        expect(kernels).toContain('scalar');
        for (const kernel of [undefined, ...kernels])
          for (const threads of [1, 2, 3]) {
            const out = new Float32Array(c.heads * c.d);
            addon.attendDecode(q, cache[0]!, cache[1]!, c.length, out, c.heads, threads, kernel);
            let err = 0;
            for (let i = 0; i < out.length; i++) err = Math.max(err, Math.abs(out[i]! - ref[i]!));
            expect(err, `${kernel ?? 'default'} kernel, ${threads} threads`).toBeLessThan(2e-6);
          }
      });

  it('gives the same bits on every call from the kept threads, and refuses a kernel this CPU or head size cannot run', () => {
    const random = mulberry32(7);
    const length = 6000;
    const q = Float32Array.from({ length: 16 * 64 }, () => random() * 2 - 1);
    const cache = [0, 1].map(() => Array.from({ length: 2 }, () => Float32Array.from({ length: length * 64 }, () => random() * 2 - 1)));
    // The split into items depends on the thread count, so bits are compared per thread count.
    const first = [1, 2, 3].map((threads) => {
      const out = new Float32Array(16 * 64);
      addon.attendDecode(q, cache[0]!, cache[1]!, length, out, 16, threads);
      return Buffer.from(out.buffer);
    });
    for (let call = 0; call < 60; call++) {
      const out = new Float32Array(16 * 64);
      addon.attendDecode(q, cache[0]!, cache[1]!, length, out, 16, 1 + (call % 3));
      expect(Buffer.from(out.buffer).equals(first[call % 3]!), `call ${call}`).toBe(true);
    }
    // Head size 12 is not a multiple of 8: only the scalar kernel runs it.
    expect(addon.attentionKernels(12, 3)).toEqual(['scalar']);
    expect(() => addon.attendDecode(new Float32Array(6 * 12), [new Float32Array(24), new Float32Array(24)], [new Float32Array(24), new Float32Array(24)], 2, new Float32Array(6 * 12), 6, 1, 'avx2')).toThrow(/not available/);
  });

  it('refuses inconsistent arguments with an error instead of reading out of bounds', () => {
    const q = new Float32Array(12 * 8);
    const small = [new Float32Array(4 * 8), new Float32Array(4 * 8)];
    expect(() => addon.attendDecode(q, small, small, 5, new Float32Array(12 * 8), 12, 1)).toThrow(/fewer than length rows/);
    expect(() => addon.attendDecode(q, small, small.slice(1), 2, new Float32Array(12 * 8), 12, 1)).toThrow(/inconsistent/);
    expect(() => addon.attendDecode(q, [new Float32Array(32), new Uint16Array(32)], small, 2, new Float32Array(12 * 8), 12, 1)).toThrow(/differ in type/);
    expect(() => addon.attendDecode(q, small, small, 0, new Float32Array(12 * 8), 12, 1)).toThrow(/empty cache/);
  });
});
