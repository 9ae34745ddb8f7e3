// int4 block quantization for MatMulNBits, on the native addon when it loads, else on the
// TypeScript twin (both produce identical bytes; the reason for a fallback is kept for the user).
import { allocateInt4, type Int4Quantized, type Int4QuantizeOptions } from './int4-layout.js';
import { quantizeInt4Twin } from './int4-quantize-twin.js';
import { nativeQuant } from './native-quant.js';

export interface Int4Quantizer {
  backend: 'native' | 'typescript';
  /** Why the TypeScript twin is used; undefined when native. */
  fallbackReason: string | undefined;
  /** Quantizes W [n, k] (a Linear weight, [out, in], row-major). */
  quantize(weight: Float32Array, n: number, k: number, options: Int4QuantizeOptions): Int4Quantized;
}

export const typescriptInt4Quantizer: Int4Quantizer = {
  backend: 'typescript',
  fallbackReason: 'requested',
  quantize(weight, n, k, options) {
    const out = allocateInt4(n, k, options);
    quantizeInt4Twin(weight, out);
    return out;
  },
};

export function int4Quantizer(): Int4Quantizer {
  const status = nativeQuant();
  if (!status.loaded) return { ...typescriptInt4Quantizer, fallbackReason: status.reason };
  const { fns } = status;
  return {
    backend: 'native',
    fallbackReason: undefined,
    quantize(weight, n, k, options) {
      const out = allocateInt4(n, k, options);
      if (weight.length !== n * k) throw new RangeError(`weight has ${weight.length} values, expected ${n} x ${k}`);
      fns.quantizeInt4(weight, n, k, out.blockSize, out.symmetric, out.data, out.scales, out.zeroPoints ?? null);
      return out;
    },
  };
}
