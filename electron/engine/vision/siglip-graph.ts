// The SigLIP tower as an ONNX graph over the shared emitters: frames of clips batched, up to
// mm_vision_select_layer (HF hidden_states semantics), no post-layernorm, all grid² tokens.
// Input pixel_values [frames, ch, S, S] fp32 → siglip_features [frames, G, G, C] fp32; in fp16 the
// residual stream and norms stay fp32 and the matrix products run in fp16.
import { emitScaledDotProductAttention } from '../onnx/emit-attention.js';
import { emitGelu } from '../onnx/emit-mlp.js';
import { emitLayerNorm } from '../onnx/emit-norm.js';
import { GraphBuilder, type GraphBuilderOptions } from '../onnx/graph-builder.js';
import { computeDtype, emitPatchRows, f32Initializer, fusedLinears, linearFrom, toCompute, toFloat32, type VisionDtype, type WeightFetcher } from './vision-graph-parts.js';
import { siglipGridSide, siglipLayersToRun, type SiglipShape } from './vision-shapes.js';

export const SIGLIP_INPUT = 'pixel_values';
export const SIGLIP_OUTPUT = 'siglip_features';

const P = 'vision_model.';

export async function buildSiglipGraph(shape: SiglipShape, fetch: WeightFetcher, dtype: VisionDtype, options: Omit<GraphBuilderOptions, 'name'> = {}): Promise<GraphBuilder> {
  const { hiddenSize: C, numHeads, intermediateSize: I, imageSize: S, patchSize: Pz, numChannels: ch, layerNormEps: eps } = shape;
  const G = siglipGridSide(shape);
  const T = G * G;
  if (C % numHeads !== 0) throw new RangeError(`SigLIP hidden ${C} does not split into ${numHeads} heads`);
  const g = new GraphBuilder({ name: `siglip-${dtype}`, ...options });
  const x = g.input(SIGLIP_INPUT, 'float32', ['frames', ch, S, S]);
  const rows = toCompute(g, emitPatchRows(g, x, { channels: ch, side: S, patch: Pz, grid: G }, 'patch_embedding'), dtype);
  const emb = await linearFrom(g, fetch, rows, `${P}embeddings.patch_embedding`, C, ch * Pz * Pz, true, dtype);
  let h = g.op('Add', [toFloat32(g, emb, dtype), f32Initializer(g, `${P}embeddings.position_embedding.weight`, [T, C], await fetch(`${P}embeddings.position_embedding.weight`, T * C))]);
  for (let l = 0; l < siglipLayersToRun(shape); l++) {
    const L = `${P}encoder.layers.${l}.`;
    const n1 = emitLayerNorm(g, h, `${L}layer_norm1`, await fetch(`${L}layer_norm1.weight`, C), await fetch(`${L}layer_norm1.bias`, C), eps, 'float32');
    const [q, k, v] = await fusedLinears(
      g,
      fetch,
      toCompute(g, n1, dtype),
      `${L}self_attn.qkv_proj`,
      ['q_proj', 'k_proj', 'v_proj'].map((p) => ({ weight: `${L}self_attn.${p}.weight`, bias: `${L}self_attn.${p}.bias`, outF: C })),
      C,
      dtype,
    );
    const att = emitScaledDotProductAttention(g, q!, k!, v!, { numHeads, numKvHeads: numHeads, headDim: C / numHeads, dtype: computeDtype(dtype) });
    h = g.op('Add', [h, toFloat32(g, await linearFrom(g, fetch, att, `${L}self_attn.out_proj`, C, C, true, dtype), dtype)]);
    const n2 = emitLayerNorm(g, h, `${L}layer_norm2`, await fetch(`${L}layer_norm2.weight`, C), await fetch(`${L}layer_norm2.bias`, C), eps, 'float32');
    const f1 = emitGelu(g, await linearFrom(g, fetch, toCompute(g, n2, dtype), `${L}mlp.fc1`, I, C, true, dtype), 'tanh');
    h = g.op('Add', [h, toFloat32(g, await linearFrom(g, fetch, f1, `${L}mlp.fc2`, C, I, true, dtype), dtype)]);
  }
  g.output(g.op('Reshape', [h, g.constInt64('features_shape', [0, G, G, C])]), SIGLIP_OUTPUT, 'float32', ['frames', G, G, C]);
  return g;
}
