// The three vision graphs written straight from in-memory weights (no checkpoint, no prepare), for
// tests that need real sessions over random weights.
import type { FloatDType } from '../../electron/engine/onnx/float-encoding.js';
import { VISION_GRAPH_PARTS, writeVisionGraph, type VisionGraphPaths, type VisionGraphSources } from '../../electron/engine/vision/vision-prepare-artifact.js';
import type { VisionShapes } from '../../electron/engine/vision/vision-shapes.js';

export async function writeVisionGraphs(dir: string, shapes: VisionShapes, sources: VisionGraphSources, dtype: FloatDType): Promise<VisionGraphPaths> {
  const paths = {} as VisionGraphPaths;
  for (const part of VISION_GRAPH_PARTS) paths[part] = await writeVisionGraph(dir, part, shapes, sources[part], dtype);
  return paths;
}
