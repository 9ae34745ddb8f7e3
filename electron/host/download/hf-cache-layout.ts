// The Hugging Face hub cache layout, shared with Python tools (huggingface_hub):
//   <cache>/models--{org}--{name}/blobs/<etag>            verified file contents
//   <cache>/models--{org}--{name}/blobs/<etag>.incomplete a download in progress (resumable)
//   <cache>/models--{org}--{name}/snapshots/<commit>/<path> -> ../../blobs/<etag> (relative symlink)
//   <cache>/models--{org}--{name}/refs/<revision>          the commit a branch pointed to
import { copyFile, lstat, mkdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { ApolloError } from '../../shared/errors.js';
import { invalidModelSpecMessage, invalidRevisionMessage, isCommitHash, isHubRevision, isRepoId } from '../../shared/model-spec.js';

/**
 * HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub: the rules of huggingface_hub and of
 * @huggingface/hub's getHFHubCachePath (which only reads process.env; the app passes its own env).
 */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  return (
    nonEmpty(env.HF_HUB_CACHE) ??
    nonEmpty(env.HUGGINGFACE_HUB_CACHE) ??
    join(nonEmpty(env.HF_HOME) ?? join(nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), '.cache'), 'huggingface'), 'hub')
  );
}

export interface RepoCachePaths {
  repoDir: string;
  blobsDir: string;
  snapshotsDir: string;
  refsDir: string;
}

/** `child` joined under `root`, or undefined when it would land anywhere else. */
function inside(root: string, child: string): string | undefined {
  const full = resolve(root, child);
  return full.startsWith(resolve(root) + sep) ? full : undefined;
}

export function repoCachePaths(cacheDir: string, repoId: string): RepoCachePaths {
  if (!isRepoId(repoId)) throw new ApolloError('INVALID_ARGUMENT', invalidModelSpecMessage(repoId));
  const repoDir = inside(cacheDir, getRepoFolderName({ name: repoId, type: 'model' }));
  if (repoDir === undefined || dirname(repoDir) !== resolve(cacheDir)) throw new ApolloError('INVALID_ARGUMENT', invalidModelSpecMessage(repoId));
  return { repoDir, blobsDir: join(repoDir, 'blobs'), snapshotsDir: join(repoDir, 'snapshots'), refsDir: join(repoDir, 'refs') };
}

/** Inverse of the folder naming: `models--org--name` -> `org/name`, or undefined for other entries. */
export function repoIdFromFolder(folder: string): string | undefined {
  const parts = folder.split('--');
  if (parts.length !== 3 || parts[0] !== 'models') return undefined;
  const id = `${parts[1]}/${parts[2]}`;
  return isRepoId(id) ? id : undefined;
}

/** A snapshot path must stay inside its snapshot folder, whatever the hub sends. */
export function snapshotFilePath(paths: RepoCachePaths, commit: string, filePath: string): string {
  if (!isCommitHash(commit)) throw new ApolloError('INTERNAL', `The hub sent an invalid commit id "${commit}".`);
  const root = join(paths.snapshotsDir, commit);
  const full = join(root, filePath);
  if (filePath.startsWith('/') || filePath.includes('\\') || !full.startsWith(root + sep)) {
    throw new ApolloError('INTERNAL', `The hub listed an unsafe file path "${filePath}".`);
  }
  return full;
}

/** The blob is named by the hub's etag (sha256 for LFS files, git sha1 otherwise), as huggingface_hub names it. */
export function blobPath(paths: RepoCachePaths, etag: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(etag) || etag.endsWith('.incomplete')) {
    throw new ApolloError('HUB_BAD_RESPONSE', `The hub sent an unusable file id "${etag.slice(0, 80)}"; try again later or set HF_ENDPOINT to another mirror.`);
  }
  return join(paths.blobsDir, etag);
}

/**
 * The file of a branch or tag under refs/ (`refs/pr/1` nests, as huggingface_hub writes it), or
 * undefined for a name outside the Hub's revision grammar: a revision is never joined raw.
 */
export function refFilePath(paths: RepoCachePaths, revision: string): string | undefined {
  const name = revision.split(sep).join('/');
  if (!isHubRevision(name) || isCommitHash(name)) return undefined;
  return inside(paths.refsDir, name);
}

export async function readRef(paths: RepoCachePaths, revision: string): Promise<string | undefined> {
  if (isCommitHash(revision)) return revision;
  const file = refFilePath(paths, revision);
  if (file === undefined) return undefined;
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return isCommitHash(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRef(paths: RepoCachePaths, revision: string, commit: string): Promise<void> {
  if (isCommitHash(revision)) return;
  const file = refFilePath(paths, revision);
  if (file === undefined) throw new ApolloError('INVALID_ARGUMENT', invalidRevisionMessage(revision));
  await mkdir(dirname(file), { recursive: true });
  // huggingface_hub writes the bare hash without a newline.
  await writeFile(`${file}.tmp`, commit);
  await rename(`${file}.tmp`, file);
}

/**
 * Makes a verified blob visible at its snapshot path: a relative symlink as huggingface_hub makes,
 * or a copy where symlinks are not allowed (Windows without developer mode).
 */
export async function linkSnapshotFile(blob: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const rel = relative(dirname(target), blob);
  try {
    const existing = await lstat(target);
    if (existing.isSymbolicLink() && (await readlink(target)) === rel) return;
    await rm(target, { force: true });
  } catch {
    // nothing there yet
  }
  try {
    await symlink(rel, target);
  } catch (error) {
    if (process.platform !== 'win32') throw error;
    await copyFile(blob, `${target}.tmp`);
    await rename(`${target}.tmp`, target);
  }
}
