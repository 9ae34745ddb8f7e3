// BF16 -> F16 (round to nearest even) for fp16 preparation of a BF16 checkpoint, native when the
// addon loads, else the twin. BF16 values beyond F16's range become ±Inf and tiny ones subnormal or
// zero, exactly as F32 -> F16 would round them.
import { f32BitsToF16 } from '../native/float-convert-twin.js';
import { nativeQuant } from './native-quant.js';

export function bf16ToF16Twin(src: Uint16Array, dst: Uint16Array): void {
  if (src.length !== dst.length) throw new RangeError('src and dst lengths differ');
  for (let i = 0; i < src.length; i++) dst[i] = f32BitsToF16((src[i]! << 16) >>> 0);
}

export interface Bf16ToF16Converter {
  backend: 'native' | 'typescript';
  fallbackReason: string | undefined;
  convert(src: Uint16Array, dst: Uint16Array): void;
}

export function bf16ToF16Converter(): Bf16ToF16Converter {
  const status = nativeQuant();
  if (!status.loaded) return { backend: 'typescript', fallbackReason: status.reason, convert: bf16ToF16Twin };
  return { backend: 'native', fallbackReason: undefined, convert: (src, dst) => status.fns.bf16ToF16(src, dst) };
}
