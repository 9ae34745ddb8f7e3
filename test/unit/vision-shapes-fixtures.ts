// Tiny vision shapes and full random checkpoints (every tensor under its spec-section-10 name) for
// the vision tests; the image sizes are the real ones so grids and unused edge pixels are too.
import type { ConnectorShape, InternVideoShape, SiglipShape, VisionShapes } from '../../electron/engine/vision/vision-shapes.js';
import type { TensorSpec } from './vision-oracle.js';

export const tinySiglip: SiglipShape = { hiddenSize: 8, numLayers: 3, numHeads: 2, intermediateSize: 12, imageSize: 384, patchSize: 14, numChannels: 3, layerNormEps: 1e-6, selectLayer: -2 };
export const tinyInternVideo: InternVideoShape = { hiddenSize: 12, depth: 3, numHeads: 3, mlpHiddenSize: 20, imageSize: 224, patchSize: 14, numFrames: 4, tubeletSize: 1, numChannels: 3, normEps: 1e-6, selectLayer: -2 };
export const tinyConnector: ConnectorShape = { visionHiddenSize: 20, textHiddenSize: 16, numLatents: 8, depth: 1, numHeads: 4, headDim: 6, numKvHeads: 2, ffMult: 4, layerNormEps: 1e-5 };

const fan = (n: number): TensorSpec['spread'] => 1 / Math.sqrt(n);

export function siglipSpecs(s: SiglipShape): Record<string, TensorSpec> {
  const C = s.hiddenSize, I = s.intermediateSize, G = Math.floor(s.imageSize / s.patchSize), kIn = s.numChannels * s.patchSize * s.patchSize;
  const P = 'vision_model.';
  const specs: Record<string, TensorSpec> = {
    [`${P}embeddings.patch_embedding.weight`]: { shape: [C, s.numChannels, s.patchSize, s.patchSize], spread: fan(kIn) },
    [`${P}embeddings.patch_embedding.bias`]: { shape: [C], spread: 0.1 },
    [`${P}embeddings.position_embedding.weight`]: { shape: [G * G, C], spread: 0.5 },
    [`${P}post_layernorm.weight`]: { shape: [C] },
    [`${P}post_layernorm.bias`]: { shape: [C] },
  };
  for (let l = 0; l < s.numLayers; l++) {
    const L = `${P}encoder.layers.${l}.`;
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      specs[`${L}self_attn.${p}.weight`] = { shape: [C, C], spread: 2 * fan(C)! };
      specs[`${L}self_attn.${p}.bias`] = { shape: [C], spread: 0.1 };
    }
    for (const n of ['layer_norm1', 'layer_norm2']) {
      specs[`${L}${n}.weight`] = { shape: [C], center: 1, spread: 0.2 };
      specs[`${L}${n}.bias`] = { shape: [C], spread: 0.1 };
    }
    specs[`${L}mlp.fc1.weight`] = { shape: [I, C], spread: 2 * fan(C)! };
    specs[`${L}mlp.fc1.bias`] = { shape: [I], spread: 0.1 };
    specs[`${L}mlp.fc2.weight`] = { shape: [C, I], spread: fan(I) };
    specs[`${L}mlp.fc2.bias`] = { shape: [C], spread: 0.1 };
  }
  return specs;
}

export function internVideoSpecs(s: InternVideoShape): Record<string, TensorSpec> {
  const C = s.hiddenSize, M = s.mlpHiddenSize, G = Math.floor(s.imageSize / s.patchSize), Tg = Math.floor(s.numFrames / s.tubeletSize);
  const kIn = s.numChannels * s.tubeletSize * s.patchSize * s.patchSize;
  const specs: Record<string, TensorSpec> = {
    'patch_embed.proj.weight': { shape: [C, s.numChannels, s.tubeletSize, s.patchSize, s.patchSize], spread: fan(kIn) },
    'patch_embed.proj.bias': { shape: [C], spread: 0.1 },
    cls_token: { shape: [1, 1, C], spread: 0.5 },
    pos_embed: { shape: [1, Tg * G * G + 1, C], spread: 0.5 },
    img_pos_embed: { shape: [1, G * G + 1, C], spread: 0.5 },
  };
  for (let b = 0; b < s.depth; b++) {
    const B = `blocks.${b}.`;
    for (const n of ['norm1', 'norm2', 'attn.q_norm', 'attn.k_norm']) specs[`${B}${n}.weight`] = { shape: [C], center: 1, spread: 0.2 };
    specs[`${B}attn.qkv.weight`] = { shape: [3 * C, C], spread: 2 * fan(C)! };
    specs[`${B}attn.proj.weight`] = { shape: [C, C], spread: fan(C) };
    specs[`${B}attn.proj.bias`] = { shape: [C], spread: 0.1 };
    specs[`${B}ls1.gamma`] = { shape: [C], center: 0.5, spread: 0.3 };
    specs[`${B}ls2.gamma`] = { shape: [C], center: 0.5, spread: 0.3 };
    specs[`${B}mlp.fc1.weight`] = { shape: [M, C], spread: 2 * fan(C)! };
    specs[`${B}mlp.fc1.bias`] = { shape: [M], spread: 0.1 };
    specs[`${B}mlp.fc2.weight`] = { shape: [C, M], spread: fan(M) };
    specs[`${B}mlp.fc2.bias`] = { shape: [C], spread: 0.1 };
  }
  return specs;
}

export function connectorSpecs(s: ConnectorShape): Record<string, TensorSpec> {
  const H = s.textHiddenSize, F = s.ffMult * H, q = s.numHeads * s.headDim, kv = s.numKvHeads * s.headDim;
  const specs: Record<string, TensorSpec> = {
    'proj.0.weight': { shape: [H, s.visionHiddenSize], spread: fan(s.visionHiddenSize) },
    'proj.0.bias': { shape: [H], spread: 0.1 },
    'resampler.latents': { shape: [s.numLatents, H] },
  };
  const norm = (p: string) => {
    specs[`${p}.norm.weight`] = { shape: [H], center: 1, spread: 0.2 };
    specs[`${p}.norm.bias`] = { shape: [H], spread: 0.1 };
    specs[`${p}.wheight`] = { shape: [H], center: 1, spread: 0.3 };
  };
  for (let l = 0; l < s.depth; l++) {
    const L = `resampler.layers.${l}.`;
    for (const n of ['input_latents_norm', 'input_context_norm', 'post_attention_layernorm']) norm(L + n);
    specs[`${L}self_attn.q_proj.weight`] = { shape: [q, H], spread: 2 * fan(H)! };
    specs[`${L}self_attn.k_proj.weight`] = { shape: [kv, H], spread: 2 * fan(H)! };
    specs[`${L}self_attn.v_proj.weight`] = { shape: [kv, H], spread: fan(H) };
    specs[`${L}self_attn.o_proj.weight`] = { shape: [H, q], spread: fan(q) };
    specs[`${L}mlp.gate_proj.weight`] = { shape: [F, H], spread: fan(H) };
    specs[`${L}mlp.up_proj.weight`] = { shape: [F, H], spread: fan(H) };
    specs[`${L}mlp.down_proj.weight`] = { shape: [H, F], spread: fan(F) };
  }
  norm('resampler.norm');
  return specs;
}

export const tinyVisionShapes: VisionShapes = {
  siglip: tinySiglip,
  internVideo: tinyInternVideo,
  connector: tinyConnector,
  fusion: { frames: 4, height: 27, width: 27 },
  encodeBatchSize: 2,
};
