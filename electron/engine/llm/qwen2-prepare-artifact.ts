// The decoder as a `prepare` artifact: reads llm/ of the original checkpoint and writes the
// decoder graph, its weights, the embedding table and llm-decoder.json into the artifact folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadGenerationConfig } from '../model/apollo-config.js';
import { openCheckpointFolder } from '../model/safetensors-checkpoint.js';
import type { PrepareArtifact } from '../prepare/prepare-artifact.js';
import { buildQwen2Artifacts, DECODER_ARTIFACTS_FILE, DECODER_FORMAT_VERSION } from './qwen2-artifacts.js';
import { loadQwen2Config } from './qwen2-config.js';
import { DEFAULT_INT4_SETTINGS, type Int4Settings } from './qwen2-decoder-graph.js';

export const DECODER_ARTIFACT_NAME = 'decoder';

/** eos ids from llm/generation_config.json (none when the file is absent). */
export async function readEosTokenIds(llmDir: string): Promise<number[]> {
  const eos = (await loadGenerationConfig(llmDir)).eos_token_id;
  return eos === undefined ? [] : Array.isArray(eos) ? eos : [eos];
}

export const qwen2DecoderArtifact: PrepareArtifact = {
  name: DECODER_ARTIFACT_NAME,
  version: String(DECODER_FORMAT_VERSION),
  applies: (sourceDir) => existsSync(join(sourceDir, 'llm', 'config.json')),
  async build(ctx) {
    const llmDir = join(ctx.sourceDir, 'llm');
    const config = await loadQwen2Config(llmDir);
    const source = await openCheckpointFolder(llmDir);
    const int4: Int4Settings = { ...ctx.int4, lmHead: DEFAULT_INT4_SETTINGS.lmHead };
    try {
      const artifacts = await buildQwen2Artifacts(ctx.outDir, config, source, {
        precision: ctx.precision,
        int4,
        quantize: (w, n, k, o) => ctx.quantizer.quantize(w, n, k, o),
        eosTokenIds: await readEosTokenIds(llmDir),
        onProgress: (e) => ctx.progress(e.done, e.total, e.unit),
        signal: ctx.signal,
      });
      return { entry: DECODER_ARTIFACTS_FILE, info: { precision: artifacts.graph.precision, int4: artifacts.graph.int4 ?? null, externalDataBytes: artifacts.graph.externalDataBytes } };
    } finally {
      await source.close();
    }
  },
};
