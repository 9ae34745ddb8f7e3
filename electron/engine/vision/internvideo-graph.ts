// The InternVideo2 tower as an ONNX graph over the shared emitters: tubelet patch embedding, CLS,
// the video position table, RMSNorm blocks with full-width q/k norms and fp32 layer scale, erf-GELU
// MLP; stops after the block mm_vision_select_layer selects; CLS dropped.
// Input pixel_values [clips, ch, F, S, S] fp32 → internvideo_features [clips, F/U, G, G, C] fp32.
import { emitScaledDotProductAttention } from '../onnx/emit-attention.js';
import { emitGelu } from '../onnx/emit-mlp.js';
import { emitRmsNorm } from '../onnx/emit-norm.js';
import { attr, GraphBuilder, type GraphBuilderOptions } from '../onnx/graph-builder.js';
import { computeDtype, emitBatchBroadcast, emitPatchRows, f32Initializer, linearFrom, toCompute, toFloat32, type VisionDtype, type WeightFetcher } from './vision-graph-parts.js';
import { internVideoBlocksToRun, internVideoGridFrames, internVideoGridSide, type InternVideoShape } from './vision-shapes.js';

export const INTERNVIDEO_INPUT = 'pixel_values';
export const INTERNVIDEO_OUTPUT = 'internvideo_features';

export async function buildInternVideoGraph(shape: InternVideoShape, fetch: WeightFetcher, dtype: VisionDtype, options: Omit<GraphBuilderOptions, 'name'> = {}): Promise<GraphBuilder> {
  const { hiddenSize: C, numHeads, mlpHiddenSize: M, imageSize: S, patchSize: Pz, numFrames: F, tubeletSize: U, numChannels: ch, normEps: eps } = shape;
  const G = internVideoGridSide(shape);
  const Tg = internVideoGridFrames(shape);
  const N = Tg * G * G;
  if (C % numHeads !== 0) throw new RangeError(`InternVideo2 hidden ${C} does not split into ${numHeads} heads`);
  const g = new GraphBuilder({ name: `internvideo2-${dtype}`, ...options });
  const x = g.input(INTERNVIDEO_INPUT, 'float32', ['clips', ch, F, S, S]);
  const rowLen = ch * U * Pz * Pz;
  const rows = toCompute(g, emitPatchRows(g, x, { channels: ch, frames: F, tubelet: U, side: S, patch: Pz, grid: G }, 'patch_embed'), dtype);
  const patches = toFloat32(g, await linearFrom(g, fetch, rows, 'patch_embed.proj', C, rowLen, true, dtype), dtype);
  const cls = emitBatchBroadcast(g, f32Initializer(g, 'cls_token', [1, 1, C], await fetch('cls_token', C)), x, 1, C, 'cls');
  let h = g.op('Concat', [cls, patches], { axis: attr.int(1) });
  h = g.op('Add', [h, f32Initializer(g, 'pos_embed', [1, N + 1, C], await fetch('pos_embed', (N + 1) * C))]);
  for (let b = 0; b < internVideoBlocksToRun(shape); b++) {
    const B = `blocks.${b}.`;
    const n1 = toCompute(g, emitRmsNorm(g, h, `${B}norm1`, await fetch(`${B}norm1.weight`, C), eps, 'float32'), dtype);
    const qkv = await linearFrom(g, fetch, n1, `${B}attn.qkv`, 3 * C, C, false, dtype);
    const [q, k, v] = g.node('Split', [qkv, g.constInt64(`${B}attn.qkv.split`, [C, C, C])], 3, { axis: attr.int(-1) });
    // q/k norms span all heads (weights of the full width), before the head split; fp32 statistics
    const qn = toCompute(g, emitRmsNorm(g, toFloat32(g, q!, dtype), `${B}attn.q_norm`, await fetch(`${B}attn.q_norm.weight`, C), eps, 'float32'), dtype);
    const kn = toCompute(g, emitRmsNorm(g, toFloat32(g, k!, dtype), `${B}attn.k_norm`, await fetch(`${B}attn.k_norm.weight`, C), eps, 'float32'), dtype);
    const att = emitScaledDotProductAttention(g, qn, kn, v!, { numHeads, numKvHeads: numHeads, headDim: C / numHeads, dtype: computeDtype(dtype) });
    const o = toFloat32(g, await linearFrom(g, fetch, att, `${B}attn.proj`, C, C, true, dtype), dtype);
    // layer scale in fp32 (trained gammas can be far below fp16's normal range)
    h = g.op('Add', [h, g.op('Mul', [o, f32Initializer(g, `${B}ls1.gamma`, [C], await fetch(`${B}ls1.gamma`, C))])]);
    const n2 = toCompute(g, emitRmsNorm(g, h, `${B}norm2`, await fetch(`${B}norm2.weight`, C), eps, 'float32'), dtype);
    const f1 = emitGelu(g, await linearFrom(g, fetch, n2, `${B}mlp.fc1`, M, C, true, dtype), 'erf');
    const f2 = toFloat32(g, await linearFrom(g, fetch, f1, `${B}mlp.fc2`, C, M, true, dtype), dtype);
    h = g.op('Add', [h, g.op('Mul', [f2, f32Initializer(g, `${B}ls2.gamma`, [C], await fetch(`${B}ls2.gamma`, C))])]);
  }
  const patchTokens = g.op('Slice', [h, g.constInt64('drop_cls.start', [1]), g.constInt64('drop_cls.end', [N + 1]), g.constInt64('drop_cls.axis', [1])]);
  g.output(g.op('Reshape', [patchTokens, g.constInt64('features_shape', [0, Tg, G, G, C])]), INTERNVIDEO_OUTPUT, 'float32', ['clips', Tg, G, G, C]);
  return g;
}
