// The addon's quantization functions (native/src/quantize.cc), or the reason they are unavailable.
// Looked up by name so an addon built before quantize.cc existed falls back instead of crashing.
import { loadNativeAddon } from '../native/native-addon.js';

export interface NativeQuantFunctions {
  quantizeInt4(
    weight: Float32Array,
    n: number,
    k: number,
    blockSize: number,
    symmetric: boolean,
    data: Uint8Array,
    scales: Float32Array | Uint16Array,
    zeroPoints: Uint8Array | null,
  ): void;
  bf16ToF16(src: Uint16Array, dst: Uint16Array): void;
}

export type NativeQuantStatus = { loaded: true; fns: NativeQuantFunctions } | { loaded: false; reason: string };

export function nativeQuant(): NativeQuantStatus {
  const status = loadNativeAddon();
  if (!status.loaded) return { loaded: false, reason: status.reason };
  const addon = status.addon as unknown as Partial<NativeQuantFunctions>;
  if (typeof addon.quantizeInt4 !== 'function' || typeof addon.bf16ToF16 !== 'function') {
    return { loaded: false, reason: `native addon at ${status.path} predates quantize.cc; run \`npm run build:native\`` };
  }
  return { loaded: true, fns: addon as NativeQuantFunctions };
}
