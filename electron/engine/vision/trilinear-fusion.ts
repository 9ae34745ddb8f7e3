// Fusing the two towers (spec section 6): InternVideo2's (T,16,16) grid is resized to SigLIP's
// (T,27,27) exactly as PyTorch's F.interpolate(mode='trilinear', align_corners=False) does, then
// the channels are concatenated, SigLIP first, and the grid flattened t·H·W + r·W + c.

/** The two source taps of each destination index on one axis, with their weights. */
export interface LinearAxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  wLo: Float32Array;
  wHi: Float32Array;
}

/**
 * PyTorch's area_pixel_compute_source_index for linear modes, align_corners=False, in float32:
 * src = (dst + 0.5)·in/out − 0.5, negatives clamped to 0; lo = floor(src), hi = lo + 1 except at
 * the last source index; wHi = src − lo.
 */
export function linearAxisTaps(inSize: number, outSize: number): LinearAxisTaps {
  const scale = Math.fround(inSize / outSize);
  const taps: LinearAxisTaps = { lo: new Int32Array(outSize), hi: new Int32Array(outSize), wLo: new Float32Array(outSize), wHi: new Float32Array(outSize) };
  for (let dst = 0; dst < outSize; dst++) {
    let src = Math.fround(Math.fround(scale * Math.fround(dst + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const lo = Math.trunc(src);
    const lambda = Math.fround(src - lo);
    taps.lo[dst] = lo;
    taps.hi[dst] = lo < inSize - 1 ? lo + 1 : lo;
    taps.wHi[dst] = lambda;
    taps.wLo[dst] = Math.fround(1 - lambda);
  }
  return taps;
}

export interface GridSize {
  frames: number;
  height: number;
  width: number;
}

/** Channels-last trilinear resize: (n, in.frames, in.height, in.width, C) → (n, out…, C). */
export function trilinearResize(x: Float32Array, n: number, from: GridSize, to: GridSize, channels: number): Float32Array {
  const inLen = from.frames * from.height * from.width * channels;
  if (x.length !== n * inLen) throw new RangeError(`trilinearResize: input holds ${x.length} values, expected ${n}×${inLen}`);
  const tt = linearAxisTaps(from.frames, to.frames);
  const th = linearAxisTaps(from.height, to.height);
  const tw = linearAxisTaps(from.width, to.width);
  const outLen = to.frames * to.height * to.width * channels;
  const out = new Float32Array(n * outLen);
  const at = (b: number, t: number, r: number, c: number) => b * inLen + ((t * from.height + r) * from.width + c) * channels;
  for (let b = 0; b < n; b++) {
    let o = b * outLen;
    for (let t = 0; t < to.frames; t++) {
      for (let r = 0; r < to.height; r++) {
        for (let c = 0; c < to.width; c++) {
          const t0 = tt.lo[t]!, t1 = tt.hi[t]!, r0 = th.lo[r]!, r1 = th.hi[r]!, c0 = tw.lo[c]!, c1 = tw.hi[c]!;
          const lt0 = tt.wLo[t]!, lt1 = tt.wHi[t]!, lr0 = th.wLo[r]!, lr1 = th.wHi[r]!, lc0 = tw.wLo[c]!, lc1 = tw.wHi[c]!;
          const p000 = at(b, t0, r0, c0), p001 = at(b, t0, r0, c1), p010 = at(b, t0, r1, c0), p011 = at(b, t0, r1, c1);
          const p100 = at(b, t1, r0, c0), p101 = at(b, t1, r0, c1), p110 = at(b, t1, r1, c0), p111 = at(b, t1, r1, c1);
          for (let ch = 0; ch < channels; ch++) {
            // the same nesting as PyTorch's upsample_trilinear3d kernel
            out[o++] =
              lt0 * (lr0 * (lc0 * x[p000 + ch]! + lc1 * x[p001 + ch]!) + lr1 * (lc0 * x[p010 + ch]! + lc1 * x[p011 + ch]!)) +
              lt1 * (lr0 * (lc0 * x[p100 + ch]! + lc1 * x[p101 + ch]!) + lr1 * (lc0 * x[p110 + ch]! + lc1 * x[p111 + ch]!));
          }
        }
      }
    }
  }
  return out;
}

/** Concatenates per-token channels: a (n·tokens, ca) and b (n·tokens, cb) → (n·tokens, ca + cb). */
export function concatChannels(a: Float32Array, ca: number, b: Float32Array, cb: number): Float32Array {
  const tokens = a.length / ca;
  if (!Number.isInteger(tokens) || b.length !== tokens * cb) throw new RangeError(`concatChannels: ${a.length}/${ca} and ${b.length}/${cb} tokens differ`);
  const out = new Float32Array(tokens * (ca + cb));
  for (let t = 0; t < tokens; t++) {
    out.set(a.subarray(t * ca, (t + 1) * ca), t * (ca + cb));
    out.set(b.subarray(t * cb, (t + 1) * cb), t * (ca + cb) + ca);
  }
  return out;
}

/**
 * The fused features of n clips: SigLIP (n, grid, C1) on the fusion grid and InternVideo2 (n, its
 * grid, C2) resized onto it → (n, frames·height·width, C1 + C2).
 */
export function fuseTowerFeatures(siglip: Float32Array, c1: number, internVideo: Float32Array, c2: number, n: number, internVideoGrid: GridSize, grid: GridSize): Float32Array {
  const same = internVideoGrid.frames === grid.frames && internVideoGrid.height === grid.height && internVideoGrid.width === grid.width;
  const resized = same ? internVideo : trilinearResize(internVideo, n, internVideoGrid, grid, c2);
  return concatChannels(siglip, c1, resized, c2);
}
