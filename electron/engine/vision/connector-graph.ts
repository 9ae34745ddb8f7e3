// Fusion + connector as one ONNX graph: the InternVideo2 grid resized onto SigLIP's with PyTorch's
// trilinear (align_corners=False) weights as three small matrix products, channels concatenated
// SigLIP first, then proj Linear and the Perceiver resampler.
// Inputs siglip_features [clips, T, G, G, C1] and internvideo_features [clips, T2, G2, G2, C2]
// (fp32) → clip_embeddings [clips, numLatents, textHidden] fp32.
import { emitScaledDotProductAttention } from '../onnx/emit-attention.js';
import { emitSwiGluMlp } from '../onnx/emit-mlp.js';
import { emitLayerNorm } from '../onnx/emit-norm.js';
import { attr, GraphBuilder, type GraphBuilderOptions } from '../onnx/graph-builder.js';
import { linearAxisTaps, type GridSize } from './trilinear-fusion.js';
import { computeDtype, emitBatchBroadcast, f32Initializer, fusedLinears, linearFrom, linearWeightsFor, toCompute, toFloat32, type VisionDtype, type WeightFetcher } from './vision-graph-parts.js';
import type { ConnectorShape } from './vision-shapes.js';

export const CONNECTOR_SIGLIP_INPUT = 'siglip_features';
export const CONNECTOR_INTERNVIDEO_INPUT = 'internvideo_features';
export const CONNECTOR_OUTPUT = 'clip_embeddings';

/** The dense [out, in] matrix of one axis's linear-interpolation taps. */
export function axisResizeMatrix(inSize: number, outSize: number): Float32Array {
  const taps = linearAxisTaps(inSize, outSize);
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const lo = o * inSize + taps.lo[o]!;
    const hi = o * inSize + taps.hi[o]!;
    m[lo] = m[lo]! + taps.wLo[o]!;
    m[hi] = m[hi]! + taps.wHi[o]!;
  }
  return m;
}

/**
 * x [B, from.frames, from.height, from.width, C] → [B, to.frames·to.height·to.width, C]: one
 * MatMul per axis that changes size (each output mixes two source rows with PyTorch's weights).
 */
export function emitTrilinearResize(g: GraphBuilder, x: string, from: GridSize, to: GridSize, channels: number, name: string): string {
  let y = x;
  if (from.width !== to.width) y = g.op('MatMul', [f32Initializer(g, `${name}.resize_w`, [to.width, from.width], axisResizeMatrix(from.width, to.width)), y]);
  if (from.height !== to.height) {
    const rows = g.op('Reshape', [y, g.constInt64(`${name}.rows_h`, [0, from.frames, from.height, to.width * channels])]);
    y = g.op('MatMul', [f32Initializer(g, `${name}.resize_h`, [to.height, from.height], axisResizeMatrix(from.height, to.height)), rows]);
  }
  if (from.frames !== to.frames) {
    const rows = g.op('Reshape', [y, g.constInt64(`${name}.rows_t`, [0, from.frames, to.height * to.width * channels])]);
    y = g.op('MatMul', [f32Initializer(g, `${name}.resize_t`, [to.frames, from.frames], axisResizeMatrix(from.frames, to.frames)), rows]);
  }
  return g.op('Reshape', [y, g.constInt64(`${name}.tokens`, [0, to.frames * to.height * to.width, channels])]);
}

export interface FusionInputs {
  grid: GridSize;
  siglipChannels: number;
  internVideoGrid: GridSize;
  internVideoChannels: number;
}

/** Declares the two feature inputs and returns the fused tokens [B, T·H·W, C1 + C2] (fp32). */
export function emitFusion(g: GraphBuilder, f: FusionInputs): string {
  const { grid, internVideoGrid: iv } = f;
  const sig = g.input(CONNECTOR_SIGLIP_INPUT, 'float32', ['clips', grid.frames, grid.height, grid.width, f.siglipChannels]);
  const ivIn = g.input(CONNECTOR_INTERNVIDEO_INPUT, 'float32', ['clips', iv.frames, iv.height, iv.width, f.internVideoChannels]);
  const tokens = grid.frames * grid.height * grid.width;
  const sigTokens = g.op('Reshape', [sig, g.constInt64('fusion.siglip_tokens', [0, tokens, f.siglipChannels])]);
  const ivTokens = emitTrilinearResize(g, ivIn, iv, grid, f.internVideoChannels, 'fusion');
  return g.op('Concat', [sigTokens, ivTokens], { axis: attr.int(-1) });
}

