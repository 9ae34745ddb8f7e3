// The exact tensor layout of com.microsoft MatMulNBits with bits=4 (onnxruntime
// docs/ContribOperators.md): for a weight W of shape [N, K] (a PyTorch Linear's [out, in], so no
// transpose is needed) the op computes Y = A · Wᵀ from
//   B            uint8 [N, blocksPerCol, blobSize], two 4-bit values per byte, low nibble first
//   scales       [N * blocksPerCol] in the activation dtype (float32 or float16)
//   zero_points  uint8 [N * ceil(blocksPerCol / 2)], packed like B, low nibble first per row;
//                absent means the symmetric default zero point 8 (= 2^(bits-1))
// and dequantizes each block as W[n, k] = (q - zeroPoint) * scale.

/** Block sizes the quantizer accepts: powers of two that MatMulNBits' CPU kernels support. */
export const INT4_BLOCK_SIZES = [16, 32, 64, 128, 256] as const;
export type Int4BlockSize = (typeof INT4_BLOCK_SIZES)[number];

/** The zero point implied when MatMulNBits gets no zero_points input. */
export const INT4_SYMMETRIC_ZERO_POINT = 8;

export interface Int4QuantizeOptions {
  blockSize: Int4BlockSize;
  /** true: no zero points (zero point 8, like llama.cpp's Q4_0); false: a zero point per block (like Q4_1). */
  symmetric: boolean;
  /** The dtype of `scales`, which must be the graph's activation dtype. */
  scaleDtype: 'float32' | 'float16';
}

export interface Int4Layout {
  n: number;
  k: number;
  blockSize: number;
  blocksPerCol: number;
  blobSize: number;
  /** Bytes of packed zero points per row of W. */
  zeroPointBytesPerRow: number;
}

/** One quantized weight, ready to become MatMulNBits' B / scales / zero_points initializers. */
export interface Int4Quantized extends Int4Layout {
  symmetric: boolean;
  scaleDtype: 'float32' | 'float16';
  /** B: [n, blocksPerCol, blobSize]. */
  data: Uint8Array;
  /** [n * blocksPerCol]: Float32Array for float32, Uint16Array of F16 bits for float16. */
  scales: Float32Array | Uint16Array;
  /** [n * zeroPointBytesPerRow], or undefined when symmetric. */
  zeroPoints: Uint8Array | undefined;
}

export function int4Layout(n: number, k: number, blockSize: number): Int4Layout {
  if (!Number.isInteger(n) || !Number.isInteger(k) || n <= 0 || k <= 0) throw new RangeError(`invalid weight shape [${n}, ${k}]`);
  if (!(INT4_BLOCK_SIZES as readonly number[]).includes(blockSize)) throw new RangeError(`block size ${blockSize} is not one of ${INT4_BLOCK_SIZES.join(', ')}`);
  const blocksPerCol = Math.ceil(k / blockSize);
  return { n, k, blockSize, blocksPerCol, blobSize: blockSize / 2, zeroPointBytesPerRow: Math.ceil(blocksPerCol / 2) };
}

/** Allocates the output buffers of one quantized weight. */
export function allocateInt4(n: number, k: number, options: Int4QuantizeOptions): Int4Quantized {
  const layout = int4Layout(n, k, options.blockSize);
  const scaleCount = n * layout.blocksPerCol;
  return {
    ...layout,
    symmetric: options.symmetric,
    scaleDtype: options.scaleDtype,
    data: new Uint8Array(n * layout.blocksPerCol * layout.blobSize),
    scales: options.scaleDtype === 'float16' ? new Uint16Array(scaleCount) : new Float32Array(scaleCount),
    zeroPoints: options.symmetric ? undefined : new Uint8Array(n * layout.zeroPointBytesPerRow),
  };
}

/** Bytes one quantized weight occupies (what decode reads per token). */
export function int4ByteSize(q: Pick<Int4Quantized, 'data' | 'scales' | 'zeroPoints'>): number {
  return q.data.byteLength + q.scales.byteLength + (q.zeroPoints?.byteLength ?? 0);
}
