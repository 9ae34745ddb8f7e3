// Rotary position embedding, rotate-half form (GPT-NeoX / Qwen2 / HF `rotate_half`).
import { encodeFloats, type FloatDType } from './float-encoding.js';
import { attr, MS_DOMAIN, type GraphBuilder } from './graph-builder.js';

/**
 * cos/sin caches [maxPositions, rotaryDim/2]: angle(p, i) = p · θ^(-2i/rotaryDim), computed in
 * float64 and rounded once, so long positions do not accumulate float32 error.
 */
export function rotaryCaches(theta: number, rotaryDim: number, maxPositions: number): { cos: Float32Array; sin: Float32Array } {
  const half = rotaryDim / 2;
  if (!Number.isInteger(half) || half <= 0) throw new RangeError(`rotary dimension ${rotaryDim} must be a positive even number`);
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let i = 0; i < half; i++) {
    const invFreq = Math.pow(theta, (-2 * i) / rotaryDim);
    for (let p = 0; p < maxPositions; p++) {
      cos[p * half + i] = Math.cos(p * invFreq);
      sin[p * half + i] = Math.sin(p * invFreq);
    }
  }
  return { cos, sin };
}

export interface RotaryCacheNames {
  cos: string;
  sin: string;
}

export function emitRotaryCaches(g: GraphBuilder, name: string, theta: number, rotaryDim: number, maxPositions: number, dtype: FloatDType): RotaryCacheNames {
  const { cos, sin } = rotaryCaches(theta, rotaryDim, maxPositions);
  const half = rotaryDim / 2;
  return {
    cos: g.initializer(`${name}.cos_cache`, dtype, [maxPositions, half], encodeFloats(cos, dtype)),
    sin: g.initializer(`${name}.sin_cache`, dtype, [maxPositions, half], encodeFloats(sin, dtype)),
  };
}

/**
 * Rotates x [batch, seq, numHeads·headDim] at the given position ids [batch, seq] (int64).
 * com.microsoft RotaryEmbedding with interleaved=0 is exactly HF's rotate-half:
 * (x1, x2) -> (x1·cos - x2·sin, x2·cos + x1·sin) on the two halves of each head; it takes
 * explicit position ids, so the positions the caller feeds are the ones applied.
 */
export function emitRotary(g: GraphBuilder, x: string, positionIds: string, caches: RotaryCacheNames, numHeads: number): string {
  return g.op('RotaryEmbedding', [x, positionIds, caches.cos, caches.sin], { interleaved: attr.int(0), num_heads: attr.int(numHeads) }, MS_DOMAIN);
}
