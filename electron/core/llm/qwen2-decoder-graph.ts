// The Qwen2 decoder as one ONNX graph (spec section 9): inputs_embeds in (so clip embeddings can
// be spliced in), logits of the last position and the per-layer KV cache out. Only the parts that
// are Qwen2's own live here; the layers come from the shared emitters in ../onnx/.
import { join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { emitGqaLengths, emitGroupQueryAttention } from '../onnx/emit-attention.js';
import { emitLinear, type LinearWeights } from '../onnx/emit-linear.js';
import { emitPackedSwiGluMlp } from '../onnx/emit-mlp.js';
import { emitRmsNorm, emitSkipRmsNorm } from '../onnx/emit-norm.js';
import { emitRotary, emitRotaryCaches } from '../onnx/emit-rotary.js';
import { ExternalDataWriter } from '../onnx/external-data-writer.js';
import type { FloatDType } from '../onnx/float-encoding.js';
import { attr, GraphBuilder } from '../onnx/graph-builder.js';
import { DEFAULT_INT4, type Int4Settings as Int4LayerSettings } from '../quant/int4-settings.js';
import type { Int4Quantized, Int4QuantizeOptions } from '../quant/int4-layout.js';
import { outputMatrixName, qwen2Names, type Qwen2Config } from './qwen2-config.js';

export type DecoderPrecision = 'fp32' | 'fp16' | 'int4';

/** prepare's int4 settings (quant/int4-settings.ts) plus the decoder's own choice for the output matrix. */
export interface Int4Settings extends Int4LayerSettings {
  /** The output matrix (tied embedding): 4-bit like the layers, or kept in float32. */
  lmHead: 'int4' | 'float';
}

/**
 * DEFAULT_INT4 with a 4-bit output matrix, which keeps decode bytes low (a float32 151936×H head
 * would be the largest tensor read per token, 1.2 GB at 3B).
 */
export const DEFAULT_INT4_SETTINGS: Int4Settings = { ...DEFAULT_INT4, lmHead: 'int4' };

/** What a graph needs from a checkpoint: float tensors by name (a TensorSource fits). */
export interface Float32WeightSource {
  readFloat32(name: string): Promise<Float32Array>;
}

export type Int4QuantizeFn = (weight: Float32Array, n: number, k: number, options: Int4QuantizeOptions) => Int4Quantized;

export interface BuildDecoderOptions {
  precision: DecoderPrecision;
  int4?: Int4Settings;
  /** Required for int4: the block quantizer (electron/core/quant). */
  quantize?: Int4QuantizeFn;
  /** Rotary cache rows; defaults to max_position_embeddings. */
  maxPositions?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** Names of the graph's inputs and outputs: the convention everything downstream relies on. */
export const decoderIo = {
  inputsEmbeds: 'inputs_embeds',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  logits: 'logits',
  pastKey: (i: number) => `past_key_values.${i}.key`,
  pastValue: (i: number) => `past_key_values.${i}.value`,
  presentKey: (i: number) => `present.${i}.key`,
  presentValue: (i: number) => `present.${i}.value`,
};

export interface DecoderGraphInfo {
  modelFile: string;
  dataFile: string;
  precision: DecoderPrecision;
  /** dtype of the KV cache tensors (inputs_embeds and logits are always float32). */
  kvDtype: FloatDType;
  int4: Int4Settings | undefined;
  maxPositions: number;
  externalDataBytes: number;
}

/** Activations and cache are float16 only in the fp16 graph; int4 keeps float32 activations, the CPU fast path of MatMulNBits. */
export function activationDtype(precision: DecoderPrecision): FloatDType {
  return precision === 'fp16' ? 'float16' : 'float32';
}

function concatRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Builds `decoder.onnx` (+ `decoder.onnx.data`) in `dir`. Weights are read one layer at a time and
 * streamed to the side file, so peak memory is about one layer, not the model.
 */
export async function buildQwen2Decoder(dir: string, config: Qwen2Config, weights: Float32WeightSource, options: BuildDecoderOptions): Promise<DecoderGraphInfo> {
  const { precision } = options;
  const dtype = activationDtype(precision);
  const int4 = precision === 'int4' ? (options.int4 ?? DEFAULT_INT4_SETTINGS) : undefined;
  if (int4 !== undefined && options.quantize === undefined) throw new Error('int4 decoder needs a quantizer');
  const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize, vocabSize, rmsNormEps: eps, numLayers } = config;
  const kvWidth = numKvHeads * headDim;
  const maxPositions = options.maxPositions ?? config.maxPositionEmbeddings;
  const modelFile = 'decoder.onnx';
  const dataFile = 'decoder.onnx.data';
  const writer = new ExternalDataWriter(join(dir, dataFile));
  const g = new GraphBuilder({ name: 'qwen2_decoder', externalData: writer });

  const linear = (weight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array, quantized = true): LinearWeights => {
    if (int4 !== undefined && quantized) {
      const q = options.quantize!(weight, outFeatures, inFeatures, { blockSize: int4.blockSize, symmetric: int4.symmetric, scaleDtype: dtype });
      return { kind: 'int4', quantized: q, accuracyLevel: int4.accuracyLevel, ...(bias ? { bias } : {}) };
    }
    return { kind: 'dense', weight, outFeatures, inFeatures, ...(bias ? { bias } : {}) };
  };

  try {
    const embeds = g.input(decoderIo.inputsEmbeds, 'float32', ['batch', 'sequence_length', h]);
    const mask = g.input(decoderIo.attentionMask, 'int64', ['batch', 'total_sequence_length']);
    const positions = g.input(decoderIo.positionIds, 'int64', ['batch', 'sequence_length']);
    const x = dtype === 'float32' ? embeds : g.op('Cast', [embeds], { to: attr.int(10) });
    const lengths = emitGqaLengths(g, mask);
    const rope = emitRotaryCaches(g, 'rotary', config.ropeTheta, headDim, maxPositions, dtype);

    let residual = x;
    let normed = '';
    for (let i = 0; i < numLayers; i++) {
      options.signal?.throwIfAborted();
      options.onProgress?.({ stage: 'build-decoder', done: i, total: numLayers, unit: 'layers' });
      const n = qwen2Names.layer(i);
      const inputNorm = await weights.readFloat32(n.inputNorm);
      if (i === 0) normed = emitRmsNorm(g, residual, `layers.${i}.input_layernorm`, inputNorm, eps, dtype);
      // q, k and v share one matmul (rows concatenated): one weight read and one kernel per step.
      const qkvWeight = concatRows([await weights.readFloat32(`${n.q}.weight`), await weights.readFloat32(`${n.k}.weight`), await weights.readFloat32(`${n.v}.weight`)]);
      const qkvBias = concatRows([await weights.readFloat32(`${n.q}.bias`), await weights.readFloat32(`${n.k}.bias`), await weights.readFloat32(`${n.v}.bias`)]);
      const qkv = emitLinear(g, normed, `layers.${i}.attn.qkv_proj`, linear(qkvWeight, h + 2 * kvWidth, h, qkvBias), dtype);
      const [q, k, v] = g.node('Split', [qkv, g.constInt64('qkv_split', [numHeads * headDim, kvWidth, kvWidth])], 3, { axis: attr.int(-1) });
      const attn = emitGroupQueryAttention(g, {
        query: emitRotary(g, q!, positions, rope, numHeads),
        key: emitRotary(g, k!, positions, rope, numKvHeads),
        value: v!,
        pastKey: g.input(decoderIo.pastKey(i), dtype, ['batch', numKvHeads, 'past_sequence_length', headDim]),
        pastValue: g.input(decoderIo.pastValue(i), dtype, ['batch', numKvHeads, 'past_sequence_length', headDim]),
        presentKey: decoderIo.presentKey(i),
        presentValue: decoderIo.presentValue(i),
        ...lengths,
        numHeads,
        kvNumHeads: numKvHeads,
        headDim,
      });
      g.output(decoderIo.presentKey(i), decoderIo.presentKey(i), dtype, ['batch', numKvHeads, 'present_sequence_length', headDim]);
      g.output(decoderIo.presentValue(i), decoderIo.presentValue(i), dtype, ['batch', numKvHeads, 'present_sequence_length', headDim]);
      const o = emitLinear(g, attn, `layers.${i}.attn.o_proj`, linear(await weights.readFloat32(`${n.o}.weight`), h, numHeads * headDim), dtype);
      const post = emitSkipRmsNorm(g, o, residual, `layers.${i}.post_attention_layernorm`, await weights.readFloat32(n.postAttentionNorm), eps, dtype);
      // gate and up share one matmul too (rows concatenated), split inside the MLP emitter.
      const gateUp = concatRows([await weights.readFloat32(`${n.gate}.weight`), await weights.readFloat32(`${n.up}.weight`)]);
      const mlp = emitPackedSwiGluMlp(
        g,
        post.normed,
        `layers.${i}.mlp`,
        { gateUp: linear(gateUp, 2 * intermediateSize, h), down: linear(await weights.readFloat32(`${n.down}.weight`), h, intermediateSize) },
        intermediateSize,
        dtype,
      );
      if (i + 1 < numLayers) {
        const next = emitSkipRmsNorm(g, mlp, post.sum, `layers.${i + 1}.input_layernorm`, await weights.readFloat32(qwen2Names.layer(i + 1).inputNorm), eps, dtype);
        normed = next.normed;
        residual = next.sum;
      } else {
        // Only the last position's logits are wanted: slice before the final norm and the head.
        const last = g.constInt64('last_index', [-1]);
        const mlpLast = g.op('Gather', [mlp, last], { axis: attr.int(1) });
        const sumLast = g.op('Gather', [post.sum, last], { axis: attr.int(1) });
        normed = emitSkipRmsNorm(g, mlpLast, sumLast, 'norm', await weights.readFloat32(qwen2Names.finalNorm), eps, dtype).normed;
      }
    }
    options.onProgress?.({ stage: 'build-decoder', done: numLayers, total: numLayers, unit: 'layers' });
    const head = await weights.readFloat32(outputMatrixName(config));
    if (head.length !== vocabSize * h) throw new ApolloError('CHECKPOINT_INVALID', `The output matrix has ${head.length} values, expected ${vocabSize} × ${h}; download the model again.`);
    let logits = emitLinear(g, normed, 'lm_head', linear(head, vocabSize, h, undefined, int4?.lmHead !== 'float'), dtype);
    if (dtype !== 'float32') logits = g.op('Cast', [logits], { to: attr.int(1) });
    g.output(logits, decoderIo.logits, 'float32', ['batch', 1, vocabSize]);
    g.save(join(dir, modelFile));
  } finally {
    writer.close();
  }
  return { modelFile, dataFile, precision, kvDtype: dtype, int4, maxPositions, externalDataBytes: g.externalDataBytes };
}
