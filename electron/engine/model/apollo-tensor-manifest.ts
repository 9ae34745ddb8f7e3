// The tensors each Apollo weight file holds (spec section 10), with shapes computed from the
// derived config shapes: what the graph builders read, and what `make-tiny-model` writes.
// `used: false` marks tensors the checkpoint stores but inference never reads (heads of the
// training objectives, SigLIP's pooling head, the tied lm_head).
import type { ModelShapes } from './apollo-config.js';

export interface TensorSpec {
  name: string;
  shape: number[];
  used: boolean;
  /** What the values are, so a random checkpoint can give each a sensible scale. */
  init: 'embedding' | 'linear' | 'bias' | 'norm' | 'scale' | 'positional' | 'token' | 'conv';
}

export interface ApolloTensorManifest {
  llm: TensorSpec[];
  siglip: TensorSpec[];
  internvideo2: TensorSpec[];
  connector: TensorSpec[];
}

const spec = (name: string, shape: number[], init: TensorSpec['init'], used = true): TensorSpec => ({ name, shape, used, init });

export function llmTensors(s: ModelShapes['llm']): TensorSpec[] {
  const out = [spec('model.embed_tokens.weight', [s.vocab, s.hidden], 'embedding')];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}`;
    out.push(
      spec(`${p}.input_layernorm.weight`, [s.hidden], 'norm'),
      spec(`${p}.self_attn.q_proj.weight`, [s.qDim, s.hidden], 'linear'),
      spec(`${p}.self_attn.q_proj.bias`, [s.qDim], 'bias'),
      spec(`${p}.self_attn.k_proj.weight`, [s.kvDim, s.hidden], 'linear'),
      spec(`${p}.self_attn.k_proj.bias`, [s.kvDim], 'bias'),
      spec(`${p}.self_attn.v_proj.weight`, [s.kvDim, s.hidden], 'linear'),
      spec(`${p}.self_attn.v_proj.bias`, [s.kvDim], 'bias'),
      spec(`${p}.self_attn.o_proj.weight`, [s.hidden, s.qDim], 'linear'),
      spec(`${p}.post_attention_layernorm.weight`, [s.hidden], 'norm'),
      spec(`${p}.mlp.gate_proj.weight`, [s.intermediate, s.hidden], 'linear'),
      spec(`${p}.mlp.up_proj.weight`, [s.intermediate, s.hidden], 'linear'),
      spec(`${p}.mlp.down_proj.weight`, [s.hidden, s.intermediate], 'linear'),
    );
  }
  out.push(spec('model.norm.weight', [s.hidden], 'norm'));
  // Stored even when tied (spec 11.7); with tie_word_embeddings the graphs use embed_tokens.
  out.push(spec('lm_head.weight', [s.vocab, s.hidden], 'embedding', !s.tied));
  return out;
}

export function siglipTensors(s: ModelShapes['siglip']): TensorSpec[] {
  const h = s.hidden;
  const out = [
    spec('vision_model.embeddings.patch_embedding.weight', [h, s.channels, s.patch, s.patch], 'conv'),
    spec('vision_model.embeddings.patch_embedding.bias', [h], 'bias'),
    spec('vision_model.embeddings.position_embedding.weight', [s.tokensPerFrame, h], 'positional'),
  ];
  for (let i = 0; i < s.layers; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    const used = i < s.layersUsed;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      out.push(spec(`${p}.self_attn.${proj}.weight`, [h, h], 'linear', used), spec(`${p}.self_attn.${proj}.bias`, [h], 'bias', used));
    }
    out.push(
      spec(`${p}.layer_norm1.weight`, [h], 'norm', used),
      spec(`${p}.layer_norm1.bias`, [h], 'bias', used),
      spec(`${p}.mlp.fc1.weight`, [s.intermediate, h], 'linear', used),
      spec(`${p}.mlp.fc1.bias`, [s.intermediate], 'bias', used),
      spec(`${p}.mlp.fc2.weight`, [h, s.intermediate], 'linear', used),
      spec(`${p}.mlp.fc2.bias`, [h], 'bias', used),
      spec(`${p}.layer_norm2.weight`, [h], 'norm', used),
      spec(`${p}.layer_norm2.bias`, [h], 'bias', used),
    );
  }
  // post_layernorm and the attention-pooling head (transformers SiglipMultiheadAttentionPoolingHead).
  out.push(
    spec('vision_model.post_layernorm.weight', [h], 'norm', false),
    spec('vision_model.post_layernorm.bias', [h], 'bias', false),
    spec('vision_model.head.probe', [1, 1, h], 'token', false),
    spec('vision_model.head.attention.in_proj_weight', [3 * h, h], 'linear', false),
    spec('vision_model.head.attention.in_proj_bias', [3 * h], 'bias', false),
    spec('vision_model.head.attention.out_proj.weight', [h, h], 'linear', false),
    spec('vision_model.head.attention.out_proj.bias', [h], 'bias', false),
    spec('vision_model.head.layernorm.weight', [h], 'norm', false),
    spec('vision_model.head.layernorm.bias', [h], 'bias', false),
    spec('vision_model.head.mlp.fc1.weight', [s.intermediate, h], 'linear', false),
    spec('vision_model.head.mlp.fc1.bias', [s.intermediate], 'bias', false),
    spec('vision_model.head.mlp.fc2.weight', [h, s.intermediate], 'linear', false),
    spec('vision_model.head.mlp.fc2.bias', [h], 'bias', false),
  );
  return out;
}

export function internVideo2Tensors(s: ModelShapes['internvideo2']): TensorSpec[] {
  const d = s.width;
  const out = [
    spec('patch_embed.proj.weight', [d, s.channels, s.tubelet, s.patch, s.patch], 'conv'),
    spec('patch_embed.proj.bias', [d], 'bias'),
    spec('cls_token', [1, 1, d], 'token'),
    spec('pos_embed', [1, s.tokensWithCls, d], 'positional'),
    spec('img_pos_embed', [1, s.imageTokensWithCls, d], 'positional', false),
  ];
  for (let i = 0; i < s.depth; i++) {
    const p = `blocks.${i}`;
    const used = i < s.blocksUsed;
    out.push(spec(`${p}.norm1.weight`, [d], 'norm', used), spec(`${p}.attn.qkv.weight`, [3 * d, d], 'linear', used));
    if (s.qkvBias) out.push(spec(`${p}.attn.qkv.bias`, [3 * d], 'bias', used));
    if (s.qkNormalization) out.push(spec(`${p}.attn.q_norm.weight`, [d], 'norm', used), spec(`${p}.attn.k_norm.weight`, [d], 'norm', used));
    out.push(spec(`${p}.attn.proj.weight`, [d, d], 'linear', used), spec(`${p}.attn.proj.bias`, [d], 'bias', used));
    if (s.layerScale) out.push(spec(`${p}.ls1.gamma`, [d], 'scale', used));
    out.push(
      spec(`${p}.norm2.weight`, [d], 'norm', used),
      spec(`${p}.mlp.fc1.weight`, [s.mlpHidden, d], 'linear', used),
      spec(`${p}.mlp.fc1.bias`, [s.mlpHidden], 'bias', used),
      spec(`${p}.mlp.fc2.weight`, [d, s.mlpHidden], 'linear', used),
      spec(`${p}.mlp.fc2.bias`, [d], 'bias', used),
    );
    if (s.layerScale) out.push(spec(`${p}.ls2.gamma`, [d], 'scale', used));
  }
  // Training-only heads of PretrainInternVideo2 (IV2 source): stored, never used here.
  out.push(spec('clip_pos_embed', [1, s.tokensWithCls, d], 'positional', false), spec('clip_img_pos_embed', [1, s.imageTokensWithCls, d], 'positional', false));
  for (const n of ['norm1_q', 'norm1_k', 'norm1_v']) out.push(spec(`clip_projector.${n}.weight`, [d], 'norm', false), spec(`clip_projector.${n}.bias`, [d], 'bias', false));
  for (const n of ['q', 'k', 'v']) out.push(spec(`clip_projector.cross_attn.${n}.weight`, [d, d], 'linear', false), spec(`clip_projector.cross_attn.${n}_bias`, [d], 'bias', false));
  out.push(spec('clip_projector.cross_attn.proj.weight', [s.clipEmbedDim, d], 'linear', false), spec('clip_projector.cross_attn.proj.bias', [s.clipEmbedDim], 'bias', false));
  for (let i = 0; i < s.clipReturnLayers; i++) {
    out.push(
      spec(`clip_decoder.${i}.head.weight`, [s.clipTeacherEmbedDim, d], 'linear', false),
      spec(`clip_decoder.${i}.head.bias`, [s.clipTeacherEmbedDim], 'bias', false),
      spec(`clip_decoder.${i}.norm.weight`, [s.clipTeacherEmbedDim], 'norm', false),
      spec(`clip_decoder.${i}.norm.bias`, [s.clipTeacherEmbedDim], 'bias', false),
    );
  }
  if (s.clipTeacherFinalDim > 0) {
    out.push(
      spec('final_clip_decoder.head.weight', [s.clipTeacherFinalDim, s.clipEmbedDim], 'linear', false),
      spec('final_clip_decoder.head.bias', [s.clipTeacherFinalDim], 'bias', false),
      spec('final_clip_decoder.norm.weight', [s.clipTeacherFinalDim], 'norm', false),
      spec('final_clip_decoder.norm.bias', [s.clipTeacherFinalDim], 'bias', false),
    );
  }
  return out;
}

export function connectorTensors(s: ModelShapes['connector']): TensorSpec[] {
  const h = s.textHidden;
  const out = [spec('proj.0.weight', [h, s.visionHidden], 'linear'), spec('proj.0.bias', [h], 'bias'), spec('resampler.latents', [s.latents, h], 'token')];
  const weightedNorm = (p: string) => [spec(`${p}.norm.weight`, [h], 'norm'), spec(`${p}.norm.bias`, [h], 'bias'), spec(`${p}.wheight`, [h], 'norm')];
  for (let i = 0; i < s.depth; i++) {
    const p = `resampler.layers.${i}`;
    out.push(
      ...weightedNorm(`${p}.input_latents_norm`),
      ...weightedNorm(`${p}.input_context_norm`),
      spec(`${p}.self_attn.q_proj.weight`, [s.qDim, h], 'linear'),
      spec(`${p}.self_attn.k_proj.weight`, [s.kvDim, h], 'linear'),
      spec(`${p}.self_attn.v_proj.weight`, [s.kvDim, h], 'linear'),
      spec(`${p}.self_attn.o_proj.weight`, [h, s.qDim], 'linear'),
      ...weightedNorm(`${p}.post_attention_layernorm`),
      spec(`${p}.mlp.gate_proj.weight`, [s.ffHidden, h], 'linear'),
      spec(`${p}.mlp.up_proj.weight`, [s.ffHidden, h], 'linear'),
      spec(`${p}.mlp.down_proj.weight`, [h, s.ffHidden], 'linear'),
    );
  }
  out.push(...weightedNorm('resampler.norm'));
  return out;
}

export function apolloTensorManifest(shapes: ModelShapes): ApolloTensorManifest {
  return { llm: llmTensors(shapes.llm), siglip: siglipTensors(shapes.siglip), internvideo2: internVideo2Tensors(shapes.internvideo2), connector: connectorTensors(shapes.connector) };
}
