// The vision side at Apollo-3B-t32's real sizes (or the tiny checkpoint's), with seeded random
// weights at a trained-like scale: shared by bench/vision-encode.bench.ts and bench/gpu/gpu-check.ts.
import { TINY_APOLLO_SIZES, tinyApolloConfigFiles, tinyModelShapes } from '../electron/engine/model/tiny-checkpoint.js';
import type { WeightFetcher } from '../electron/engine/vision/vision-graph-parts.js';
import { visionShapesFromModelShapes } from '../electron/engine/vision/vision-shapes-from-config.js';
import type { VisionShapes } from '../electron/engine/vision/vision-shapes.js';

/** Apollo-3B-t32's sizes (spec section 1), in the tiny checkpoint generator's terms. */
export const APOLLO_3B_SIZES = {
  ...TINY_APOLLO_SIZES,
  llmHidden: 2048,
  llmLayers: 36,
  llmHeads: 16,
  llmKvHeads: 2,
  llmIntermediate: 11008,
  siglipHidden: 1152,
  siglipHeads: 16,
  siglipIntermediate: 4304,
  siglipLayers: 27,
  ivWidth: 1408,
  ivHeads: 16,
  ivDepth: 40,
  connectorHeads: 16,
  connectorHeadDim: 96,
  connectorKvHeads: 4,
};

/** Apollo-3B-t32's config files, written by the same generator as the tiny model. */
export const apollo3bConfigFiles = tinyApolloConfigFiles(APOLLO_3B_SIZES);

export function visionShapesOfFiles(files: ReturnType<typeof tinyApolloConfigFiles>): VisionShapes {
  return visionShapesFromModelShapes(tinyModelShapes(files), (files['config.json'] as { encode_batch_size?: number }).encode_batch_size);
}

/** Seeded weights at a trained-like scale: norms and layer scales near 1, matrices ±0.03, biases small. */
export function randomVisionFetcher(seed: number): WeightFetcher {
  return async (name, length) => {
    let s = (seed ^ [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261)) >>> 0;
    const out = new Float32Array(length);
    const centre = /norm|wheight|gamma/.test(name) ? 1 : 0;
    const spread = /bias/.test(name) ? 0.01 : centre === 1 ? 0.1 : /pos|cls|latents/.test(name) ? 0.5 : 0.03;
    for (let i = 0; i < length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = centre + (s / 2 ** 32 - 0.5) * 2 * spread;
    }
    return out;
  };
}

/** Pixels of one input: a smooth pattern with noise, in the normalised range, different per seed. */
export function clipPixels(dims: number[], seed: number): Float32Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let r = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    data[i] = Math.sin(i * 0.0173 + seed) * 0.7 + (r / 2 ** 32 - 0.5) * 0.5;
  }
  return data;
}

/** ‖a − b‖ / ‖b‖, max |a − b| / max |b| and the cosine of a against the baseline b. */
export function errorOf(a: Float32Array, b: Float32Array): { relRms: number; relMax: number; cosine: number } {
  let d2 = 0;
  let b2 = 0;
  let a2 = 0;
  let ab = 0;
  let dMax = 0;
  let bMax = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    d2 += d * d;
    b2 += b[i]! * b[i]!;
    a2 += a[i]! * a[i]!;
    ab += a[i]! * b[i]!;
    dMax = Math.max(dMax, Math.abs(d));
    bMax = Math.max(bMax, Math.abs(b[i]!));
  }
  return { relRms: Math.sqrt(d2 / b2), relMax: dMax / bMax, cosine: ab / Math.sqrt(a2 * b2) };
}
