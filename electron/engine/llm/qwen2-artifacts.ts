// The prepared language-model folder: decoder graph + its weights, the embedding table and a
// small description (llm-decoder.json) from which a session opens without the checkpoint.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import { writeEmbeddingTable, type EmbeddingTableInfo } from './embedding-table.js';
import { qwen2Names, type Qwen2Config } from './qwen2-config.js';
import { activationDtype, buildQwen2Decoder, type BuildDecoderOptions, type DecoderGraphInfo, type Float32WeightSource } from './qwen2-decoder-graph.js';

export const DECODER_ARTIFACTS_FILE = 'llm-decoder.json';
export const EMBEDDING_FILE = 'embed_tokens.bin';
/** Bumped whenever the graph or the files change meaning, so stale prepared folders are rebuilt. */
export const DECODER_FORMAT_VERSION = 3; // 2: gate and up packed into one matmul; 3: segments cut at attention (the cache read in place)

export interface DecoderArtifacts {
  format: number;
  config: Qwen2Config;
  graph: DecoderGraphInfo;
  embeddings: EmbeddingTableInfo;
  /** Generation stops on these ids (llm/generation_config.json eos_token_id). */
  eosTokenIds: number[];
}

const floatDtype = z.enum(['float32', 'float16']);
const artifactsSchema = z.object({
  format: z.literal(DECODER_FORMAT_VERSION),
  config: z.object({
    hiddenSize: z.number().int().positive(),
    numLayers: z.number().int().positive(),
    numHeads: z.number().int().positive(),
    numKvHeads: z.number().int().positive(),
    headDim: z.number().int().positive(),
    intermediateSize: z.number().int().positive(),
    vocabSize: z.number().int().positive(),
    rmsNormEps: z.number().positive(),
    ropeTheta: z.number().positive(),
    maxPositionEmbeddings: z.number().int().positive(),
    tieWordEmbeddings: z.boolean(),
  }),
  graph: z.object({
    segmentFiles: z.array(z.string().regex(/^decoder\.seg\d{3}\.onnx$/)).min(2),
    dataFile: z.literal('decoder.onnx.data'),
    precision: z.enum(['fp32', 'fp16', 'int4']),
    activationDtype: floatDtype,
    int4: z
      .object({ blockSize: z.union([z.literal(16), z.literal(32), z.literal(64), z.literal(128), z.literal(256)]), accuracyLevel: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]), symmetric: z.boolean(), lmHead: z.enum(['int4', 'float']) })
      .optional(),
    maxPositions: z.number().int().positive(),
    externalDataBytes: z.number().int().nonnegative(),
  }),
  embeddings: z.object({ file: z.string(), rows: z.number().int().positive(), cols: z.number().int().positive(), dtype: floatDtype }),
  eosTokenIds: z.array(z.number().int().nonnegative()),
});

/**
 * Builds the decoder graph and the embedding table into `dir` and writes llm-decoder.json last,
 * so a folder with that file is complete. The table is float16 unless the graph is fp32 (parity).
 */
export async function buildQwen2Artifacts(
  dir: string,
  config: Qwen2Config,
  weights: Float32WeightSource,
  options: BuildDecoderOptions & { eosTokenIds?: number[] },
): Promise<DecoderArtifacts> {
  const graph = await buildQwen2Decoder(dir, config, weights, options);
  const tableDtype = options.precision === 'fp32' ? 'float32' : activationDtype('fp16');
  writeEmbeddingTable(join(dir, EMBEDDING_FILE), await weights.readFloat32(qwen2Names.embedTokens), tableDtype);
  const artifacts: DecoderArtifacts = {
    format: DECODER_FORMAT_VERSION,
    config,
    graph,
    embeddings: { file: EMBEDDING_FILE, rows: config.vocabSize, cols: config.hiddenSize, dtype: tableDtype },
    eosTokenIds: options.eosTokenIds ?? [],
  };
  await writeFile(join(dir, DECODER_ARTIFACTS_FILE), JSON.stringify(artifacts, null, 2) + '\n');
  return artifacts;
}

export async function readDecoderArtifacts(dir: string): Promise<DecoderArtifacts> {
  const path = join(dir, DECODER_ARTIFACTS_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ApolloError('PREPARED_MODEL_INVALID', `${path} is missing or unreadable; run \`apollo-chat prepare MODEL_DIR\` again to rebuild it.`, { cause: error });
  }
  const parsed = artifactsSchema.safeParse(json);
  if (!parsed.success) throw new ApolloError('PREPARED_MODEL_INVALID', `${path} is from another version or damaged; run \`apollo-chat prepare MODEL_DIR\` again to rebuild it.`);
  const a = parsed.data;
  return { ...a, graph: { ...a.graph, int4: a.graph.int4 } };
}
