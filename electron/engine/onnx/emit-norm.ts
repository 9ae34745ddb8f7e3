// Normalisations: RMSNorm (Qwen2, InternVideo2) and LayerNorm (SigLIP, connector).
import { encodeFloats, type FloatDType } from './float-encoding.js';
import { attr, MS_DOMAIN, type GraphBuilder } from './graph-builder.js';

/**
 * RMSNorm y = x / sqrt(mean(x²) + eps) · w over the last axis. SimplifiedLayerNormalization is
 * onnxruntime's RMSNorm (registered in the ai.onnx domain): one kernel on CPU/CUDA/WebGPU, with
 * stash_type=1 so the mean of squares is accumulated in float32 even for float16 inputs.
 */
export function emitRmsNorm(g: GraphBuilder, x: string, name: string, weight: Float32Array, eps: number, dtype: FloatDType): string {
  const w = g.initializer(`${name}.weight`, dtype, [weight.length], encodeFloats(weight, dtype));
  return g.op('SimplifiedLayerNormalization', [x, w], { axis: attr.int(-1), epsilon: attr.float(eps), stash_type: attr.int(1) });
}

/**
 * Residual add fused with the next RMSNorm: sum = x + residual, y = RMSNorm(sum). The add is the
 * same elementwise add a separate Add would do, so the fusion is exact; it saves one pass over the
 * hidden state per norm. Returns both the normalised value and the new residual stream.
 */
export function emitSkipRmsNorm(
  g: GraphBuilder,
  x: string,
  residual: string,
  name: string,
  weight: Float32Array,
  eps: number,
  dtype: FloatDType,
): { normed: string; sum: string } {
  const w = g.initializer(`${name}.weight`, dtype, [weight.length], encodeFloats(weight, dtype));
  const normed = g.uniqueName(`${name}/normed`);
  const sum = g.uniqueName(`${name}/residual`);
  g.node('SkipSimplifiedLayerNormalization', [x, residual, w], [normed, '', '', sum], { epsilon: attr.float(eps) }, MS_DOMAIN);
  return { normed, sum };
}

/** LayerNorm (ai.onnx LayerNormalization, opset 17): float32 statistics via stash_type=1. */
export function emitLayerNorm(
  g: GraphBuilder,
  x: string,
  name: string,
  weight: Float32Array,
  bias: Float32Array,
  eps: number,
  dtype: FloatDType,
): string {
  const w = g.initializer(`${name}.weight`, dtype, [weight.length], encodeFloats(weight, dtype));
  const b = g.initializer(`${name}.bias`, dtype, [bias.length], encodeFloats(bias, dtype));
  return g.op('LayerNormalization', [x, w, b], { axis: attr.int(-1), epsilon: attr.float(eps), stash_type: attr.int(1) });
}
