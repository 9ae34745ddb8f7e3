// The one seedable generator (xoshiro128**, seeded through splitmix32): sampling draws from it so
// that a seed reproduces an answer exactly (torch's generator cannot be matched, so reproducibility
// is within Apollo only), and the tiny checkpoint draws its weights from it. Integer arithmetic and
// exact float operations only (no Math.log/sin), so the same seed gives the same bits on every platform.

/** FNV-1a over a string's UTF-16 code units, mixed with a seed. */
export function hashSeed(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Returns a function giving uniform 32-bit unsigned integers, from an integer seed (up to 2^53). */
export function createSeededUint32(seed: number): () => number {
  let s = (Math.trunc(seed) ^ Math.trunc(seed / 0x100000000)) >>> 0;
  const splitmix32 = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c = (c ^ a) >>> 0;
    d = (d ^ b) >>> 0;
    b = (b ^ c) >>> 0;
    a = (a ^ d) >>> 0;
    c = (c ^ t) >>> 0;
    d = rotl(d, 11);
    return result;
  };
}

/** Returns a function giving uniform numbers in [0, 1) with 53 random bits, from an integer seed. */
export function createSeededRandom(seed: number): () => number {
  const next = createSeededUint32(seed);
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// Irwin–Hall with 4 terms: variance 4/12, scaled to 1. Bounded (|x| < 3.47): no wild outliers.
// Four 16-bit uniforms from two draws: finer than the BF16 values they become.
const IRWIN_HALL_SCALE = Math.sqrt(3) / 65536;

/** Fills `out` with mean + std × (approximately standard normal) values. */
export function fillNormal(out: Float32Array, seed: number, mean: number, std: number): void {
  const next = createSeededUint32(seed);
  for (let i = 0; i < out.length; i++) {
    const a = next();
    const b = next();
    const sum = (a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16) - 2 * 65536;
    out[i] = mean + std * (sum * IRWIN_HALL_SCALE);
  }
}
