// The quantization choices `prepare` and the runtime make, each with its one default: int4 for the
// LLM's linear layers, int8 for the vision towers and the connector on a CPU.
import type { Int4BlockSize } from './int4-layout.js';

export type Int4AccuracyLevel = 0 | 1 | 2 | 3 | 4;

export interface Int4Settings {
  blockSize: Int4BlockSize;
  /** true: no zero points (zero point 8, like Q4_0); false: a 4-bit zero point per block. */
  symmetric: boolean;
  /** MatMulNBits accuracy_level: 4 = int8 activations (the fast CPU path), 0 = float activations. */
  accuracyLevel: Int4AccuracyLevel;
}

/**
 * Chosen from bench/llm-decode.bench.ts (docs/benchmarks.md, llm-int4-error): on heavy-tailed
 * weights block 128 has a larger logit error than llama.cpp's Q4_0 while block 32 with zero points
 * has the smallest of all (below Q4_0's and below block 32 symmetric), at about the same MatMulNBits
 * speed as without them; accuracy_level 4 (int8 activations) is ~3× faster than 0 at the same error.
 */
export const DEFAULT_INT4: Int4Settings = { blockSize: 32, symmetric: false, accuracyLevel: 4 };

/**
 * The vision graphs on a CPU: true runs the int8 variant (every Linear of the parts below as
 * com.microsoft DynamicQuantizeMatMul: int8 weights with one scale per output channel, activations
 * quantized to uint8 per tensor at run time), false the float32 graphs. The fp32
 * precision always runs float32 (the exact mode); GPUs run float16 (fp16) or float32.
 */
export const DEFAULT_CPU_VISION_INT8 = true;

/**
 * Which parts the int8 variant quantizes; the others stay float32 in it. Chosen from
 * bench/vision-encode.bench.ts at Apollo-3B's real widths (docs/benchmarks.md, vision-encode):
 * int8 towers with the float32 connector ran 2.67× float32 per clip in CPU time at a clip-embedding
 * cosine of 0.99999 (4.2e-3 relative RMS) on an AVX-512 VNNI CPU with 8-bit weights, and 1.67× at
 * 0.99996 (8.9e-3) on an AVX2-only one with the 7-bit weights used now; making the connector int8
 * as well saved only ~0.3–0.4 CPU-s of a ~16.5 CPU-s clip but raised the error five-fold (cosine
 * 0.99978, 2.1e-2 relative RMS), nearly all of it from the connector.
 */
export const INT8_VISION_PARTS = { siglip: true, internVideo: true, connector: false } as const;
