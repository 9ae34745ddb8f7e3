// Feed-forward blocks and activations.
import { emitLinear, type LinearWeights } from './emit-linear.js';
import type { FloatDType } from './float-encoding.js';
import { attr, MS_DOMAIN, type GraphBuilder } from './graph-builder.js';

export interface SwiGluWeights {
  gate: LinearWeights;
  up: LinearWeights;
  down: LinearWeights;
}

/** down(SiLU(gate(x)) ⊙ up(x)); SiLU as x·Sigmoid(x), which is its definition (no approximation). */
export function emitSwiGluMlp(g: GraphBuilder, x: string, name: string, w: SwiGluWeights, dtype: FloatDType): string {
  const gate = emitLinear(g, x, `${name}.gate_proj`, w.gate, dtype);
  const up = emitLinear(g, x, `${name}.up_proj`, w.up, dtype);
  const act = g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
  return emitLinear(g, g.op('Mul', [act, up]), `${name}.down_proj`, w.down, dtype);
}

/**
 * The same SwiGLU with gate and up as one matmul whose rows are gate's then up's (one weight read
 * and one kernel launch per step instead of two), split after.
 */
export function emitPackedSwiGluMlp(
  g: GraphBuilder,
  x: string,
  name: string,
  w: { gateUp: LinearWeights; down: LinearWeights },
  intermediateSize: number,
  dtype: FloatDType,
): string {
  const both = emitLinear(g, x, `${name}.gate_up_proj`, w.gateUp, dtype);
  const [gate, up] = g.node('Split', [both, g.constInt64(`${name}.split`, [intermediateSize, intermediateSize])], 2, { axis: attr.int(-1) });
  const act = g.op('Mul', [gate!, g.op('Sigmoid', [gate!])]);
  return emitLinear(g, g.op('Mul', [act, up!]), `${name}.down_proj`, w.down, dtype);
}

export type GeluVariant = 'erf' | 'tanh';

/**
 * GELU. 'erf': com.microsoft Gelu, exactly 0.5·x·(1 + erf(x/√2)) (InternVideo2's nn.GELU).
 * 'tanh': com.microsoft FastGelu, exactly 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (SigLIP's
 * gelu_pytorch_tanh). Both are single fused kernels on CPU, CUDA and WebGPU; opset 17 has no Gelu.
 */
export function emitGelu(g: GraphBuilder, x: string, variant: GeluVariant): string {
  return g.op(variant === 'erf' ? 'Gelu' : 'FastGelu', [x], {}, MS_DOMAIN);
}
