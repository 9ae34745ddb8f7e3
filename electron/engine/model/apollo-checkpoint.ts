// An Apollo checkpoint folder opened as a whole: its configs with derived shapes, and one
// TensorSource per weight folder, checked against the tensor manifest before any graph is built
// so that a wrong or incomplete download fails at once with a sentence naming the tensor.
import { join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import { loadApolloCheckpointConfig, type ApolloCheckpointConfig } from './apollo-config.js';
import { apolloTensorManifest, type ApolloTensorManifest, type TensorSpec } from './apollo-tensor-manifest.js';
import { openCheckpointFolder, type CheckpointTensorSource } from './safetensors-checkpoint.js';

export type ApolloWeightPart = keyof ApolloTensorManifest;

export interface ApolloCheckpoint {
  config: ApolloCheckpointConfig;
  manifest: ApolloTensorManifest;
  weights: Record<ApolloWeightPart, CheckpointTensorSource>;
  close(): Promise<void>;
}

const FLOAT_DTYPES = new Set(['BF16', 'F16', 'F32']);

/** Throws unless every tensor inference reads is present, float, and of the manifest's shape. */
export function checkWeightsAgainstManifest(part: string, source: CheckpointTensorSource, specs: readonly TensorSpec[]): void {
  for (const spec of specs) {
    if (!spec.used) continue;
    if (!source.has(spec.name)) {
      throw new ApolloError('TENSOR_NOT_FOUND', `The ${part} weights in ${source.dir} have no tensor ${spec.name}; the checkpoint does not match its config, download the model again.`, { details: { part, tensor: spec.name } });
    }
    const info = source.info(spec.name);
    if (!FLOAT_DTYPES.has(info.dtype) || info.shape.join() !== spec.shape.join()) {
      throw new ApolloError('CHECKPOINT_INVALID', `The tensor ${spec.name} in ${source.dir} is ${info.dtype} [${info.shape.join(', ')}], but the config needs a float tensor of shape [${spec.shape.join(', ')}]; download the model again.`, {
        details: { part, tensor: spec.name, dtype: info.dtype, shape: info.shape, expected: spec.shape },
      });
    }
  }
}

export async function openApolloCheckpoint(dir: string): Promise<ApolloCheckpoint> {
  const config = await loadApolloCheckpointConfig(dir);
  const manifest = apolloTensorManifest(config.shapes);
  const folders: Record<ApolloWeightPart, string> = { llm: config.paths.llm, siglip: config.paths.siglip, internvideo2: config.paths.internvideo2, connector: config.paths.connector };
  const opened: Partial<Record<ApolloWeightPart, CheckpointTensorSource>> = {};
  try {
    for (const part of Object.keys(folders) as ApolloWeightPart[]) {
      opened[part] = await openCheckpointFolder(join(dir, folders[part]));
      checkWeightsAgainstManifest(part, opened[part], manifest[part]);
    }
  } catch (error) {
    await Promise.all(Object.values(opened).map((s) => s.close()));
    throw error;
  }
  const weights = opened as Record<ApolloWeightPart, CheckpointTensorSource>;
  return {
    config,
    manifest,
    weights,
    close: async () => {
      await Promise.all(Object.values(weights).map((s) => s.close()));
    },
  };
}
