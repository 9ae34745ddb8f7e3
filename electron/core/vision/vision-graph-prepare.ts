// Builds the three vision graphs of a checkpoint (SigLIP, InternVideo2, fusion + connector) into a
// folder, weights in external-data side files so that no graph is ever held whole in memory. A
// manifest written last (aside, then renamed) marks the folder complete for this model and dtype.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import type { TensorSource } from '../model/safetensors.js';
import { ExternalDataWriter } from '../onnx/external-data-writer.js';
import type { FloatDType } from '../onnx/float-encoding.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { buildConnectorGraph } from './connector-graph.js';
import { buildInternVideoGraph } from './internvideo-graph.js';
import { buildSiglipGraph } from './siglip-graph.js';
import { MissingWeightError } from './vision-weights.js';
import type { WeightFetcher } from './vision-graph-parts.js';
import { internVideoGridFrames, internVideoGridSide, type VisionShapes } from './vision-shapes.js';

export const VISION_GRAPH_FILES = { siglip: 'siglip.onnx', internVideo: 'internvideo2.onnx', connector: 'connector.onnx' } as const;
const MANIFEST = 'vision-graphs.json';
const MANIFEST_VERSION = 1;

export interface VisionGraphSources {
  siglip: WeightFetcher;
  internVideo: WeightFetcher;
  connector: WeightFetcher;
}

/** A fetcher over a safetensors source: float32 widened, element count checked. */
export function fetcherFromSource(source: TensorSource, label: string): WeightFetcher {
  return async (name, length) => {
    if (!source.has(name)) throw new ApolloError('TENSOR_NOT_FOUND', `The ${label} weights have no tensor ${name}; the checkpoint does not match this model, download it again.`, { details: { tensor: name } });
    const w = await source.readFloat32(name);
    if (w.length !== length) throw new ApolloError('CHECKPOINT_INVALID', `The ${label} tensor ${name} holds ${w.length} values where the config implies ${length}; download the model again.`, { details: { tensor: name } });
    return w;
  };
}

export function fusionInputsOf(shapes: VisionShapes) {
  const g = internVideoGridSide(shapes.internVideo);
  return {
    grid: shapes.fusion,
    siglipChannels: shapes.siglip.hiddenSize,
    internVideoGrid: { frames: internVideoGridFrames(shapes.internVideo), height: g, width: g },
    internVideoChannels: shapes.internVideo.hiddenSize,
  };
}

async function saveGraph(dir: string, file: string, build: (writer: ExternalDataWriter) => Promise<GraphBuilder>): Promise<void> {
  const writer = new ExternalDataWriter(join(dir, `${file}.data`));
  try {
    (await build(writer)).save(join(dir, file));
  } catch (error) {
    writer.close();
    if (error instanceof MissingWeightError) throw new ApolloError('TENSOR_NOT_FOUND', `The checkpoint's ${error.message}; it does not match this model, download it again.`, { cause: error });
    throw error;
  }
}

interface Manifest {
  version: number;
  modelId: string;
  dtype: FloatDType;
  shapes: VisionShapes;
}

/** The folder's graphs when its manifest matches (model, dtype, shapes); undefined otherwise. */
export async function preparedVisionGraphs(dir: string, modelId: string, dtype: FloatDType, shapes: VisionShapes): Promise<string | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
    if (m.version === MANIFEST_VERSION && m.modelId === modelId && m.dtype === dtype && JSON.stringify(m.shapes) === JSON.stringify(shapes)) return dir;
  } catch {
    // absent or unreadable: (re)build
  }
  return undefined;
}

/**
 * Builds the graphs into `dir` unless a matching set is there already. The build happens in a
 * private sibling folder renamed into place at the end, so two processes preparing at once never
 * mix their files (the loser discards its copy and uses the winner's). `signal` is checked between
 * graphs (each takes seconds to minutes at real sizes); progress is stage 'prepare:vision' in graphs.
 */
export async function prepareVisionGraphs(
  dir: string,
  modelId: string,
  shapes: VisionShapes,
  sources: VisionGraphSources,
  dtype: FloatDType,
  signal?: AbortSignal,
  onProgress?: ProgressListener,
): Promise<string> {
  if ((await preparedVisionGraphs(dir, modelId, dtype, shapes)) !== undefined) return dir;
  const work = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(work, { recursive: true });
  const report = (done: number) => onProgress?.({ stage: 'prepare:vision', done, total: 3, unit: 'graphs' });
  const check = () => {
    if (signal?.aborted) throw new ApolloError('CANCELLED');
  };
  try {
    report(0);
    check();
    await saveGraph(work, VISION_GRAPH_FILES.siglip, (w) => buildSiglipGraph(shapes.siglip, sources.siglip, dtype, { externalData: w }));
    report(1);
    check();
    await saveGraph(work, VISION_GRAPH_FILES.internVideo, (w) => buildInternVideoGraph(shapes.internVideo, sources.internVideo, dtype, { externalData: w }));
    report(2);
    check();
    await saveGraph(work, VISION_GRAPH_FILES.connector, (w) => buildConnectorGraph(shapes.connector, fusionInputsOf(shapes), sources.connector, dtype, { externalData: w }));
    const manifest: Manifest = { version: MANIFEST_VERSION, modelId, dtype, shapes };
    await writeFile(join(work, MANIFEST), JSON.stringify(manifest, null, 2));
    // a stale folder (other model version, half-deleted) is replaced; a matching one wins
    if ((await preparedVisionGraphs(dir, modelId, dtype, shapes)) === undefined) {
      await rm(dir, { recursive: true, force: true });
      try {
        await rename(work, dir);
      } catch (error) {
        if ((await preparedVisionGraphs(dir, modelId, dtype, shapes)) === undefined) throw error;
      }
    }
    report(3);
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
