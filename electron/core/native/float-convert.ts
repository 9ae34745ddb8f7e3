// Weight conversions used by the model loader, on the native addon when it loads, else on the
// TypeScript twin (with the reason available to show the user).
import { bf16ToF32Twin, f32ToF16Twin } from './float-convert-twin.js';
import { loadNativeAddon } from './native-addon.js';

export interface FloatConverter {
  backend: 'native' | 'typescript';
  /** Why the TypeScript twin is used; undefined when native. */
  fallbackReason: string | undefined;
  bf16ToF32(src: Uint16Array, dst: Float32Array): void;
  f32ToF16(src: Float32Array, dst: Uint16Array): void;
}

export const typescriptFloatConverter: FloatConverter = {
  backend: 'typescript',
  fallbackReason: 'requested',
  bf16ToF32: bf16ToF32Twin,
  f32ToF16: f32ToF16Twin,
};

export function floatConverter(): FloatConverter {
  const status = loadNativeAddon();
  if (!status.loaded) return { ...typescriptFloatConverter, fallbackReason: status.reason };
  const { addon } = status;
  return {
    backend: 'native',
    fallbackReason: undefined,
    bf16ToF32: (src, dst) => addon.bf16ToF32(src, dst),
    f32ToF16: (src, dst) => addon.f32ToF16(src, dst),
  };
}
