// Attention: causal with a KV cache (the LLM) and plain softmax attention (vision, connector).
import { attr, MS_DOMAIN, type GraphBuilder } from './graph-builder.js';

export interface SdpaOptions {
  numHeads: number;
  /** Key/value heads; query heads numHeads/kvNumHeads·j … share kv head j (GQA). */
  numKvHeads: number;
  headDim: number;
  /** Defaults to 1/√headDim. */
  scale?: number;
  dtype: 'float32' | 'float16';
}

/**
 * Unmasked softmax attention without a cache, in plain ai.onnx ops (MatMul/Softmax), which every
 * provider runs in float32 and float16 alike. q [B, S, N·D], k/v [B, S', Nkv·D] -> [B, S, N·D].
 * GQA is done by a 5-D broadcast ([B, Nkv, group, S, D] × [B, Nkv, 1, D, S']), never by copying kv.
 */
export function emitScaledDotProductAttention(g: GraphBuilder, q: string, k: string, v: string, o: SdpaOptions): string {
  const group = o.numHeads / o.numKvHeads;
  if (!Number.isInteger(group)) throw new RangeError(`${o.numHeads} heads cannot share ${o.numKvHeads} kv heads`);
  const qShape = g.constInt64('sdpa.q_shape', [0, 0, o.numKvHeads, group, o.headDim]);
  const kvShape = g.constInt64('sdpa.kv_shape', [0, 0, o.numKvHeads, 1, o.headDim]);
  const q5 = g.op('Transpose', [g.op('Reshape', [q, qShape])], { perm: attr.ints([0, 2, 3, 1, 4]) });
  const k5 = g.op('Transpose', [g.op('Reshape', [k, kvShape])], { perm: attr.ints([0, 2, 3, 4, 1]) });
  const v5 = g.op('Transpose', [g.op('Reshape', [v, kvShape])], { perm: attr.ints([0, 2, 3, 1, 4]) });
  // Scores are scaled and normalised in float32 in every precision: cheap, and it keeps fp16
  // graphs from overflowing on large logits.
  let scores = g.op('MatMul', [q5, k5]);
  if (o.dtype === 'float16') scores = g.op('Cast', [scores], { to: attr.int(1) }); // 1 = FLOAT
  scores = g.op('Mul', [scores, g.initializer('sdpa.scale', 'float32', [], Float32Array.of(o.scale ?? 1 / Math.sqrt(o.headDim)))]);
  let probs = g.op('Softmax', [scores], { axis: attr.int(-1) });
  if (o.dtype === 'float16') probs = g.op('Cast', [probs], { to: attr.int(10) }); // 10 = FLOAT16
  const ctx = g.op('MatMul', [probs, v5]);
  const back = g.op('Transpose', [ctx], { perm: attr.ints([0, 3, 1, 2, 4]) });
  return g.op('Reshape', [back, g.constInt64('sdpa.out_shape', [0, 0, o.numHeads * o.headDim])]);
}

export interface CachedAttentionOptions {
  /** [1, seq, numHeads·headDim] float32, rotary already applied: the last `seq` positions of the cache. */
  query: string;
  /** One input per kv head, [total, headDim]: views of the caller's cache, new positions included, read in place. */
  keys: readonly string[];
  values: readonly string[];
  numHeads: number;
  kvNumHeads: number;
  headDim: number;
  /** Element type of the cache inputs (float16 is widened to float32 here). */
  cacheDtype: 'float32' | 'float16';
}

/**
 * Causal GQA attention of the last `seq` positions over a cache of `total` positions that the
 * graph only reads: softmax(q·kᵀ/√d + mask)·v, query s at position total - seq + s seeing keys
 * t ≤ total - seq + s, query head h reading kv head floor(h / (numHeads / kvNumHeads)): Qwen2's
 * eager attention, and what GroupQueryAttention computes. The cache comes in as one [total,
 * headDim] input per kv head, so a caller hands views of its own buffers (onnxruntime reads CPU
 * inputs in place) and nothing of cache size is returned. FusedMatMul's transB reads kᵀ without
 * a transpose copy. Float32 output [1, seq, numHeads·headDim].
 */
export function emitCachedAttention(g: GraphBuilder, o: CachedAttentionOptions): string {
  const group = o.numHeads / o.kvNumHeads;
  if (!Number.isInteger(group)) throw new RangeError(`${o.numHeads} heads cannot share ${o.kvNumHeads} kv heads`);
  if (o.keys.length !== o.kvNumHeads || o.values.length !== o.kvNumHeads) throw new RangeError(`expected ${o.kvNumHeads} cache inputs per kind`);
  const d = o.headDim;
  const kv = o.kvNumHeads;
  const widen = (x: string) => (o.cacheDtype === 'float32' ? x : g.op('Cast', [x], { to: attr.int(1) }));
  // q [1, S, kv·group·d] -> [kv, group, S, d], split per kv head.
  const q4 = g.op('Transpose', [g.op('Reshape', [o.query, g.constInt64('cattn.q_shape', [-1, kv, group, d])])], { perm: attr.ints([1, 2, 0, 3]) });
  const qs = (kv === 1 ? [q4] : g.node('Split', [q4, g.constInt64('cattn.split_kv', Array.from({ length: kv }, () => 1))], kv, { axis: attr.int(0) })).map((x) =>
    g.op('Squeeze', [x, g.constInt64('cattn.axes_0', [0])]),
  );
  // Additive mask [S, T]: -inf where t > T - S + s (Trilu keeps the triangle from diagonal T - S + 1).
  const seq = g.op('Shape', [o.query], { start: attr.int(1), end: attr.int(2) });
  const total = g.op('Shape', [o.keys[0]!], { start: attr.int(0), end: attr.int(1) });
  const ninf = g.op('Expand', [g.initializer('cattn.neg_inf', 'float32', [1], Float32Array.of(-Infinity)), g.op('Concat', [seq, total], { axis: attr.int(0) })]);
  const diagonal = g.op('Squeeze', [g.op('Add', [g.op('Sub', [total, seq]), g.constInt64('cattn.one', [1])]), g.constInt64('cattn.axes_0b', [0])]);
  const mask = g.op('Trilu', [ninf, diagonal], { upper: attr.int(1) });
  const outs: string[] = [];
  for (let j = 0; j < kv; j++) {
    const scores = g.op('FusedMatMul', [qs[j]!, widen(o.keys[j]!)], { transB: attr.int(1), alpha: attr.float(1 / Math.sqrt(d)) }, MS_DOMAIN); // [group, S, T]
    const probs = g.op('Softmax', [g.op('Add', [scores, mask])], { axis: attr.int(-1) });
    outs.push(g.op('MatMul', [probs, widen(o.values[j]!)])); // [group, S, d]
  }
  // [kv·group, S, d] -> [1, S, numHeads·d], head h = j·group + r as in GQA.
  const heads = kv === 1 ? outs[0]! : g.op('Concat', outs, { axis: attr.int(0) });
  return g.op('Reshape', [g.op('Transpose', [heads], { perm: attr.ints([1, 0, 2]) }), g.constInt64('cattn.out_shape', [1, -1, o.numHeads * d])]);
}
