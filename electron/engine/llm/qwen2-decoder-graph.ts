// The Qwen2 decoder (spec section 9) as ONNX graphs cut at attention: segment 0 takes
// inputs_embeds (so clip embeddings can be spliced in) up to layer 0's rotated q/k/v; segment i
// runs layer i-1's output projection and MLP, then layer i's norm, q/k/v projection and rotary;
// the last segment ends with the final norm and the logits of the last position. Attention runs
// between segments, over a KV cache the engine owns and never hands back and forth
// (qwen2-decoder-session.ts): natively for a decode step, in a small weightless graph
// (emitCachedAttention) for a prefill chunk. All segments share one external-data file. Only the
// parts that are Qwen2's own live here; the layers come from the shared emitters in ../onnx/.
import { join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { emitLinear, type LinearWeights } from '../onnx/emit-linear.js';
import { emitPackedSwiGluMlp } from '../onnx/emit-mlp.js';
import { emitRmsNorm, emitSkipRmsNorm } from '../onnx/emit-norm.js';
import { emitRotary } from '../onnx/emit-rotary.js';
import { ExternalDataWriter } from '../onnx/external-data-writer.js';
import type { FloatDType } from '../onnx/float-encoding.js';
import { attr, GraphBuilder } from '../onnx/graph-builder.js';
import { DEFAULT_INT4, type Int4Settings as Int4LayerSettings } from '../quant/quant-settings.js';
import type { Int4Quantized, Int4QuantizeOptions } from '../quant/int4-layout.js';
import { outputMatrixName, qwen2Names, type Qwen2Config } from './qwen2-config.js';

export type DecoderPrecision = 'fp32' | 'fp16' | 'int4';

/** prepare's int4 settings (quant/quant-settings.ts) plus the decoder's own choice for the output matrix. */
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
  /** Required for int4: the block quantizer (electron/engine/quant). */
  quantize?: Int4QuantizeFn;
  /** Rotary cache rows; defaults to max_position_embeddings. */
  maxPositions?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/**
 * Names of the segments' inputs and outputs: the convention everything downstream relies on.
 * q/k/v and the attention output are float32 at every precision ([1, seq, heads·headDim]); the
 * residual stream is in the graph's activation dtype. Rotary cos/sin rows for the fed positions
 * ([seq, headDim/2], activation dtype) come in from the caller's table, with local position ids
 * 0…seq-1, so no segment carries its own copy of the table.
 */
export const decoderIo = {
  inputsEmbeds: 'inputs_embeds',
  rotaryCos: 'rotary_cos',
  rotarySin: 'rotary_sin',
  rotaryPositions: 'rotary_positions',
  query: 'q',
  key: 'k',
  value: 'v',
  residual: 'residual',
  residualIn: 'residual_in',
  attention: 'attention',
  logits: 'logits',
};

export interface DecoderGraphInfo {
  /** Segment graph files, numLayers + 1 of them, in order. */
  segmentFiles: string[];
  dataFile: string;
  precision: DecoderPrecision;
  /** Activation dtype of the segments' residual stream and rotary inputs. */
  activationDtype: FloatDType;
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
 * Builds `decoder.segNN.onnx` (+ the shared `decoder.onnx.data`) in `dir`. Weights are read one
 * layer at a time and streamed to the side file, so peak memory is about one layer, not the model.
 */
export async function buildQwen2Decoder(dir: string, config: Qwen2Config, weights: Float32WeightSource, options: BuildDecoderOptions): Promise<DecoderGraphInfo> {
  const { precision } = options;
  const dtype = activationDtype(precision);
  const int4 = precision === 'int4' ? (options.int4 ?? DEFAULT_INT4_SETTINGS) : undefined;
  if (int4 !== undefined && options.quantize === undefined) throw new Error('int4 decoder needs a quantizer');
  const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize, vocabSize, rmsNormEps: eps, numLayers } = config;
  const qWidth = numHeads * headDim;
  const kvWidth = numKvHeads * headDim;
  const maxPositions = options.maxPositions ?? config.maxPositionEmbeddings;
  const dataFile = 'decoder.onnx.data';
  const segmentFiles: string[] = [];
  const writer = new ExternalDataWriter(join(dir, dataFile));
  let externalDataBytes = 0;

  const linear = (weight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array, quantized = true): LinearWeights => {
    if (int4 !== undefined && quantized) {
      const q = options.quantize!(weight, outFeatures, inFeatures, { blockSize: int4.blockSize, symmetric: int4.symmetric, scaleDtype: dtype });
      return { kind: 'int4', quantized: q, accuracyLevel: int4.accuracyLevel, ...(bias ? { bias } : {}) };
    }
    return { kind: 'dense', weight, outFeatures, inFeatures, ...(bias ? { bias } : {}) };
  };
  const toFloat32 = (g: GraphBuilder, x: string) => (dtype === 'float32' ? x : g.op('Cast', [x], { to: attr.int(1) }));
  const toActivation = (g: GraphBuilder, x: string) => (dtype === 'float32' ? x : g.op('Cast', [x], { to: attr.int(10) }));

  /** Layer i's q/k/v projection and rotary from its normed input, as the segment's outputs. */
  const emitQkv = async (g: GraphBuilder, i: number, normed: string, residual: string) => {
    const n = qwen2Names.layer(i);
    // q, k and v share one matmul (rows concatenated): one weight read and one kernel per step.
    const qkvWeight = concatRows([await weights.readFloat32(`${n.q}.weight`), await weights.readFloat32(`${n.k}.weight`), await weights.readFloat32(`${n.v}.weight`)]);
    const qkvBias = concatRows([await weights.readFloat32(`${n.q}.bias`), await weights.readFloat32(`${n.k}.bias`), await weights.readFloat32(`${n.v}.bias`)]);
    const qkv = emitLinear(g, normed, `layers.${i}.attn.qkv_proj`, linear(qkvWeight, qWidth + 2 * kvWidth, h, qkvBias), dtype);
    const [q, k, v] = g.node('Split', [qkv, g.constInt64('qkv_split', [qWidth, kvWidth, kvWidth])], 3, { axis: attr.int(-1) });
    const rope = { cos: g.input(decoderIo.rotaryCos, dtype, ['sequence_length', headDim / 2]), sin: g.input(decoderIo.rotarySin, dtype, ['sequence_length', headDim / 2]) };
    const positions = g.input(decoderIo.rotaryPositions, 'int64', [1, 'sequence_length']);
    g.output(toFloat32(g, emitRotary(g, q!, positions, rope, numHeads)), decoderIo.query, 'float32', [1, 'sequence_length', qWidth]);
    g.output(toFloat32(g, emitRotary(g, k!, positions, rope, numKvHeads)), decoderIo.key, 'float32', [1, 'sequence_length', kvWidth]);
    g.output(toFloat32(g, v!), decoderIo.value, 'float32', [1, 'sequence_length', kvWidth]);
    g.output(residual, decoderIo.residual, dtype, [1, 'sequence_length', h]);
  };

  /** Layer i's output projection, residual add, post-attention norm and MLP: (mlp out, residual sum). */
  const emitAfterAttention = async (g: GraphBuilder, i: number) => {
    const n = qwen2Names.layer(i);
    const attn = toActivation(g, g.input(decoderIo.attention, 'float32', [1, 'sequence_length', qWidth]));
    const residual = g.input(decoderIo.residualIn, dtype, [1, 'sequence_length', h]);
    const o = emitLinear(g, attn, `layers.${i}.attn.o_proj`, linear(await weights.readFloat32(`${n.o}.weight`), h, qWidth), dtype);
    const post = emitSkipRmsNorm(g, o, residual, `layers.${i}.post_attention_layernorm`, await weights.readFloat32(n.postAttentionNorm), eps, dtype);
    // gate and up share one matmul too (rows concatenated), split inside the MLP emitter.
    const gateUp = concatRows([await weights.readFloat32(`${n.gate}.weight`), await weights.readFloat32(`${n.up}.weight`)]);
    const mlp = emitPackedSwiGluMlp(g, post.normed, `layers.${i}.mlp`, { gateUp: linear(gateUp, 2 * intermediateSize, h), down: linear(await weights.readFloat32(`${n.down}.weight`), h, intermediateSize) }, intermediateSize, dtype);
    return { mlp, sum: post.sum };
  };

  try {
    for (let seg = 0; seg <= numLayers; seg++) {
      options.signal?.throwIfAborted();
      options.onProgress?.({ stage: 'build-decoder', done: seg, total: numLayers + 1, unit: 'segments' });
      const g = new GraphBuilder({ name: `qwen2_decoder_segment_${seg}`, externalData: writer });
      if (seg === 0) {
        const embeds = g.input(decoderIo.inputsEmbeds, 'float32', [1, 'sequence_length', h]);
        const x = toActivation(g, embeds);
        await emitQkv(g, 0, emitRmsNorm(g, x, 'layers.0.input_layernorm', await weights.readFloat32(qwen2Names.layer(0).inputNorm), eps, dtype), x);
      } else {
        const { mlp, sum } = await emitAfterAttention(g, seg - 1);
        if (seg < numLayers) {
          const next = emitSkipRmsNorm(g, mlp, sum, `layers.${seg}.input_layernorm`, await weights.readFloat32(qwen2Names.layer(seg).inputNorm), eps, dtype);
          await emitQkv(g, seg, next.normed, next.sum);
        } else {
          // Only the last position's logits are wanted: slice before the final norm and the head.
          const last = g.constInt64('last_index', [-1]);
          const mlpLast = g.op('Gather', [mlp, last], { axis: attr.int(1) });
          const sumLast = g.op('Gather', [sum, last], { axis: attr.int(1) });
          const normed = emitSkipRmsNorm(g, mlpLast, sumLast, 'norm', await weights.readFloat32(qwen2Names.finalNorm), eps, dtype).normed;
          const head = await weights.readFloat32(outputMatrixName(config));
          if (head.length !== vocabSize * h) throw new ApolloError('CHECKPOINT_INVALID', `The output matrix has ${head.length} values, expected ${vocabSize} × ${h}; download the model again.`);
          g.output(toFloat32(g, emitLinear(g, normed, 'lm_head', linear(head, vocabSize, h, undefined, int4?.lmHead !== 'float'), dtype)), decoderIo.logits, 'float32', [1, 1, vocabSize]);
        }
      }
      const file = `decoder.seg${String(seg).padStart(3, '0')}.onnx`;
      g.save(join(dir, file), { keepExternalDataOpen: true });
      segmentFiles.push(file);
      externalDataBytes += g.externalDataBytes;
    }
    options.onProgress?.({ stage: 'build-decoder', done: numLayers + 1, total: numLayers + 1, unit: 'segments' });
  } finally {
    writer.close();
  }
  return { segmentFiles, dataFile, precision, activationDtype: dtype, int4, maxPositions, externalDataBytes };
}
