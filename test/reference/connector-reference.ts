// Naive fp32 connector (spec section 7): proj Linear, then the Idefics2-style Perceiver resampler
// (WeightedNorm = LayerNorm × wheight; latents cross-attend over [context; latents] with grouped
// KV heads, no mask; SwiGLU MLP; final WeightedNorm). The yardstick for the connector graph.
import { addInPlace, attention, layerNorm, linear, siluInPlace } from './naive-ops.js';
import { weightOf, type Float32Weights } from '../../electron/engine/vision/vision-weights.js';
import type { ConnectorShape } from '../../electron/engine/vision/vision-shapes.js';

const R = 'resampler.';
const NORMS = ['input_latents_norm', 'input_context_norm', 'post_attention_layernorm'] as const;

export function connectorWeightNames(shape: ConnectorShape): string[] {
  const names = ['proj.0.weight', 'proj.0.bias', `${R}latents`];
  for (let l = 0; l < shape.depth; l++) {
    const L = `${R}layers.${l}.`;
    for (const n of NORMS) names.push(`${L}${n}.norm.weight`, `${L}${n}.norm.bias`, `${L}${n}.wheight`);
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) names.push(`${L}self_attn.${p}.weight`);
    for (const p of ['gate_proj', 'up_proj', 'down_proj']) names.push(`${L}mlp.${p}.weight`);
  }
  names.push(`${R}norm.norm.weight`, `${R}norm.norm.bias`, `${R}norm.wheight`);
  return names;
}

function weightedNorm(x: Float32Array, rows: number, width: number, weights: Float32Weights, prefix: string, eps: number): Float32Array {
  const y = layerNorm(x, rows, width, weightOf(weights, `${prefix}.norm.weight`, width), weightOf(weights, `${prefix}.norm.bias`, width), eps);
  const wh = weightOf(weights, `${prefix}.wheight`, width);
  for (let i = 0; i < y.length; i++) y[i] = y[i]! * wh[i % width]!;
  return y;
}

/** One clip's fused features (tokens, visionHidden) → (numLatents, textHidden). */
export function connectorReferenceClip(shape: ConnectorShape, weights: Float32Weights, fused: Float32Array, tokens: number): Float32Array {
  const { visionHiddenSize: Dv, textHiddenSize: H, numLatents: L, numHeads: nh, headDim: hd, numKvHeads: nkv, ffMult, layerNormEps: eps } = shape;
  const F = ffMult * H;
  const c = linear(fused, tokens, Dv, weightOf(weights, 'proj.0.weight', H * Dv), weightOf(weights, 'proj.0.bias', H), H);
  const lat = weightOf(weights, `${R}latents`, L * H).slice();
  for (let l = 0; l < shape.depth; l++) {
    const P = `${R}layers.${l}.`;
    const w = (n: string, len: number) => weightOf(weights, P + n, len);
    const a = weightedNorm(lat, L, H, weights, `${P}input_latents_norm`, eps);
    const b = weightedNorm(c, tokens, H, weights, `${P}input_context_norm`, eps);
    const kvIn = new Float32Array((tokens + L) * H);
    kvIn.set(b, 0);
    kvIn.set(a, tokens * H);
    const q = linear(a, L, H, w('self_attn.q_proj.weight', nh * hd * H), undefined, nh * hd);
    const k = linear(kvIn, tokens + L, H, w('self_attn.k_proj.weight', nkv * hd * H), undefined, nkv * hd);
    const v = linear(kvIn, tokens + L, H, w('self_attn.v_proj.weight', nkv * hd * H), undefined, nkv * hd);
    const att = attention(q, L, k, v, tokens + L, nh, nkv, hd);
    addInPlace(lat, linear(att, L, nh * hd, w('self_attn.o_proj.weight', H * nh * hd), undefined, H));
    const p = weightedNorm(lat, L, H, weights, `${P}post_attention_layernorm`, eps);
    const gate = siluInPlace(linear(p, L, H, w('mlp.gate_proj.weight', F * H), undefined, F));
    const up = linear(p, L, H, w('mlp.up_proj.weight', F * H), undefined, F);
    for (let i = 0; i < gate.length; i++) gate[i] = gate[i]! * up[i]!;
    addInPlace(lat, linear(gate, L, F, w('mlp.down_proj.weight', H * F), undefined, H));
  }
  return weightedNorm(lat, L, H, weights, `${R}norm`, eps);
}

/** Fused features of n clips (n, tokens, visionHidden) → (n, numLatents, textHidden). */
export function connectorReference(shape: ConnectorShape, weights: Float32Weights, fused: Float32Array, n: number, tokens: number): Float32Array {
  const inLen = tokens * shape.visionHiddenSize;
  if (fused.length !== n * inLen) throw new RangeError(`connector input holds ${fused.length} values, expected ${n}×${inLen}`);
  const outLen = shape.numLatents * shape.textHiddenSize;
  const out = new Float32Array(n * outLen);
  for (let i = 0; i < n; i++) out.set(connectorReferenceClip(shape, weights, fused.subarray(i * inLen, (i + 1) * inLen), tokens), i * outLen);
  return out;
}
