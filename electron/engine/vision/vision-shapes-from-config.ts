// The vision sizes of a checkpoint, taken from the model-files reader's derived shapes
// (electron/engine/model/apollo-config.ts), so configs are parsed and cross-checked in one place.
import { ApolloError } from '../../shared/errors.js';
import type { ApolloCheckpointConfig, ModelShapes } from '../model/apollo-config.js';
import type { VisionShapes } from './vision-shapes.js';

/** The 3B config's encode_batch_size, for configs that omit it (it only bounds memory, spec 2). */
export const DEFAULT_ENCODE_BATCH_SIZE = 25;

/** Pure: VisionShapes from the derived model shapes. */
export function visionShapesFromModelShapes(m: ModelShapes, encodeBatchSize: number | undefined): VisionShapes {
  if (m.towerOrder[0] !== 'siglip' || m.towerOrder[1] !== 'internvideo2') {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `The model's vision_tower/config.json lists the towers as ${m.towerOrder.join(', ')}; Apollo Desktop supports SigLIP then InternVideo2 only (the fused channel order depends on it).`);
  }
  if (m.selectFeature !== 'patch') {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `The model's config.json selects vision feature "${m.selectFeature}"; only "patch" works with InternVideo2's grid (spec 11.2).`);
  }
  const s = m.siglip;
  const v = m.internvideo2;
  const c = m.connector;
  return {
    siglip: { hiddenSize: s.hidden, numLayers: s.layers, numHeads: s.heads, intermediateSize: s.intermediate, imageSize: s.image, patchSize: s.patch, numChannels: s.channels, layerNormEps: s.layerNormEps, selectLayer: m.selectLayer },
    internVideo: { hiddenSize: v.width, depth: v.depth, numHeads: v.heads, mlpHiddenSize: v.mlpHidden, imageSize: v.image, patchSize: v.patch, numFrames: v.frames, tubeletSize: v.tubelet, numChannels: v.channels, normEps: v.normEps, selectLayer: m.selectLayer },
    connector: { visionHiddenSize: c.visionHidden, textHiddenSize: c.textHidden, numLatents: c.latents, depth: c.depth, numHeads: c.heads, headDim: c.headDim, numKvHeads: c.kvHeads, ffMult: c.ffHidden / c.textHidden, layerNormEps: c.layerNormEps },
    fusion: { frames: m.fusedGrid[0], height: m.fusedGrid[1], width: m.fusedGrid[2] },
    encodeBatchSize: encodeBatchSize ?? DEFAULT_ENCODE_BATCH_SIZE,
  };
}

export function visionShapesOf(config: ApolloCheckpointConfig): VisionShapes {
  return visionShapesFromModelShapes(config.shapes, config.root.encode_batch_size);
}
