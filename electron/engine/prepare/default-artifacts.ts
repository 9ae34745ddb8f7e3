// The artifacts `prepare` builds by default for a precision, in build order: one prepared folder
// holds everything `ask`, `generate` and `embed` open for it.
import { qwen2DecoderArtifact } from '../llm/qwen2-prepare-artifact.js';
import { visionDtypesFor, visionGraphArtifacts } from '../vision/vision-prepare-artifact.js';
import { configFilesArtifact } from './config-files-artifact.js';
import type { PrepareArtifact } from './prepare-artifact.js';
import type { Precision } from './prepare-manifest.js';

export function defaultPrepareArtifacts(precision: Precision): PrepareArtifact[] {
  return [configFilesArtifact, qwen2DecoderArtifact, ...visionGraphArtifacts(visionDtypesFor(precision))];
}
