// Apollo's record that a snapshot is complete and every blob in it was verified:
// `models--{org}--{name}/.apollo/<commit>.json`. huggingface_hub and @huggingface/hub only read
// blobs/, snapshots/ and refs/, so the extra folder does not disturb them.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isCommitHash } from '../../shared/model-spec.js';
import type { RepoCachePaths } from './hf-cache-layout.js';

const manifestSchema = z.object({
  version: z.literal(1),
  repoId: z.string(),
  revision: z.string(),
  commit: z.string().refine(isCommitHash),
  completedAt: z.string(),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), etag: z.string(), check: z.enum(['sha256', 'git-sha1', 'size']) })),
});

export type SnapshotManifest = z.infer<typeof manifestSchema>;

/**
 * The files the hub sent no hash for, checked by size only. A snapshot is `verified` only when this
 * is empty: a size match says nothing about the content.
 */
export function sizeOnlyFiles(files: ReadonlyArray<{ path: string; check: 'sha256' | 'git-sha1' | 'size' }>): string[] {
  return files.filter((f) => f.check === 'size').map((f) => f.path);
}

export function manifestPath(paths: RepoCachePaths, commit: string): string {
  return join(paths.repoDir, '.apollo', `${commit}.json`);
}

export async function readManifest(paths: RepoCachePaths, commit: string): Promise<SnapshotManifest | undefined> {
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(await readFile(manifestPath(paths, commit), 'utf8')));
    return parsed.success && parsed.data.commit === commit ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeManifest(paths: RepoCachePaths, manifest: SnapshotManifest): Promise<void> {
  const file = manifestPath(paths, manifest.commit);
  await mkdir(join(paths.repoDir, '.apollo'), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(manifest, null, 2));
  await rename(`${file}.tmp`, file);
}
