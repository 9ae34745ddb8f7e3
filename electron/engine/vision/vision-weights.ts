// Weights as the reference forwards and the graph builders read them: float32 arrays by their
// checkpoint name (spec section 10), with the element count checked at the point of use.

export type Float32Weights = ReadonlyMap<string, Float32Array>;

export class MissingWeightError extends Error {
  constructor(readonly tensorName: string, detail: string) {
    super(`weight ${tensorName}: ${detail}`);
    this.name = 'MissingWeightError';
  }
}

/** The named weight, which must hold exactly `length` floats. */
export function weightOf(weights: Float32Weights, name: string, length: number): Float32Array {
  const w = weights.get(name);
  if (w === undefined) throw new MissingWeightError(name, 'not in the checkpoint');
  if (w.length !== length) throw new MissingWeightError(name, `holds ${w.length} values, expected ${length}`);
  return w;
}

/**
 * Rearranges non-overlapping P×P patches of channel-first images into rows: row (img, r, c) holds
 * channel-major, then ky, then kx — the flattening of a Conv weight [out, ch, (1,) P, P].
 * `images` is (n, ch, side, side) with side ≥ grid·P; pixels past grid·P are unused.
 */
export function imagePatchRows(images: Float32Array, n: number, channels: number, side: number, patch: number, grid: number): Float32Array {
  const rowLen = channels * patch * patch;
  const out = new Float32Array(n * grid * grid * rowLen);
  let o = 0;
  for (let img = 0; img < n; img++) {
    for (let r = 0; r < grid; r++) {
      for (let c = 0; c < grid; c++) {
        for (let ch = 0; ch < channels; ch++) {
          const plane = (img * channels + ch) * side * side;
          for (let ky = 0; ky < patch; ky++) {
            const rowStart = plane + (r * patch + ky) * side + c * patch;
            for (let kx = 0; kx < patch; kx++) out[o++] = images[rowStart + kx]!;
          }
        }
      }
    }
  }
  return out;
}
