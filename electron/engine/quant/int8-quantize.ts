// int8 weights for com.microsoft DynamicQuantizeMatMul: a PyTorch Linear W [n, k] (out, in) becomes
// B int8 [k, n] (MatMul's layout) with one float32 scale per output column, symmetric (no zero
// point): q = round(W / scale) with scale = max|W[row]| / 64, so every column uses the range
// [-64, 64] and dequant(B) = q · scale. Activations are quantized by the operator itself at run
// time (uint8, per tensor, asymmetric).
//
// Why 7 bits and not [-127, 127]: on x86 CPUs without VNNI (AVX2 only: e.g. AMD before Zen 4 and
// Intel desktop CPUs before 2021) onnxruntime's u8·s8 kernel sums pairs of products with
// VPMADDUBSW, which saturates at int16: 2 · 255 · 127 = 64,770 overflows, 2 · 255 · 64 = 32,640
// does not. With 8-bit weights the tiny int8 towers came out 27–65% off their reference on an
// AVX2 EPYC (test/unit/vision-int8); with 7-bit ones every kernel (VNNI, AVX2, ARM's dot
// products) computes the exact integer sums, so one prepared graph is right on every CPU
// (onnxruntime's quantizer offers the same remedy as `reduce_range`).
export interface Int8Quantized {
  /** Output features (columns of B). */
  n: number;
  /** Input features (rows of B). */
  k: number;
  /** B [k, n] row-major. */
  data: Int8Array;
  /** [n] float32, per output column. */
  scales: Float32Array;
}

/** The largest |q|: 2 · 255 · INT8_WEIGHT_MAX must stay within int16 (see above). */
export const INT8_WEIGHT_MAX = 64;

/** Quantizes W [n, k] (a Linear weight, row-major) per output channel. Ties round away from zero. */
export function quantizeInt8PerChannel(weight: Float32Array, n: number, k: number): Int8Quantized {
  if (weight.length !== n * k) throw new RangeError(`weight has ${weight.length} values, expected ${n} x ${k}`);
  const data = new Int8Array(k * n);
  const scales = new Float32Array(n);
  for (let row = 0; row < n; row++) {
    let max = 0;
    const base = row * k;
    for (let j = 0; j < k; j++) max = Math.max(max, Math.abs(weight[base + j]!));
    // the stored float32 scale is the one the operator multiplies by: quantize against it
    const scale = Math.fround(max > 0 ? max / INT8_WEIGHT_MAX : 1);
    scales[row] = scale;
    for (let j = 0; j < k; j++) {
      const x = weight[base + j]! / scale;
      const q = Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
      data[j * n + row] = Math.max(-INT8_WEIGHT_MAX, Math.min(INT8_WEIGHT_MAX, q));
    }
  }
  return { n, k, data, scales };
}

/** W [n, k] as the operator sees it: q · scale (for error reports and tests). */
export function dequantizeInt8(q: Int8Quantized): Float32Array {
  const out = new Float32Array(q.n * q.k);
  for (let j = 0; j < q.k; j++) for (let row = 0; row < q.n; row++) out[row * q.k + j] = q.data[j * q.n + row]! * q.scales[row]!;
  return out;
}
