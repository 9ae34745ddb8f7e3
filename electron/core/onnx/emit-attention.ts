// Attention: causal with a KV cache (the LLM) and plain softmax attention (vision, connector).
import { attr, MS_DOMAIN, type GraphBuilder } from './graph-builder.js';

/**
 * From an int64 attention mask [batch, totalSeq] of ones, the two length inputs
 * GroupQueryAttention wants: seqlens_k = (valid tokens - 1) per batch row (int32 [batch]) and
 * total_sequence_length = totalSeq (int32 scalar).
 */
export function emitGqaLengths(g: GraphBuilder, attentionMask: string): { seqlensK: string; totalSequenceLength: string } {
  const axes = g.constInt64('gqa.axes_1', [1]);
  const count = g.op('ReduceSum', [attentionMask, axes], { keepdims: attr.int(0) });
  const minusOne = g.op('Sub', [count, g.constInt64('gqa.one', [1], [])]);
  const seqlensK = g.op('Cast', [minusOne], { to: attr.int(6) }); // 6 = INT32
  const shape = g.op('Shape', [attentionMask]);
  const total = g.op('Gather', [shape, g.constInt64('gqa.index_1', [1], [])], { axis: attr.int(0) });
  const totalSequenceLength = g.op('Cast', [total], { to: attr.int(6) });
  return { seqlensK, totalSequenceLength };
}

export interface GqaOptions {
  /** [batch, seq, numHeads·headDim], rotary already applied. */
  query: string;
  /** [batch, seq, kvNumHeads·headDim], rotary already applied. */
  key: string;
  value: string;
  /** Graph inputs [batch, kvNumHeads, pastSeq, headDim]. */
  pastKey: string;
  pastValue: string;
  /** Graph output names [batch, kvNumHeads, presentSeq, headDim]. */
  presentKey: string;
  presentValue: string;
  seqlensK: string;
  totalSequenceLength: string;
  numHeads: number;
  kvNumHeads: number;
  headDim: number;
}

/**
 * com.microsoft GroupQueryAttention: causal softmax(q·kᵀ/√d)·v with GQA head sharing, appending
 * this step's k/v to the cache in the same kernel (CPU, CUDA and WebGPU all implement it). The
 * math is exactly Qwen2's eager attention: scale 1/√headDim, causal mask over past + current,
 * query head h reading kv head floor(h / (numHeads / kvNumHeads)). do_rotary stays 0 because
 * its internal rotary derives positions from the cache length and would ignore position_ids.
 * When the caller binds the same buffer as past and present (a cache of fixed capacity), the
 * kernel writes the new entries in place instead of copying the past every step.
 */
export function emitGroupQueryAttention(g: GraphBuilder, o: GqaOptions): string {
  const [out] = g.node(
    'GroupQueryAttention',
    [o.query, o.key, o.value, o.pastKey, o.pastValue, o.seqlensK, o.totalSequenceLength],
    [g.uniqueName('/gqa_out'), o.presentKey, o.presentValue],
    { num_heads: attr.int(o.numHeads), kv_num_heads: attr.int(o.kvNumHeads), scale: attr.float(1 / Math.sqrt(o.headDim)), do_rotary: attr.int(0) },
    MS_DOMAIN,
  );
  return out!;
}

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
