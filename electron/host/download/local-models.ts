// Checkpoint folders the user already has (a copy from elsewhere, a fine-tune), added by path:
// remembered in `<APOLLO_CACHE_DIR>/local-models.json` so `models` lists them. Apollo never writes
// into or deletes such a folder; forgetting the list only forgets the shortcut.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import { readJsonValidated, writeJsonAtomic } from '../../common/persist/atomic-file.js';
import { apolloCacheDir } from '../../common/platform/prepare-cache-dir.js';

const listSchema = z.object({ version: z.literal(1), folders: z.array(z.object({ dir: z.string(), addedAt: z.string() })) });

export function looksLikePath(spec: string): boolean {
  return spec.startsWith('/') || spec.startsWith('.') || spec.startsWith('~') || /^[A-Za-z]:[\\/]/.test(spec) || spec.includes('\\');
}

function listFile(env: NodeJS.ProcessEnv): string {
  return join(apolloCacheDir(env), 'local-models.json');
}

async function readList(env: NodeJS.ProcessEnv): Promise<z.infer<typeof listSchema>> {
  const read = await readJsonValidated(listFile(env), listSchema);
  return read.ok ? read.value : { version: 1, folders: [] };
}

/** The folder must hold a checkpoint: config.json at its root (the Apollo layout). */
export async function assertCheckpointFolder(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => undefined);
  if (s === undefined) throw new ApolloError('FILE_NOT_FOUND', `The folder ${dir} does not exist; check the path.`);
  if (!s.isDirectory() || (await stat(join(dir, 'config.json')).catch(() => undefined)) === undefined) {
    throw new ApolloError('CHECKPOINT_INVALID', `${dir} does not hold a model checkpoint (no config.json); choose the folder that has config.json, llm/ and vision_tower/.`);
  }
}

export async function addLocalModel(spec: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = resolve(spec);
  await assertCheckpointFolder(dir);
  const list = await readList(env);
  if (!list.folders.some((f) => f.dir === dir)) {
    list.folders.push({ dir, addedAt: new Date().toISOString() });
    await writeJsonAtomic(listFile(env), list);
  }
  return dir;
}

/** Forgets a folder; returns false when it was not in the list. */
export async function forgetLocalModel(spec: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const dir = resolve(spec);
  const list = await readList(env);
  const kept = list.folders.filter((f) => f.dir !== dir);
  if (kept.length === list.folders.length) return false;
  await writeJsonAtomic(listFile(env), { version: 1, folders: kept });
  return true;
}

export interface LocalModel {
  dir: string;
  addedAt: string;
  /** false when the folder was moved or deleted since it was added. */
  present: boolean;
  sizeBytes: number;
  fileCount: number;
}

async function folderSize(dir: string): Promise<{ sizeBytes: number; fileCount: number }> {
  let sizeBytes = 0;
  let fileCount = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    const s = await stat(join(e.parentPath, e.name)).catch(() => undefined);
    if (s?.isFile() !== true) continue;
    sizeBytes += s.size;
    fileCount++;
  }
  return { sizeBytes, fileCount };
}

export async function listLocalModels(env: NodeJS.ProcessEnv = process.env): Promise<LocalModel[]> {
  const out: LocalModel[] = [];
  for (const f of (await readList(env)).folders) {
    const present = (await stat(join(f.dir, 'config.json')).catch(() => undefined)) !== undefined;
    out.push({ dir: f.dir, addedAt: f.addedAt, present, ...(present ? await folderSize(f.dir) : { sizeBytes: 0, fileCount: 0 }) });
  }
  return out;
}
