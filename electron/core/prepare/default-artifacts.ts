// The artifacts `prepare` builds by default, in build order. Vision tower and connector graphs
// append here when their builders land.
import { qwen2DecoderArtifact } from '../llm/qwen2-prepare-artifact.js';
import { configFilesArtifact } from './config-files-artifact.js';
import type { PrepareArtifact } from './prepare-artifact.js';

export function defaultPrepareArtifacts(): PrepareArtifact[] {
  return [configFilesArtifact, qwen2DecoderArtifact];
}
