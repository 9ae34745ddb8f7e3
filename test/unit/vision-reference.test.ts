// The naive reference forwards against numpy oracles written independently from the spec
// (float64, vectorised, with Python's own negative indexing for hidden_states).
import { describe, expect, it } from 'vitest';
import { connectorReference, connectorWeightNames } from '../reference/connector-reference.js';
import { internVideoReference, internVideoWeightNames } from '../reference/internvideo-reference.js';
import { siglipReference, siglipWeightNames } from '../reference/siglip-reference.js';
import { internVideoBlocksToRun, siglipLayersToRun } from '../../electron/engine/vision/vision-shapes.js';
import { CONNECTOR_ORACLE, flatWeights, INTERNVIDEO_ORACLE, mulberry32, numpyOracle, randomTensor, randomWeights, relativeError, SIGLIP_ORACLE, type ShapedTensor } from './vision-oracle.js';
import { connectorSpecs, internVideoSpecs, siglipSpecs, tinyConnector, tinyInternVideo, tinySiglip } from './vision-shapes-fixtures.js';

function withInput(weights: Map<string, ShapedTensor>, name: string, input: ShapedTensor): Map<string, ShapedTensor> {
  return new Map([...weights, [name, input]]);
}

describe('SigLIP reference forward', () => {
  it.each([
    { name: 'select −2 at the real 384/14 grid', shape: tinySiglip, n: 2 },
    { name: 'select −1 (all layers, no post-layernorm)', shape: { ...tinySiglip, selectLayer: -1 }, n: 1 },
    { name: 'select 1 on a 4×4 grid with unused edge pixels', shape: { ...tinySiglip, imageSize: 30, patchSize: 7, selectLayer: 1 }, n: 3 },
  ])('matches the numpy oracle: $name', ({ shape, n }) => {
    const weights = randomWeights(siglipSpecs(shape), 11);
    const pixels = { shape: [n, 3, shape.imageSize, shape.imageSize], data: randomTensor([n, 3, shape.imageSize, shape.imageSize], mulberry32(5)) };
    const ours = siglipReference(shape, flatWeights(weights), pixels.data, n);
    const oracle = numpyOracle(SIGLIP_ORACLE, withInput(weights, 'pixels', pixels), { patch: shape.patchSize, layers: shape.numLayers, heads: shape.numHeads, eps: shape.layerNormEps, select: shape.selectLayer });
    expect(relativeError(ours, oracle)).toBeLessThan(1e-5);
  });

  it('reads only the layers up to the selected one', () => {
    expect(siglipLayersToRun({ ...tinySiglip, selectLayer: -2 })).toBe(tinySiglip.numLayers - 1);
    expect(siglipLayersToRun({ ...tinySiglip, selectLayer: -1 })).toBe(tinySiglip.numLayers);
    expect(siglipLayersToRun({ ...tinySiglip, selectLayer: 0 })).toBe(0);
    expect(siglipWeightNames(tinySiglip).some((n) => n.includes(`layers.${tinySiglip.numLayers - 1}.`))).toBe(false);
    expect(() => siglipLayersToRun({ ...tinySiglip, selectLayer: -(tinySiglip.numLayers + 2) })).toThrow(RangeError);
  });
});

describe('InternVideo2 reference forward', () => {
  it.each([
    { name: 'select −2 (depth − 1 blocks)', shape: tinyInternVideo, n: 2 },
    { name: 'select −1 (all blocks)', shape: { ...tinyInternVideo, selectLayer: -1 }, n: 1 },
    { name: 'tubelet 2, select 0, small grid', shape: { ...tinyInternVideo, imageSize: 30, patchSize: 7, tubeletSize: 2, selectLayer: 0 }, n: 2 },
  ])('matches the numpy oracle: $name', ({ shape, n }) => {
    const weights = randomWeights(internVideoSpecs(shape), 21);
    const dims = [n, 3, shape.numFrames, shape.imageSize, shape.imageSize];
    const pixels = { shape: dims, data: randomTensor(dims, mulberry32(6)) };
    const ours = internVideoReference(shape, flatWeights(weights), pixels.data, n);
    const oracle = numpyOracle(INTERNVIDEO_ORACLE, withInput(weights, 'pixels', pixels), { patch: shape.patchSize, tubelet: shape.tubeletSize, depth: shape.depth, heads: shape.numHeads, eps: shape.normEps, select: shape.selectLayer });
    expect(relativeError(ours, oracle)).toBeLessThan(1e-5);
  });

  it('runs depth + idx + 1 blocks for a negative index', () => {
    expect(internVideoBlocksToRun({ ...tinyInternVideo, depth: 40, selectLayer: -2 })).toBe(39);
    expect(internVideoBlocksToRun({ ...tinyInternVideo, depth: 40, selectLayer: -1 })).toBe(40);
    expect(internVideoWeightNames(tinyInternVideo).some((n) => n.startsWith(`blocks.${tinyInternVideo.depth - 1}.`))).toBe(false);
  });
});

describe('connector reference forward', () => {
  it.each([
    { name: 'depth 1, GQA 4/2, real token count', shape: tinyConnector, n: 2, tokens: 4 * 27 * 27 },
    { name: 'depth 2, MHA', shape: { ...tinyConnector, depth: 2, numKvHeads: 4 }, n: 1, tokens: 50 },
  ])('matches the numpy oracle: $name', ({ shape, n, tokens }) => {
    const weights = randomWeights(connectorSpecs(shape), 31);
    const dims = [n, tokens, shape.visionHiddenSize];
    const fused = { shape: dims, data: randomTensor(dims, mulberry32(7)) };
    const ours = connectorReference(shape, flatWeights(weights), fused.data, n, tokens);
    const oracle = numpyOracle(CONNECTOR_ORACLE, withInput(weights, 'fused', fused), { eps: shape.layerNormEps, heads: shape.numHeads, kv_heads: shape.numKvHeads, depth: shape.depth });
    expect(relativeError(ours, oracle)).toBeLessThan(1e-5);
    expect(connectorWeightNames(shape).every((name) => weights.has(name))).toBe(true);
  });
});
