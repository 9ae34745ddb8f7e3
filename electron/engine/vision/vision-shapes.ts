// The sizes the vision towers, the fusion and the connector are built from. Every field comes from
// a checkpoint config (see vision-shapes-from-config.ts); nothing here is a hard-coded model size.

/** SigLIP vision tower (HF SiglipVisionModel), run per frame. */
export interface SiglipShape {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  imageSize: number;
  patchSize: number;
  numChannels: number;
  layerNormEps: number;
  /** HF `hidden_states` index: 0 = embeddings, i = output of layer i, negative counts from the end. */
  selectLayer: number;
}

/** InternVideo2 tower (PretrainInternVideo2), run per clip. */
export interface InternVideoShape {
  hiddenSize: number;
  depth: number;
  numHeads: number;
  mlpHiddenSize: number;
  imageSize: number;
  patchSize: number;
  numFrames: number;
  tubeletSize: number;
  numChannels: number;
  /** RMSNorm eps of norm1/norm2 and of the q/k norms. */
  normEps: number;
  /** x_vis_return_idx: the loop stops after block index depth + idx (negative) or idx (non-negative). */
  selectLayer: number;
}

/** Connector: proj Linear then an Idefics2-style Perceiver resampler. */
export interface ConnectorShape {
  visionHiddenSize: number;
  textHiddenSize: number;
  numLatents: number;
  depth: number;
  numHeads: number;
  headDim: number;
  numKvHeads: number;
  ffMult: number;
  /** eps of the LayerNorm inside WeightedNorm (nn.LayerNorm default, not the config's rms_norm_eps). */
  layerNormEps: number;
}

/** The token grid both towers are fused on: (T, H, W) from vision_tower/config.json token_output_shape. */
export interface FusionShape {
  frames: number;
  height: number;
  width: number;
}

export interface VisionShapes {
  siglip: SiglipShape;
  internVideo: InternVideoShape;
  connector: ConnectorShape;
  fusion: FusionShape;
  /** Clips per encoder run (config encode_batch_size). */
  encodeBatchSize: number;
}

export function siglipGridSide(s: SiglipShape): number {
  return Math.floor(s.imageSize / s.patchSize);
}

export function internVideoGridSide(s: InternVideoShape): number {
  return Math.floor(s.imageSize / s.patchSize);
}

export function internVideoGridFrames(s: InternVideoShape): number {
  return Math.floor(s.numFrames / s.tubeletSize);
}

/** How many SigLIP encoder layers run for `selectLayer` (HF hidden_states has numLayers + 1 entries). */
export function siglipLayersToRun(s: SiglipShape): number {
  const n = s.selectLayer < 0 ? s.numLayers + 1 + s.selectLayer : s.selectLayer;
  if (!Number.isInteger(n) || n < 0 || n > s.numLayers) throw new RangeError(`mm_vision_select_layer ${s.selectLayer} is outside SigLIP's ${s.numLayers} layers`);
  return n;
}

/** How many InternVideo2 blocks run: the loop breaks after block index depth + idx (or idx). */
export function internVideoBlocksToRun(s: InternVideoShape): number {
  const last = s.selectLayer < 0 ? s.depth + s.selectLayer : s.selectLayer;
  if (!Number.isInteger(last) || last < 0 || last >= s.depth) throw new RangeError(`mm_vision_select_layer ${s.selectLayer} is outside InternVideo2's ${s.depth} blocks`);
  return last + 1;
}
