// The float conversions weights go through (model loading, graph building, preparation), on the
// native addon when it loads, else on the TypeScript twins (with the reason available to show the
// user). The algorithms themselves live in float-convert-twin.ts.
import { nativeQuant } from '../quant/native-quant.js';
import { bf16ToF16Twin, bf16ToF32Twin, f16ToF32, f32ToF16Twin } from './float-convert-twin.js';
import { loadNativeAddon } from './native-addon.js';

export interface FloatConverter {
  backend: 'native' | 'typescript';
  /** Why the TypeScript twin is used; undefined when native. */
  fallbackReason: string | undefined;
  bf16ToF32(src: Uint16Array, dst: Float32Array): void;
  f32ToF16(src: Float32Array, dst: Uint16Array): void;
  /** F16 -> F32, exact (the KV cache's float16 rows widened for prefill attention). */
  f16ToF32(src: Uint16Array, dst: Float32Array): void;
  /** BF16 -> F16 directly (for fp16 preparation of a BF16 checkpoint). */
  bf16ToF16(src: Uint16Array, dst: Uint16Array): void;
}

export const typescriptFloatConverter: FloatConverter = {
  backend: 'typescript',
  fallbackReason: 'requested',
  bf16ToF32: bf16ToF32Twin,
  f32ToF16: f32ToF16Twin,
  f16ToF32,
  bf16ToF16: bf16ToF16Twin,
};

export function floatConverter(): FloatConverter {
  const status = loadNativeAddon();
  if (!status.loaded) return { ...typescriptFloatConverter, fallbackReason: status.reason };
  const quant = nativeQuant();
  // An addon built before quantize.cc has the widening conversions but not BF16 -> F16.
  if (!quant.loaded) return { ...typescriptFloatConverter, fallbackReason: quant.reason };
  const { addon } = status;
  return {
    backend: 'native',
    fallbackReason: undefined,
    bf16ToF32: (src, dst) => addon.bf16ToF32(src, dst),
    f32ToF16: (src, dst) => addon.f32ToF16(src, dst),
    f16ToF32: (src, dst) => addon.f16ToF32(src, dst),
    bf16ToF16: (src, dst) => quant.fns.bf16ToF16(src, dst),
  };
}
