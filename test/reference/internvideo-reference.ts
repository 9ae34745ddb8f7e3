// Naive fp32 InternVideo2 tower (PretrainInternVideo2, x_vis_only) written from spec section 5:
// Conv3d (tubelet,P,P) patch embed, CLS, the video pos_embed table, RMSNorm blocks whose q and k
// are RMS-normalised over the full width before the head split, layer scale, erf-GELU MLP; stops
// after the block mm_vision_select_layer selects; CLS dropped. The yardstick for the graph.
import { addScaledInPlace, attention, geluErfInPlace, linear, rmsNorm } from './naive-ops.js';
import { weightOf, type Float32Weights } from '../../electron/engine/vision/vision-weights.js';
import { internVideoBlocksToRun, internVideoGridFrames, internVideoGridSide, type InternVideoShape } from '../../electron/engine/vision/vision-shapes.js';

export function internVideoWeightNames(shape: InternVideoShape): string[] {
  const names = ['patch_embed.proj.weight', 'patch_embed.proj.bias', 'cls_token', 'pos_embed'];
  for (let b = 0; b < internVideoBlocksToRun(shape); b++) {
    const B = `blocks.${b}.`;
    names.push(`${B}norm1.weight`, `${B}norm2.weight`, `${B}attn.qkv.weight`, `${B}attn.q_norm.weight`, `${B}attn.k_norm.weight`);
    names.push(`${B}attn.proj.weight`, `${B}attn.proj.bias`, `${B}ls1.gamma`, `${B}ls2.gamma`);
    names.push(`${B}mlp.fc1.weight`, `${B}mlp.fc1.bias`, `${B}mlp.fc2.weight`, `${B}mlp.fc2.bias`);
  }
  return names;
}

/** Rows of tubelet patches of one clip (ch, frames, side, side), time-major then row-major. */
export function videoPatchRows(clip: Float32Array, shape: InternVideoShape): Float32Array {
  const { numChannels: ch, numFrames: F, imageSize: S, patchSize: Pz, tubeletSize: tub } = shape;
  const G = internVideoGridSide(shape);
  const Tg = internVideoGridFrames(shape);
  const rowLen = ch * tub * Pz * Pz;
  const out = new Float32Array(Tg * G * G * rowLen);
  let o = 0;
  for (let t = 0; t < Tg; t++) {
    for (let r = 0; r < G; r++) {
      for (let c = 0; c < G; c++) {
        for (let k = 0; k < ch; k++) {
          for (let dt = 0; dt < tub; dt++) {
            const plane = (k * F + t * tub + dt) * S * S;
            for (let ky = 0; ky < Pz; ky++) {
              const rowStart = plane + (r * Pz + ky) * S + c * Pz;
              for (let kx = 0; kx < Pz; kx++) out[o++] = clip[rowStart + kx]!;
            }
          }
        }
      }
    }
  }
  return out;
}

/** One clip (3, frames, side, side) → (gridFrames·grid², hidden), CLS dropped. */
export function internVideoReferenceClip(shape: InternVideoShape, weights: Float32Weights, clip: Float32Array): Float32Array {
  const { hiddenSize: C, numHeads, mlpHiddenSize: M, patchSize: Pz, tubeletSize: tub, numChannels: ch, normEps: eps } = shape;
  const G = internVideoGridSide(shape);
  const N = internVideoGridFrames(shape) * G * G;
  const T = N + 1;
  if (C % numHeads !== 0) throw new RangeError(`InternVideo2 hidden ${C} does not split into ${numHeads} heads`);
  const d = C / numHeads;
  const rowLen = ch * tub * Pz * Pz;
  const patches = linear(videoPatchRows(clip, shape), N, rowLen, weightOf(weights, 'patch_embed.proj.weight', C * rowLen), weightOf(weights, 'patch_embed.proj.bias', C), C);
  const x = new Float32Array(T * C);
  x.set(weightOf(weights, 'cls_token', C), 0);
  x.set(patches, C);
  const pos = weightOf(weights, 'pos_embed', T * C);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + pos[i]!;
  for (let b = 0; b < internVideoBlocksToRun(shape); b++) {
    const w = (n: string, len: number) => weightOf(weights, `blocks.${b}.${n}`, len);
    const h = rmsNorm(x, T, C, w('norm1.weight', C), eps);
    const qkv = linear(h, T, C, w('attn.qkv.weight', 3 * C * C), undefined, 3 * C);
    const q = new Float32Array(T * C);
    const k = new Float32Array(T * C);
    const v = new Float32Array(T * C);
    for (let t = 0; t < T; t++) {
      q.set(qkv.subarray(t * 3 * C, t * 3 * C + C), t * C);
      k.set(qkv.subarray(t * 3 * C + C, t * 3 * C + 2 * C), t * C);
      v.set(qkv.subarray(t * 3 * C + 2 * C, t * 3 * C + 3 * C), t * C);
    }
    // q/k norms span all heads at once (the weight has the full width), then the heads split
    const qn = rmsNorm(q, T, C, w('attn.q_norm.weight', C), eps);
    const kn = rmsNorm(k, T, C, w('attn.k_norm.weight', C), eps);
    const a = attention(qn, T, kn, v, T, numHeads, numHeads, d);
    addScaledInPlace(x, linear(a, T, C, w('attn.proj.weight', C * C), w('attn.proj.bias', C), C), w('ls1.gamma', C));
    const h2 = rmsNorm(x, T, C, w('norm2.weight', C), eps);
    const m = geluErfInPlace(linear(h2, T, C, w('mlp.fc1.weight', M * C), w('mlp.fc1.bias', M), M));
    addScaledInPlace(x, linear(m, T, M, w('mlp.fc2.weight', C * M), w('mlp.fc2.bias', C), C), w('ls2.gamma', C));
  }
  return x.slice(C);
}

/** Clips (n, 3, frames, side, side) → (n, gridFrames, grid, grid, hidden). */
export function internVideoReference(shape: InternVideoShape, weights: Float32Weights, clips: Float32Array, n: number): Float32Array {
  const G = internVideoGridSide(shape);
  const inLen = shape.numChannels * shape.numFrames * shape.imageSize * shape.imageSize;
  const outLen = internVideoGridFrames(shape) * G * G * shape.hiddenSize;
  if (clips.length !== n * inLen) throw new RangeError(`InternVideo2 input holds ${clips.length} values, expected ${n}×${inLen}`);
  const out = new Float32Array(n * outLen);
  for (let i = 0; i < n; i++) out.set(internVideoReferenceClip(shape, weights, clips.subarray(i * inLen, (i + 1) * inLen)), i * outLen);
  return out;
}
