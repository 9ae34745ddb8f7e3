// One thing `prepare` builds from a checkpoint (a graph with its weights, a config copy, ...).
// The list is open: the LLM decoder, the vision towers and the connector each add an artifact
// with its own version, and bumping a version rebuilds prepared folders made by the old one.
import type { Int4Quantizer } from '../quant/int4-quantize.js';
import type { Int4Settings } from '../quant/quant-settings.js';
import type { Precision } from './prepare-manifest.js';

export interface ArtifactBuildContext {
  /** The original checkpoint folder (read only). */
  sourceDir: string;
  /** This artifact's own empty folder inside the folder being prepared. */
  outDir: string;
  precision: Precision;
  int4: Int4Settings;
  quantizer: Int4Quantizer;
  /** Progress within this artifact (its stage is `prepare:<name>`). */
  progress(done: number, total: number, unit?: string, detail?: string): void;
  signal: AbortSignal;
}

export interface ArtifactBuildResult {
  /** The main file, relative to the artifact folder (e.g. 'model.onnx'). */
  entry?: string;
  info?: Record<string, unknown>;
}

export interface PrepareArtifact {
  /** Folder name and manifest key, e.g. 'decoder'. */
  name: string;
  /** Bump when the artifact's output changes for the same input. */
  version: string;
  /** Whether this checkpoint has what the artifact needs (default: always). */
  applies?(sourceDir: string): boolean;
  build(ctx: ArtifactBuildContext): Promise<ArtifactBuildResult>;
}