async function emitWeightedNorm(g: GraphBuilder, fetch: WeightFetcher, x: string, prefix: string, width: number, eps: number): Promise<string> {
  const n = emitLayerNorm(g, x, `${prefix}.norm`, await fetch(`${prefix}.norm.weight`, width), await fetch(`${prefix}.norm.bias`, width), eps, 'float32');
  return g.op('Mul', [n, f32Initializer(g, `${prefix}.wheight`, [width], await fetch(`${prefix}.wheight`, width))]);
}

export async function buildConnectorGraph(shape: ConnectorShape, fusion: FusionInputs, fetch: WeightFetcher, dtype: VisionDtype, options: Omit<GraphBuilderOptions, 'name'> = {}): Promise<GraphBuilder> {
  const { visionHiddenSize: Dv, textHiddenSize: H, numLatents: L, numHeads: nh, headDim: hd, numKvHeads: nkv, ffMult, layerNormEps: eps } = shape;
  if (fusion.siglipChannels + fusion.internVideoChannels !== Dv) {
    throw new RangeError(`connector expects ${Dv} vision channels, the towers give ${fusion.siglipChannels} + ${fusion.internVideoChannels}`);
  }
  const g = new GraphBuilder({ name: `connector-${dtype}`, ...options });
  const fused = emitFusion(g, fusion);
  const context = toFloat32(g, await linearFrom(g, fetch, toCompute(g, fused, dtype), 'proj.0', H, Dv, true, dtype), dtype);
  let lat = emitBatchBroadcast(g, f32Initializer(g, 'resampler.latents', [1, L, H], await fetch('resampler.latents', L * H)), context, L, H, 'latents');
  for (let l = 0; l < shape.depth; l++) {
    const P = `resampler.layers.${l}.`;
    const a = toCompute(g, await emitWeightedNorm(g, fetch, lat, `${P}input_latents_norm`, H, eps), dtype);
    const b = toCompute(g, await emitWeightedNorm(g, fetch, context, `${P}input_context_norm`, H, eps), dtype);
    const kvIn = g.op('Concat', [b, a], { axis: attr.int(1) });
    const q = await linearFrom(g, fetch, a, `${P}self_attn.q_proj`, nh * hd, H, false, dtype);
    const [k, v] = await fusedLinears(
      g,
      fetch,
      kvIn,
      `${P}self_attn.kv_proj`,
      [
        { weight: `${P}self_attn.k_proj.weight`, outF: nkv * hd },
        { weight: `${P}self_attn.v_proj.weight`, outF: nkv * hd },
      ],
      H,
      dtype,
    );
    const att = emitScaledDotProductAttention(g, q, k!, v!, { numHeads: nh, numKvHeads: nkv, headDim: hd, dtype: computeDtype(dtype) });
    lat = g.op('Add', [lat, toFloat32(g, await linearFrom(g, fetch, att, `${P}self_attn.o_proj`, H, nh * hd, false, dtype), dtype)]);
    const p = toCompute(g, await emitWeightedNorm(g, fetch, lat, `${P}post_attention_layernorm`, H, eps), dtype);
    const F = ffMult * H;
    const weights = async (n: string, outF: number, inF: number) => linearWeightsFor(await fetch(`${P}mlp.${n}.weight`, outF * inF), outF, inF, undefined, dtype);
    const mlp = emitSwiGluMlp(g, p, `${P}mlp`, { gate: await weights('gate_proj', F, H), up: await weights('up_proj', F, H), down: await weights('down_proj', H, F) }, computeDtype(dtype));
    lat = g.op('Add', [lat, toFloat32(g, mlp, dtype)]);
  }
  g.output(await emitWeightedNorm(g, fetch, lat, 'resampler.norm', H, eps), CONNECTOR_OUTPUT, 'float32', ['clips', L, H]);
  return g;
}
