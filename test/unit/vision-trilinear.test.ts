// Trilinear fusion against a numpy transcription of PyTorch's upsample_trilinear3d (align_corners
// False): float32 source indices src = scale·(dst + 0.5) − 0.5 with scale = in/out, negatives
// clamped to 0, lo = int(src), hi = lo + (lo < in − 1), lambda = src − lo; channels-first as Apollo
// permutes them.
import { describe, expect, it } from 'vitest';
import { concatChannels, fuseTowerFeatures, linearAxisTaps, trilinearResize } from '../../electron/engine/vision/trilinear-fusion.js';
import { mulberry32, numpyOracle, randomTensor, relativeError, TRILINEAR_ORACLE } from './vision-oracle.js';

describe('trilinear resize (PyTorch align_corners=False)', () => {
  it.each([
    { name: 'Apollo: (4,16,16) → (4,27,27)', from: [4, 16, 16], to: [4, 27, 27], n: 2, c: 5 },
    { name: 'time and space upsampled', from: [2, 3, 5], to: [5, 7, 9], n: 1, c: 3 },
    { name: 'downsampling', from: [5, 9, 8], to: [3, 4, 3], n: 2, c: 2 },
    { name: 'single source frame', from: [1, 4, 4], to: [4, 6, 2], n: 1, c: 4 },
  ])('matches the numpy transcription: $name', ({ from, to, n, c }) => {
    const shape = [n, from[0]!, from[1]!, from[2]!, c];
    const x = randomTensor(shape, mulberry32(3));
    const grid = (g: number[]) => ({ frames: g[0]!, height: g[1]!, width: g[2]! });
    const ours = trilinearResize(x, n, grid(from), grid(to), c);
    const oracle = numpyOracle(TRILINEAR_ORACLE, new Map([['x', { shape, data: x }]]), { out: to });
    expect(relativeError(ours, oracle)).toBeLessThan(1e-6);
  });

  it('clamps at both edges and keeps an equal-size axis unchanged', () => {
    const up = linearAxisTaps(16, 27);
    // dst 0: src = 0.5·16/27 − 0.5 < 0 → clamped to 0
    expect([up.lo[0], up.hi[0], up.wHi[0]]).toEqual([0, 1, 0]);
    // the last destination reads source 15 twice: no tap past the edge
    expect([up.lo[26], up.hi[26]]).toEqual([15, 15]);
    const same = linearAxisTaps(4, 4);
    expect(Array.from(same.lo)).toEqual([0, 1, 2, 3]);
    expect(Array.from(same.wHi)).toEqual([0, 0, 0, 0]);
  });
});

describe('fusion', () => {
  it('puts SigLIP channels first and InternVideo2 resized after, token by token', () => {
    const n = 1, c1 = 2, c2 = 3;
    const grid = { frames: 2, height: 3, width: 3 };
    const ivGrid = { frames: 2, height: 2, width: 2 };
    const rand = mulberry32(9);
    const sig = randomTensor([n, 18, c1], rand);
    const iv = randomTensor([n, 8, c2], rand);
    const fused = fuseTowerFeatures(sig, c1, iv, c2, n, ivGrid, grid);
    const resized = trilinearResize(iv, n, ivGrid, grid, c2);
    expect(fused.length).toBe(18 * (c1 + c2));
    for (let t = 0; t < 18; t++) {
      expect(Array.from(fused.subarray(t * 5, t * 5 + 2))).toEqual(Array.from(sig.subarray(t * 2, t * 2 + 2)));
      expect(Array.from(fused.subarray(t * 5 + 2, t * 5 + 5))).toEqual(Array.from(resized.subarray(t * 3, t * 3 + 3)));
    }
    expect(() => concatChannels(sig, c1, iv, c2)).toThrow(RangeError);
  });
});
