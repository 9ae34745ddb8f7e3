// Plain-loop fp32 building blocks of the reference forwards. Deliberately simple (no blocking, no
// SIMD): they are the yardstick the ONNX graphs are checked against, not a runtime path.

/** y[n, out] = x[n, in] · W[out, in]ᵀ + b[out] (PyTorch nn.Linear layout). */
export function linear(x: Float32Array, rows: number, inF: number, weight: Float32Array, bias: Float32Array | undefined, outF: number): Float32Array {
  if (x.length !== rows * inF || weight.length !== outF * inF || (bias !== undefined && bias.length !== outF)) {
    throw new RangeError(`linear: shapes do not match (x ${x.length} = ${rows}x${inF}, W ${weight.length} = ${outF}x${inF})`);
  }
  const y = new Float32Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    const xo = r * inF;
    for (let o = 0; o < outF; o++) {
      const wo = o * inF;
      // accumulate in float64 so the reference is more exact than what it checks
      let acc = 0;
      for (let i = 0; i < inF; i++) acc += x[xo + i]! * weight[wo + i]!;
      y[r * outF + o] = acc + (bias === undefined ? 0 : bias[o]!);
    }
  }
  return y;
}

/** LayerNorm over the last axis with weight and bias (biased variance, as PyTorch). */
export function layerNorm(x: Float32Array, rows: number, width: number, weight: Float32Array, bias: Float32Array, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[o + i]!;
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) {
      const d = x[o + i]! - mean;
      variance += d * d;
    }
    variance /= width;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < width; i++) y[o + i] = (x[o + i]! - mean) * inv * weight[i]! + bias[i]!;
  }
  return y;
}

/** RMSNorm over the last axis: x · rsqrt(mean(x²) + eps) · weight. */
export function rmsNorm(x: Float32Array, rows: number, width: number, weight: Float32Array, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let ms = 0;
    for (let i = 0; i < width; i++) ms += x[o + i]! * x[o + i]!;
    const inv = 1 / Math.sqrt(ms / width + eps);
    for (let i = 0; i < width; i++) y[o + i] = x[o + i]! * inv * weight[i]!;
  }
  return y;
}

/** GELU with the tanh approximation (HF `gelu_pytorch_tanh`). */
export function geluTanhInPlace(x: Float32Array): Float32Array {
  const c = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)));
  }
  return x;
}

/** erf to ~1e-15 (W. J. Cody's rational approximations): JavaScript has no Math.erf. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.5) {
    const t = x * x;
    const p = (((0.1857777061846032 * t + 3.161123743870566) * t + 113.86415415105016) * t + 377.4852376853002) * t + 3209.3775891384694;
    const q = ((((t + 23.601290952344122) * t + 244.0246379344442) * t + 1282.6165260773723) * t + 2844.236833439171);
    return (x * p) / q;
  }
  if (ax < 4) {
    const p = (((((((0.5641884969886701 * ax + 8.883149794388375) * ax + 66.11919063714163) * ax + 298.6351381974001) * ax + 881.952221241769) * ax + 1712.0476126340707) * ax + 2051.0783778260716) * ax + 1230.3393547979972);
    const q = (((((((ax + 15.744926110709835) * ax + 117.6939508913125) * ax + 537.1811018620098) * ax + 1621.3895745666903) * ax + 3290.7992357334942) * ax + 4362.619090143247) * ax + 3439.3676741437216) * ax + 1230.3393548037495;
    r = 1 - Math.exp(-ax * ax) * (p / q);
  } else {
    const z = 1 / (ax * ax);
    const p = ((((0.016315387137302097 * z + 0.30532663496123236) * z + 0.36034489994980445) * z + 0.12578172611122926) * z + 0.016083785148742275) * z + 0.0006587491615298367;
    const q = ((((z + 2.5685201922898684) * z + 1.8729528499234604) * z + 0.5279051029514288) * z + 0.06051834131244132) * z + 0.0023352049762686918;
    r = 1 - (Math.exp(-ax * ax) / ax) * (1 / Math.sqrt(Math.PI) - (z * p) / q);
  }
  return x < 0 ? -r : r;
}

/** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
export function geluErfInPlace(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = 0.5 * v * (1 + erf(v / Math.SQRT2));
  }
  return x;
}

export function siluInPlace(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! / (1 + Math.exp(-x[i]!));
  return x;
}

export function addInPlace(acc: Float32Array, x: Float32Array): Float32Array {
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + x[i]!;
  return acc;
}

/** acc[r, i] += gamma[i] · x[r, i] (layer scale on a residual branch). */
export function addScaledInPlace(acc: Float32Array, x: Float32Array, gamma: Float32Array): Float32Array {
  const w = gamma.length;
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + gamma[i % w]! * x[i]!;
  return acc;
}

/**
 * Unmasked softmax attention with grouped KV heads. q is (nq, qHeads·d), k and v are (nk, kvHeads·d)
 * (heads concatenated on the last axis, as a Linear produces them); query head h reads kv head
 * floor(h / (qHeads / kvHeads)). Returns (nq, qHeads·d).
 */
export function attention(q: Float32Array, nq: number, k: Float32Array, v: Float32Array, nk: number, qHeads: number, kvHeads: number, d: number): Float32Array {
  if (qHeads % kvHeads !== 0) throw new RangeError(`attention: ${qHeads} query heads do not group into ${kvHeads} kv heads`);
  const group = qHeads / kvHeads;
  const qW = qHeads * d;
  const kvW = kvHeads * d;
  const out = new Float32Array(nq * qW);
  const scores = new Float64Array(nk);
  const scale = 1 / Math.sqrt(d);
  for (let h = 0; h < qHeads; h++) {
    const kh = Math.floor(h / group);
    for (let i = 0; i < nq; i++) {
      const qo = i * qW + h * d;
      let max = -Infinity;
      for (let j = 0; j < nk; j++) {
        const ko = j * kvW + kh * d;
        let s = 0;
        for (let e = 0; e < d; e++) s += q[qo + e]! * k[ko + e]!;
        s *= scale;
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < nk; j++) {
        const p = Math.exp(scores[j]! - max);
        scores[j] = p;
        sum += p;
      }
      const acc = new Float64Array(d);
      for (let j = 0; j < nk; j++) {
        const p = scores[j]! / sum;
        const vo = j * kvW + kh * d;
        for (let e = 0; e < d; e++) acc[e] = acc[e]! + p * v[vo + e]!;
      }
      for (let e = 0; e < d; e++) out[qo + e] = acc[e]!;
    }
  }
  return out;
}
