// The vision graphs as `prepare` artifacts, like the decoder: SigLIP, InternVideo2 and the fusion +
// connector graph, each its own artifact (so a killed run resumes after the last finished tower)
// with its weights in an external-data side file, so no graph is ever held whole in memory. The
// prepared folder's manifest, lock and hashes (prepare/) cover them like every other artifact.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { DeviceChoice } from '../llm/execution-device.js';
import { loadApolloCheckpointConfig } from '../model/apollo-config.js';
import { openCheckpointFolder } from '../model/safetensors-checkpoint.js';
import type { TensorSource } from '../model/safetensors.js';
import { ExternalDataWriter } from '../onnx/external-data-writer.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { PrepareArtifact } from '../prepare/prepare-artifact.js';
import type { Precision, PreparedManifest } from '../prepare/prepare-manifest.js';
import { DEFAULT_CPU_VISION_INT8, INT8_VISION_PARTS } from '../quant/quant-settings.js';
import { buildConnectorGraph } from './connector-graph.js';
import { buildInternVideoGraph } from './internvideo-graph.js';
import { buildSiglipGraph } from './siglip-graph.js';
import type { VisionDtype, WeightFetcher } from './vision-graph-parts.js';
import { visionShapesOf } from './vision-shapes-from-config.js';
import { internVideoGridFrames, internVideoGridSide, type VisionShapes } from './vision-shapes.js';
import { MissingWeightError } from './vision-weights.js';

export type VisionGraphPart = 'siglip' | 'internVideo' | 'connector';
export const VISION_GRAPH_PARTS: readonly VisionGraphPart[] = ['siglip', 'internVideo', 'connector'];
export const VISION_GRAPH_FILES: Record<VisionGraphPart, string> = { siglip: 'siglip.onnx', internVideo: 'internvideo2.onnx', connector: 'connector.onnx' };
/**
 * Bump when a vision graph changes for the same weights. int8 is at 2: its weights became 7-bit
 * (quant/int8-quantize.ts), so int8 graphs prepared before are rebuilt; float graphs are kept.
 */
export const VISION_GRAPH_VERSION = '1';
const INT8_VISION_GRAPH_VERSION = '2';

/**
 * What the clip-embedding cache keys a dtype's embeddings by: the dtype, and for int8 its graph
 * version too, so that embeddings of int8 graphs before version 2 (wrong on AVX2-only CPUs) are
 * never reused; float embeddings keep their keys.
 */
export function visionEmbeddingTag(dtype: VisionDtype): string {
  return dtype === 'int8' ? `int8-v${INT8_VISION_GRAPH_VERSION}` : dtype;
}

export type VisionGraphSources = Record<VisionGraphPart, WeightFetcher>;
/** The .onnx file of each vision graph. */
export type VisionGraphPaths = Record<VisionGraphPart, string>;

/** Manifest key and folder of one graph at one dtype, e.g. 'siglip-float16'. */
export function visionArtifactName(part: VisionGraphPart, dtype: VisionDtype): string {
  return `${VISION_GRAPH_FILES[part].replace(/\.onnx$/, '')}-${dtype}`;
}

/**
 * The graphs a runtime opens: on a CPU int8 (quant-settings' DEFAULT_CPU_VISION_INT8) except for
 * fp32, the exact mode, which stays float32; on a GPU float16 for fp16, float32 otherwise (the
 * int8 kernels are CPU ones). A GPU that runs out of memory falls back to the CPU's choice.
 */
export function visionDtypeFor(precision: Precision, device: DeviceChoice['device']): VisionDtype {
  if (device === 'cpu') return precision !== 'fp32' && DEFAULT_CPU_VISION_INT8 ? 'int8' : 'float32';
  return precision === 'fp16' ? 'float16' : 'float32';
}

