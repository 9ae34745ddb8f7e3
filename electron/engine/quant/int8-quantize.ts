// int8 weights for com.microsoft DynamicQuantizeMatMul: a PyTorch Linear W [n, k] (out, in) becomes
// B int8 [k, n] (MatMul's layout) with one float32 scale per output column, symmetric (no zero
// point): q = round(W / scale) with scale = max|W[row]| / 127, so every column uses the full
// [-127, 127] range and dequant(B) = q · scale. Activations are quantized by the operator itself
// at run time (uint8, per tensor, asymmetric), which is what VNNI's u8·s8 dot products take.
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
    const scale = Math.fround(max > 0 ? max / 127 : 1);
    scales[row] = scale;
    for (let j = 0; j < k; j++) {
      const x = weight[base + j]! / scale;
      const q = Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
      data[j * n + row] = Math.max(-127, Math.min(127, q));
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
