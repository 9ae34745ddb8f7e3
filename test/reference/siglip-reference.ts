// Naive fp32 SigLIP vision tower (HF SiglipVisionModel) up to mm_vision_select_layer, written from
// spec section 5: patch conv + position table, pre-LN layers with MHA and tanh-GELU MLP, no
// post-layernorm, all grid² tokens kept. The yardstick for the SigLIP graph.
import { addInPlace, attention, geluTanhInPlace, layerNorm, linear } from './naive-ops.js';
import { imagePatchRows, weightOf, type Float32Weights } from '../../electron/engine/vision/vision-weights.js';
import { siglipGridSide, siglipLayersToRun, type SiglipShape } from '../../electron/engine/vision/vision-shapes.js';

const P = 'vision_model.';

/** Names of the SigLIP tensors this forward reads for `shape` (the layers past the selected one are not). */
export function siglipWeightNames(shape: SiglipShape): string[] {
  const names = [`${P}embeddings.patch_embedding.weight`, `${P}embeddings.patch_embedding.bias`, `${P}embeddings.position_embedding.weight`];
  for (let l = 0; l < siglipLayersToRun(shape); l++) {
    const L = `${P}encoder.layers.${l}.`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) names.push(`${L}self_attn.${proj}.weight`, `${L}self_attn.${proj}.bias`);
    names.push(`${L}layer_norm1.weight`, `${L}layer_norm1.bias`, `${L}layer_norm2.weight`, `${L}layer_norm2.bias`);
    names.push(`${L}mlp.fc1.weight`, `${L}mlp.fc1.bias`, `${L}mlp.fc2.weight`, `${L}mlp.fc2.bias`);
  }
  return names;
}

/** One image (3, side, side) → (grid², hidden): hidden_states[selectLayer]. */
export function siglipReferenceImage(shape: SiglipShape, weights: Float32Weights, image: Float32Array): Float32Array {
  const { hiddenSize: C, numHeads, intermediateSize: I, imageSize: S, patchSize: Pz, numChannels: ch, layerNormEps: eps } = shape;
  const G = siglipGridSide(shape);
  const T = G * G;
  if (C % numHeads !== 0) throw new RangeError(`SigLIP hidden ${C} does not split into ${numHeads} heads`);
  const d = C / numHeads;
  const rows = imagePatchRows(image, 1, ch, S, Pz, G);
  const x = linear(rows, T, ch * Pz * Pz, weightOf(weights, `${P}embeddings.patch_embedding.weight`, C * ch * Pz * Pz), weightOf(weights, `${P}embeddings.patch_embedding.bias`, C), C);
  addInPlace(x, weightOf(weights, `${P}embeddings.position_embedding.weight`, T * C));
  for (let l = 0; l < siglipLayersToRun(shape); l++) {
    const L = `${P}encoder.layers.${l}.`;
    const w = (n: string, len: number) => weightOf(weights, L + n, len);
    const h = layerNorm(x, T, C, w('layer_norm1.weight', C), w('layer_norm1.bias', C), eps);
    const q = linear(h, T, C, w('self_attn.q_proj.weight', C * C), w('self_attn.q_proj.bias', C), C);
    const k = linear(h, T, C, w('self_attn.k_proj.weight', C * C), w('self_attn.k_proj.bias', C), C);
    const v = linear(h, T, C, w('self_attn.v_proj.weight', C * C), w('self_attn.v_proj.bias', C), C);
    const a = attention(q, T, k, v, T, numHeads, numHeads, d);
    addInPlace(x, linear(a, T, C, w('self_attn.out_proj.weight', C * C), w('self_attn.out_proj.bias', C), C));
    const h2 = layerNorm(x, T, C, w('layer_norm2.weight', C), w('layer_norm2.bias', C), eps);
    const m = geluTanhInPlace(linear(h2, T, C, w('mlp.fc1.weight', I * C), w('mlp.fc1.bias', I), I));
    addInPlace(x, linear(m, T, I, w('mlp.fc2.weight', C * I), w('mlp.fc2.bias', C), C));
  }
  return x;
}

/** Images (n, 3, side, side) → (n, grid, grid, hidden), each image independently. */
export function siglipReference(shape: SiglipShape, weights: Float32Weights, images: Float32Array, n: number): Float32Array {
  const G = siglipGridSide(shape);
  const inLen = shape.numChannels * shape.imageSize * shape.imageSize;
  const outLen = G * G * shape.hiddenSize;
  if (images.length !== n * inLen) throw new RangeError(`SigLIP input holds ${images.length} values, expected ${n}×${inLen}`);
  const out = new Float32Array(n * outLen);
  for (let i = 0; i < n; i++) out.set(siglipReferenceImage(shape, weights, images.subarray(i * inLen, (i + 1) * inLen)), i * outLen);
  return out;
}
