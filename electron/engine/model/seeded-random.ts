// Deterministic random numbers for the tiny checkpoint: integer arithmetic and exact float
// operations only (no Math.log/sin), so the same seed gives the same bits on every platform.

/** FNV-1a over a string's UTF-16 code units, mixed with a seed. */
export function hashSeed(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** sfc32: a small, fast generator with a 2^128 state, seeded through splitmix32. */
export function createRandom(seed: number): () => number {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  /** A uniform 32-bit unsigned integer. */
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
}

// Irwin–Hall with 4 terms: variance 4/12, scaled to 1. Bounded (|x| < 3.47): no wild outliers.
// Four 16-bit uniforms from two draws: finer than the BF16 values they become.
const IRWIN_HALL_SCALE = Math.sqrt(3) / 65536;

/** Fills `out` with mean + std × (approximately standard normal) values. */
export function fillNormal(out: Float32Array, seed: number, mean: number, std: number): void {
  const next = createRandom(seed);
  for (let i = 0; i < out.length; i++) {
    const a = next();
    const b = next();
    const sum = (a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16) - 2 * 65536;
    out[i] = mean + std * (sum * IRWIN_HALL_SCALE);
  }
}
