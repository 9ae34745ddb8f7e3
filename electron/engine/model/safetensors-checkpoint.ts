// A checkpoint folder's weights as one TensorSource: a single `model.safetensors`, or the shards
// listed by `model.safetensors.index.json` (the Hugging Face sharded layout). The index and the
// shards must agree exactly: every listed tensor is in its shard, every shard tensor is listed.
import { readConfigFileText } from './apollo-config.js';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import { openSafetensors, type SafetensorsFile, type TensorSource } from './safetensors.js';
import type { TensorInfo } from './safetensors-header.js';
import { pathExists } from '../../common/platform/path-exists.js';

export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';

const shardNameSchema = z
  .string()
  .min(1)
  .refine((s) => !/[\\/]/.test(s) && s !== '.' && s !== '..', 'a shard must be a file name inside the folder');

export const safetensorsIndexSchema = z.looseObject({
  metadata: z.looseObject({ total_size: z.number().int().nonnegative().optional() }).optional(),
  weight_map: z.record(z.string(), shardNameSchema),
});
export type SafetensorsIndex = z.infer<typeof safetensorsIndexSchema>;

export interface CheckpointTensorSource extends TensorSource {
  readonly dir: string;
  /** The shard file (relative name) holding a tensor. */
  shardOf(name: string): string;
  /** The opened files, for callers that reference bytes in place (external data). */
  readonly files: ReadonlyMap<string, SafetensorsFile>;
  /** metadata.total_size from the index, when sharded and present. */
  readonly totalSize: number | undefined;
}


async function readIndex(path: string): Promise<SafetensorsIndex> {
  // Special files (FIFO, device, socket) and oversized files are refused before a byte is read.
  const text = await readConfigFileText(path);
  if (text === undefined) throw new ApolloError('CHECKPOINT_INVALID', `The checkpoint index ${path} is missing; download the model again.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ApolloError('CHECKPOINT_INVALID', `The checkpoint index ${path} is not valid JSON; download the model again.`, { cause: error });
  }
  const parsed = safetensorsIndexSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApolloError('CHECKPOINT_INVALID', `The checkpoint index ${path} is malformed (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); download the model again.`, { details: { file: path } });
  }
  return parsed.data;
}

export async function openCheckpointFolder(dir: string): Promise<CheckpointTensorSource> {
  const indexPath = join(dir, INDEX_FILE_NAME);
  const singlePath = join(dir, SINGLE_FILE_NAME);
  const files = new Map<string, SafetensorsFile>();
  const owner = new Map<string, string>();
  let totalSize: number | undefined;
  try {
    if (await pathExists(indexPath)) {
      const index = await readIndex(indexPath);
      totalSize = index.metadata?.total_size;
      const shards = [...new Set(Object.values(index.weight_map))].sort();
      for (const shard of shards) files.set(shard, await openSafetensors(join(dir, shard)));
      for (const [name, shard] of Object.entries(index.weight_map)) {
        if (!files.get(shard)!.has(name)) {
          throw new ApolloError('CHECKPOINT_INVALID', `The checkpoint index ${indexPath} puts tensor ${name} in ${shard}, which does not hold it; download the model again.`, { details: { tensor: name, shard } });
        }
        owner.set(name, shard);
      }
      for (const [shard, file] of files) {
        for (const name of file.names()) {
          if (owner.get(name) !== shard) {
            throw new ApolloError('CHECKPOINT_INVALID', `The shard ${join(dir, shard)} holds tensor ${name}, which the index ${INDEX_FILE_NAME} does not list there; download the model again.`, { details: { tensor: name, shard } });
          }
        }
      }
    } else if (await pathExists(singlePath)) {
      const file = await openSafetensors(singlePath);
      files.set(SINGLE_FILE_NAME, file);
      for (const name of file.names()) owner.set(name, SINGLE_FILE_NAME);
    } else {
      throw new ApolloError('CHECKPOINT_INVALID', `The folder ${dir} has neither ${SINGLE_FILE_NAME} nor ${INDEX_FILE_NAME}; check the model folder or download the model again.`, { details: { dir } });
    }
  } catch (error) {
    await Promise.all([...files.values()].map((f) => f.close()));
    throw error;
  }

  const fileOf = (name: string): SafetensorsFile => {
    const shard = owner.get(name);
    if (shard === undefined) throw new ApolloError('TENSOR_NOT_FOUND', `The tensor ${name} is not in the checkpoint folder ${dir}; it does not match this model, download it again.`, { details: { tensor: name, dir } });
    return files.get(shard)!;
  };
  const order = [...files.values()].flatMap((f) => f.names());
  return {
    dir,
    files,
    totalSize,
    names: () => [...order],
    has: (name) => owner.has(name),
    info: (name): TensorInfo => fileOf(name).info(name),
    shardOf: (name) => {
      fileOf(name);
      return owner.get(name)!;
    },
    readRaw: async (name) => fileOf(name).readRaw(name),
    readFloat32: async (name) => fileOf(name).readFloat32(name),
    close: async () => {
      await Promise.all([...files.values()].map((f) => f.close()));
    },
  };
}
