// The order clips are encoded in. Apollo's plan, prompt and clip embeddings do not depend on it (each
// clip is encoded on its own); it only decides which clips exist early. Coarse-to-fine covers the
// whole video first: after any k clips, the encoded ones are spread evenly over the video, so an
// answer from the clips encoded so far sees all of it at a coarser step.

/**
 * 0 … count−1 in bit-reversed order over the next power of two (indices past the end skipped):
 * 0, n/2, n/4, 3n/4, n/8, … For 84 clips the first 21 are 0, 4, 8, …, 80.
 */
export function coarseToFineOrder(count: number): number[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`clip count must be a non-negative integer, got ${count}`);
  let bits = 0;
  while (1 << bits < count) bits++;
  const order: number[] = [];
  for (let i = 0; i < 1 << bits; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
    if (r < count) order.push(r);
  }
  return order;
}

export function sequentialOrder(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

export type EncodeOrder = 'coarse-to-fine' | 'sequential';

export function encodeOrder(kind: EncodeOrder, count: number): number[] {
  return kind === 'coarse-to-fine' ? coarseToFineOrder(count) : sequentialOrder(count);
}
