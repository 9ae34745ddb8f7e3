// Vision shapes from a checkpoint's configs (through the model-files reader): the real 3B numbers
// of the spec, the select-layer readings, and refusals of layouts the graphs do not implement.
import { describe, expect, it } from 'vitest';
import { TINY_APOLLO_SIZES, tinyApolloConfigFiles, tinyModelShapes } from '../../electron/engine/model/tiny-checkpoint.js';
import { DEFAULT_ENCODE_BATCH_SIZE, visionShapesFromModelShapes } from '../../electron/engine/vision/vision-shapes-from-config.js';
import { internVideoBlocksToRun, siglipGridSide, siglipLayersToRun } from '../../electron/engine/vision/vision-shapes.js';

const real3b = tinyApolloConfigFiles({
  ...TINY_APOLLO_SIZES,
  llmHidden: 2048,
  llmLayers: 36,
  llmHeads: 16,
  llmKvHeads: 2,
  llmIntermediate: 11008,
  siglipHidden: 1152,
  siglipHeads: 16,
  siglipIntermediate: 4304,
  siglipLayers: 27,
  ivWidth: 1408,
  ivHeads: 16,
  ivDepth: 40,
  connectorHeads: 16,
  connectorHeadDim: 96,
  connectorKvHeads: 4,
});

describe('vision shapes from configs', () => {
  it('gives the spec numbers for Apollo-3B-t32 (select layer −2)', () => {
    const m = tinyModelShapes(real3b);
    const v = visionShapesFromModelShapes(m, (real3b['config.json'] as { encode_batch_size?: number }).encode_batch_size);
    expect(v.siglip).toMatchObject({ hiddenSize: 1152, numLayers: 27, numHeads: 16, intermediateSize: 4304, imageSize: 384, patchSize: 14 });
    expect(siglipGridSide(v.siglip)).toBe(27);
    expect(siglipLayersToRun(v.siglip)).toBe(m.selectLayer === -2 ? 26 : 27);
    expect(v.internVideo).toMatchObject({ hiddenSize: 1408, depth: 40, numHeads: 16, mlpHiddenSize: 6144, imageSize: 224, patchSize: 14, numFrames: 4, tubeletSize: 1, normEps: 1e-6 });
    expect(internVideoBlocksToRun(v.internVideo)).toBe(m.selectLayer === -2 ? 39 : 40);
    expect(v.connector).toEqual({ visionHiddenSize: 2560, textHiddenSize: 2048, numLatents: 128, depth: 1, numHeads: 16, headDim: 96, numKvHeads: 4, ffMult: 4, layerNormEps: 1e-5 });
    expect(v.fusion).toEqual({ frames: 4, height: 27, width: 27 });
    expect(v.encodeBatchSize).toBeGreaterThan(0);
  });

  it.each([-1, -2])('agrees with the model reader on layers run for select layer %i', (selectLayer) => {
    const files = tinyApolloConfigFiles();
    (files['config.json'] as { mm_vision_select_layer: number }).mm_vision_select_layer = selectLayer;
    const m = tinyModelShapes(files);
    const v = visionShapesFromModelShapes(m, undefined);
    expect(siglipLayersToRun(v.siglip)).toBe(m.siglip.layersUsed);
    expect(internVideoBlocksToRun(v.internVideo)).toBe(m.internvideo2.blocksUsed);
    expect(v.encodeBatchSize).toBe(DEFAULT_ENCODE_BATCH_SIZE);
  });

  it('refuses InternVideo2 before SigLIP and a cls_patch feature', () => {
    const m = tinyModelShapes();
    expect(() => visionShapesFromModelShapes({ ...m, towerOrder: ['internvideo2', 'siglip'] }, 25)).toThrow(expect.objectContaining({ code: 'CHECKPOINT_CONFIG_INVALID' }));
    expect(() => visionShapesFromModelShapes({ ...m, selectFeature: 'cls_patch' }, 25)).toThrow(expect.objectContaining({ code: 'CHECKPOINT_CONFIG_INVALID' }));
  });
});