/** The dtypes of the vision graphs a prepared folder holds: what a GPU and what the CPU open for it. */
export function visionDtypesFor(precision: Precision): VisionDtype[] {
  return [...new Set([visionDtypeFor(precision, 'cuda'), visionDtypeFor(precision, 'cpu')])];
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

function graphOf(part: VisionGraphPart, shapes: VisionShapes, fetch: WeightFetcher, dtype: VisionDtype, writer: ExternalDataWriter): Promise<GraphBuilder> {
  if (part === 'siglip') return buildSiglipGraph(shapes.siglip, fetch, dtype, { externalData: writer });
  if (part === 'internVideo') return buildInternVideoGraph(shapes.internVideo, fetch, dtype, { externalData: writer });
  return buildConnectorGraph(shapes.connector, fusionInputsOf(shapes), fetch, dtype, { externalData: writer });
}

/** Writes one vision graph (`<file>.onnx` + `<file>.onnx.data`) into `dir`; returns the graph's path. */
export async function writeVisionGraph(dir: string, part: VisionGraphPart, shapes: VisionShapes, fetch: WeightFetcher, dtype: VisionDtype): Promise<string> {
  const file = join(dir, VISION_GRAPH_FILES[part]);
  const writer = new ExternalDataWriter(`${file}.data`);
  try {
    (await graphOf(part, shapes, fetch, dtype, writer)).save(file);
  } catch (error) {
    writer.close();
    if (error instanceof MissingWeightError) throw new ApolloError('TENSOR_NOT_FOUND', `The checkpoint's ${error.message}; it does not match this model, download it again.`, { cause: error });
    throw error;
  }
  return file;
}

const LABELS: Record<VisionGraphPart, string> = { siglip: 'SigLIP', internVideo: 'InternVideo2', connector: 'connector' };

/** The `prepare` artifact of one vision graph at one dtype. */
export function visionGraphArtifact(part: VisionGraphPart, dtype: VisionDtype): PrepareArtifact {
  return {
    name: visionArtifactName(part, dtype),
    version: dtype === 'int8' ? INT8_VISION_GRAPH_VERSION : VISION_GRAPH_VERSION,
    applies: (sourceDir) => existsSync(join(sourceDir, 'vision_tower', 'config.json')),
    async build(ctx) {
      const config = await loadApolloCheckpointConfig(ctx.sourceDir);
      const shapes = visionShapesOf(config);
      const folder = part === 'siglip' ? config.paths.siglip : part === 'internVideo' ? config.paths.internvideo2 : config.paths.connector;
      ctx.progress(0, 1, 'graphs', LABELS[part]);
      const source = await openCheckpointFolder(join(ctx.sourceDir, folder));
      try {
        await writeVisionGraph(ctx.outDir, part, shapes, fetcherFromSource(source, LABELS[part]), dtype);
      } finally {
        await source.close();
      }
      ctx.progress(1, 1, 'graphs', LABELS[part]);
      return { entry: VISION_GRAPH_FILES[part], info: { dtype } };
    },
  };
}

/** Every vision graph at each of `dtypes`, in build order. */
export function visionGraphArtifacts(dtypes: readonly VisionDtype[]): PrepareArtifact[] {
  const names = new Set<string>();
  return dtypes.flatMap((dtype) => VISION_GRAPH_PARTS.map((part) => partDtype(part, dtype))
    .map((d, i) => visionGraphArtifact(VISION_GRAPH_PARTS[i]!, d))
    .filter((a) => !names.has(a.name) && names.add(a.name)));
}

/** The dtype a part's graph has in a variant: the int8 variant keeps the parts quant-settings' INT8_VISION_PARTS leaves out in float32. */
export function partDtype(part: VisionGraphPart, dtype: VisionDtype): VisionDtype {
  return dtype === 'int8' && !INT8_VISION_PARTS[part] ? 'float32' : dtype;
}

/** The graph files of a prepared folder at `dtype`, from its manifest. */
export function visionGraphPaths(prepared: { preparedDir: string; manifest: PreparedManifest }, dtype: VisionDtype): VisionGraphPaths {
  const paths = {} as VisionGraphPaths;
  for (const part of VISION_GRAPH_PARTS) {
    const entry = prepared.manifest.artifacts[visionArtifactName(part, partDtype(part, dtype))]?.entry;
    if (entry === undefined) {
      throw new ApolloError('PREPARED_MODEL_INVALID', `The prepared folder ${prepared.preparedDir} has no ${dtype} ${LABELS[part]} graph; run \`apollo-chat prepare\` on the original checkpoint folder (with --precision ${dtype === 'float16' ? 'fp16' : dtype === 'int8' ? 'int4' : 'fp32'}) to build it.`, {
        details: { preparedDir: prepared.preparedDir, artifact: visionArtifactName(part, partDtype(part, dtype)) },
      });
    }
    paths[part] = join(prepared.preparedDir, entry);
  }
  return paths;
}
