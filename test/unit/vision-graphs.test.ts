// Each vision graph, built from a random tiny checkpoint and run in onnxruntime-node (CPU), against
// the naive reference forwards (themselves checked against numpy in vision-reference.test.ts).
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildConnectorGraph, type FusionInputs } from '../../electron/engine/vision/connector-graph.js';
import { connectorReference } from '../reference/connector-reference.js';
import { buildInternVideoGraph } from '../../electron/engine/vision/internvideo-graph.js';
import { internVideoReference } from '../reference/internvideo-reference.js';
import { buildSiglipGraph } from '../../electron/engine/vision/siglip-graph.js';
import { siglipReference } from '../reference/siglip-reference.js';
import { fuseTowerFeatures } from '../../electron/engine/vision/trilinear-fusion.js';
import { fetcherFromMap } from '../../electron/engine/vision/vision-graph-parts.js';
import type { FloatDType } from '../../electron/engine/onnx/float-encoding.js';
import type { GraphBuilder } from '../../electron/engine/onnx/graph-builder.js';
import { flatWeights, mulberry32, randomTensor, randomWeights, relativeError } from './vision-oracle.js';
import { connectorSpecs, internVideoSpecs, siglipSpecs, tinyConnector, tinyInternVideo, tinySiglip } from './vision-shapes-fixtures.js';

async function run(g: GraphBuilder, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(g.encode(), { intraOpNumThreads: 1 });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])));
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** fp16 graphs are reported, not required: the CPU provider lacks fp16 kernels for some ops. */
const fp16Errors: Record<string, number | string> = {};
async function fp16Error(label: string, build: (dtype: FloatDType) => Promise<GraphBuilder>, feeds: Parameters<typeof run>[1], reference: Float32Array): Promise<void> {
  try {
    fp16Errors[label] = relativeError(await run(await build('float16'), feeds), reference);
  } catch (error) {
    fp16Errors[label] = `not runnable on CPU: ${String((error as Error).message).split('\n')[0]}`;
  }
}

describe('vision graphs vs reference forwards', () => {
  it('SigLIP (frames batched) matches to 1e-4 in fp32', async () => {
    const weights = flatWeights(randomWeights(siglipSpecs(tinySiglip), 41));
    const n = 3;
    const dims = [n, 3, tinySiglip.imageSize, tinySiglip.imageSize];
    const pixels = randomTensor(dims, mulberry32(1));
    const ref = siglipReference(tinySiglip, weights, pixels, n);
    const build = (dtype: FloatDType) => buildSiglipGraph(tinySiglip, fetcherFromMap(weights), dtype);
    const got = await run(await build('float32'), { pixel_values: { data: pixels, dims } });
    expect(relativeError(got, ref)).toBeLessThan(1e-4);
    await fp16Error('siglip', build, { pixel_values: { data: pixels, dims } }, ref);
  });

  it.each([-2, -1])('InternVideo2 with select layer %i matches to 1e-4 in fp32', async (selectLayer) => {
    const shape = { ...tinyInternVideo, selectLayer };
    const weights = flatWeights(randomWeights(internVideoSpecs(shape), 42));
    const n = 2;
    const dims = [n, 3, shape.numFrames, shape.imageSize, shape.imageSize];
    const pixels = randomTensor(dims, mulberry32(2));
    const ref = internVideoReference(shape, weights, pixels, n);
    const build = (dtype: FloatDType) => buildInternVideoGraph(shape, fetcherFromMap(weights), dtype);
    const got = await run(await build('float32'), { pixel_values: { data: pixels, dims } });
    expect(relativeError(got, ref)).toBeLessThan(1e-4);
    if (selectLayer === -2) await fp16Error('internvideo2', build, { pixel_values: { data: pixels, dims } }, ref);
  });

  it('fusion + connector matches to 1e-4 in fp32', async () => {
    const weights = flatWeights(randomWeights(connectorSpecs(tinyConnector), 43));
    const n = 2;
    const fusion: FusionInputs = { grid: { frames: 4, height: 27, width: 27 }, siglipChannels: 8, internVideoGrid: { frames: 4, height: 16, width: 16 }, internVideoChannels: 12 };
    const rand = mulberry32(3);
    const sigDims = [n, 4, 27, 27, 8];
    const ivDims = [n, 4, 16, 16, 12];
    const sig = randomTensor(sigDims, rand);
    const iv = randomTensor(ivDims, rand);
    const fused = fuseTowerFeatures(sig, 8, iv, 12, n, fusion.internVideoGrid, fusion.grid);
    const ref = connectorReference(tinyConnector, weights, fused, n, 4 * 27 * 27);
    const build = (dtype: FloatDType) => buildConnectorGraph(tinyConnector, fusion, fetcherFromMap(weights), dtype);
    const feeds = { siglip_features: { data: sig, dims: sigDims }, internvideo_features: { data: iv, dims: ivDims } };
    const got = await run(await build('float32'), feeds);
    expect(relativeError(got, ref)).toBeLessThan(1e-4);
    await fp16Error('connector', build, feeds, ref);
  });

  it('reports the fp16 error of each graph', () => {
    console.log(`vision fp16 relative error vs fp32 reference: ${JSON.stringify(fp16Errors)}`);
    expect(Object.keys(fp16Errors).length).toBe(3);
    // where the CPU provider runs fp16, the error stays at fp16's level (1e-2 relative at most)
    for (const e of Object.values(fp16Errors)) if (typeof e === 'number') expect(e).toBeLessThan(1e-2);
  });
});
