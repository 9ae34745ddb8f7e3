// What is on disk: installed models (the Hugging Face cache scanned like scan_cache_dir), resolving one
// for use without any network access, and removing a snapshot with the blobs nothing else uses.
import { readdir, readlink, realpath, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import { isCommitHash } from '../../shared/model-spec.js';
import { sizeOnlyFiles } from './snapshot-manifest.js';
import { hubCacheDir, readRef, refFilePath, repoCachePaths, repoIdFromFolder, type RepoCachePaths } from './hf-cache-layout.js';
import { catalogModelForRepo, resolveModelSource, type ModelCatalog } from './model-catalog.js';
import { assertCheckpointFolder, forgetLocalModel, listLocalModels, looksLikePath, type LocalModel } from './local-models.js';
import { completeSnapshot } from './model-pull.js';
import type { Precision } from '../../shared/app-api.js';
// The one engine-side module the host may import (see eslint.config.js): which prepared folders exist.
import { preparedFolders } from '../../engine/prepare/prepared-folders.js';
import { pathExists } from '../../common/platform/path-exists.js';

export interface InstalledModel {
  /** The catalog name when the repository is one of its mirrors. */
  name: string | undefined;
  repoId: string;
  commit: string;
  /** Branches or tags (refs/) that point at this commit. */
  refs: string[];
  sizeBytes: number;
  fileCount: number;
  /** Apollo downloaded and checked every file of this snapshot (SHA-256 for LFS, git sha1 otherwise). */
  verified: boolean;
  /** Files the hub sent no hash for, checked by size only when downloaded. */
  sizeOnly: string[];
  /** Precisions the prepare step has built for this snapshot (with its default int4 settings). */
  prepared: Precision[];
  snapshotDir: string;
}

export interface InstalledListing {
  cacheDir: string;
  models: InstalledModel[];
  /** Checkpoint folders added by path (`apollo-chat pull /path/to/folder`). */
  localFolders: Array<LocalModel & { prepared: Precision[] }>;
  /** Cache folders that could not be read (damaged or unrelated entries). */
  warnings: string[];
}

async function preparedPrecisions(snapshotDir: string, env: NodeJS.ProcessEnv): Promise<Precision[]> {
  return (await preparedFolders(snapshotDir, env)).map((p) => p.precision);
}


interface ScannedSnapshot {
  commit: string;
  dir: string;
  refs: string[];
  sizeBytes: number;
  fileCount: number;
}

/**
 * The snapshots of one cached repository with their files followed through the symlinks. Written
 * here because @huggingface/hub 2.17's scanCachedRepo does not descend into subfolders, and Apollo
 * checkpoints keep most files in llm/, vision_tower/ and mm_connector/.
 */
async function scanSnapshots(paths: RepoCachePaths): Promise<ScannedSnapshot[]> {
  if (!(await pathExists(paths.snapshotsDir))) return [];
  const refsByCommit = new Map<string, string[]>();
  for (const ref of (await pathExists(paths.refsDir)) ? await readdir(paths.refsDir, { recursive: true }) : []) {
    const commit = await readRef(paths, ref);
    if (commit !== undefined) refsByCommit.set(commit, [...(refsByCommit.get(commit) ?? []), ref.split(sep).join('/')]);
  }
  const out: ScannedSnapshot[] = [];
  for (const commit of (await readdir(paths.snapshotsDir)).filter(isCommitHash)) {
    const dir = join(paths.snapshotsDir, commit);
    const blobs = new Map<string, number>();
    let fileCount = 0;
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const full = join(d, e.name);
        const st = await stat(full).catch(() => undefined); // a dangling link counts as missing
        if (st === undefined) continue;
        if (st.isDirectory()) await walk(full);
        else {
          fileCount++;
          blobs.set(await realpath(full), st.size);
        }
      }
    };
    await walk(dir);
    out.push({ commit, dir, refs: (refsByCommit.get(commit) ?? []).sort(), sizeBytes: [...blobs.values()].reduce((a, b) => a + b, 0), fileCount });
  }
  return out;
}

/**
 * Lists the snapshots of catalog mirrors and of any repository Apollo pulled (it has a manifest);
 * other models in a shared cache are left out.
 */
export async function listInstalledModels(catalog: ModelCatalog, env: NodeJS.ProcessEnv = process.env): Promise<InstalledListing> {
  const cacheDir = hubCacheDir(env);
  const localFolders = await Promise.all((await listLocalModels(env)).map(async (l) => ({ ...l, prepared: l.present ? await preparedPrecisions(l.dir, env) : [] })));
  if (!(await pathExists(cacheDir))) return { cacheDir, models: [], localFolders, warnings: [] };
  const models: InstalledModel[] = [];
  const warnings: string[] = [];
  for (const folder of await readdir(cacheDir)) {
    const repoId = repoIdFromFolder(folder);
    if (repoId === undefined) continue;
    const paths = repoCachePaths(cacheDir, repoId);
    const catalogModel = catalogModelForRepo(catalog, repoId);
    let snapshots: ScannedSnapshot[];
    try {
      snapshots = await scanSnapshots(paths);
    } catch (error) {
      warnings.push(`${folder} could not be read (${(error as Error).message}).`);
      continue;
    }
    for (const snap of snapshots) {
      const manifest = await completeSnapshot(paths, snap.commit);
      if (catalogModel === undefined && manifest === undefined) continue;
      models.push({
        name: catalogModel?.name,
        repoId,
        commit: snap.commit,
        refs: snap.refs,
        sizeBytes: snap.sizeBytes,
        fileCount: snap.fileCount,
        // Downloaded by Apollo and every file matched a content hash (size-only files say so).
        verified: manifest !== undefined && sizeOnlyFiles(manifest.files).length === 0,
        sizeOnly: manifest === undefined ? [] : sizeOnlyFiles(manifest.files),
        prepared: await preparedPrecisions(snap.dir, env),
        snapshotDir: snap.dir,
      });
    }
  }
  models.sort((a, b) => a.repoId.localeCompare(b.repoId) || a.commit.localeCompare(b.commit));
  return { cacheDir, models, localFolders, warnings };
}

export interface ResolvedModel {
  repoId: string | undefined;
  commit: string | undefined;
  /** The folder holding config.json and the subfolders (a snapshot or the user's own folder). */
  dir: string;
  source: 'cache' | 'local-folder';
}

/**
 * Finds an installed model for use, reading only the disk (never the network): a catalog name or
 * repo id (optionally @revision) resolved through refs/ to a complete snapshot, or a local folder.
 */
export async function resolveInstalledModel(catalog: ModelCatalog, spec: string, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedModel> {
  if (looksLikePath(spec)) {
    const dir = resolve(spec);
    await assertCheckpointFolder(dir);
    return { repoId: undefined, commit: undefined, dir, source: 'local-folder' };
  }
  const source = resolveModelSource(catalog, spec);
  const cacheDir = hubCacheDir(env);
  for (const repoId of source.repos) {
    const paths = repoCachePaths(cacheDir, repoId);
    const commit = await readRef(paths, source.revision);
    if (commit === undefined) continue;
    if ((await completeSnapshot(paths, commit)) === undefined) continue;
    return { repoId, commit, dir: join(paths.snapshotsDir, commit), source: 'cache' };
  }
  throw new ApolloError('MODEL_NOT_INSTALLED', `${spec} is not downloaded (looked in ${cacheDir}); run \`apollo-chat pull ${spec}\` while online.`);
}

export interface RemovalResult {
  repoId: string;
  removedSnapshots: string[];
  removedBlobs: number;
  freedBytes: number;
  /** Blobs kept because another snapshot of the same repository still uses them. */
  keptBlobs: number;
  /** Prepared folders built from the removed snapshots. */
  removedPrepared: string[];
}

async function walkLinks(dir: string, out: Set<string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walkLinks(full, out);
    else if (entry.isSymbolicLink()) out.add(resolve(dir, await readlink(full)));
  }
}

async function blobsUsedBy(snapshotDirs: string[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (const d of snapshotDirs) await walkLinks(d, used);
  return used;
}

/**
 * Removes snapshots of a model (all of them, or one commit) and frees the blobs no remaining
 * snapshot links to; with no snapshot left, the repository folder goes too (partial downloads included).
 */
export async function removeModel(catalog: ModelCatalog, spec: string, options: { env?: NodeJS.ProcessEnv; commit?: string } = {}): Promise<RemovalResult[]> {
  if (options.commit !== undefined && !isCommitHash(options.commit)) {
    throw new ApolloError('INVALID_ARGUMENT', `"${options.commit.slice(0, 80)}" is not a commit id; --commit takes the 40-character id that \`apollo-chat models\` lists.`);
  }
  const source = resolveModelSource(catalog, spec);
  const env = options.env ?? process.env;
  const cacheDir = hubCacheDir(env);
  const results: RemovalResult[] = [];
  for (const repoId of source.repos) {
    const paths = repoCachePaths(cacheDir, repoId);
    if (!(await pathExists(paths.repoDir))) continue;
    const snapshots = (await pathExists(paths.snapshotsDir)) ? (await readdir(paths.snapshotsDir)).filter(isCommitHash) : [];
    const targets = options.commit === undefined ? snapshots : snapshots.filter((c) => c === options.commit);
    const keep = snapshots.filter((c) => !targets.includes(c));
    const removedPrepared: string[] = [];
    for (const c of targets) {
      for (const p of await preparedFolders(join(paths.snapshotsDir, c), env)) {
        await rm(p.dir, { recursive: true, force: true });
        removedPrepared.push(p.dir);
      }
    }
    const keptLinks = await blobsUsedBy(keep.map((c) => join(paths.snapshotsDir, c)));
    const blobs = (await pathExists(paths.blobsDir)) ? await readdir(paths.blobsDir) : [];
    let freedBytes = 0;
    let removedBlobs = 0;
    let keptBlobs = 0;
    for (const name of blobs) {
      const full = join(paths.blobsDir, name);
      if (keptLinks.has(full)) {
        keptBlobs++;
        continue;
      }
      if (keep.length > 0 && name.endsWith('.incomplete')) continue; // another snapshot's download may resume it
      freedBytes += (await stat(full)).size;
      removedBlobs++;
      await rm(full, { force: true });
    }
    for (const c of targets) {
      await rm(join(paths.snapshotsDir, c), { recursive: true, force: true });
      await rm(join(paths.repoDir, '.apollo', `${c}.json`), { force: true });
    }
    if (keep.length === 0) await rm(paths.repoDir, { recursive: true, force: true });
    else {
      // Refs to removed commits would make the cache look damaged to huggingface_hub.
      for (const ref of (await pathExists(paths.refsDir)) ? await readdir(paths.refsDir) : []) {
        const commit = await readRef(paths, ref);
        const file = refFilePath(paths, ref);
        if (commit !== undefined && file !== undefined && targets.includes(commit)) await rm(file, { force: true });
      }
    }
    results.push({ repoId, removedSnapshots: targets, removedBlobs, freedBytes, keptBlobs, removedPrepared });
  }
  if (results.length === 0) throw new ApolloError('MODEL_NOT_INSTALLED', `${spec} is not in ${cacheDir}; nothing to remove.`);
  return results;
}

/** Forgets a local checkpoint folder and removes its prepared folders; returns them. */
export async function forgetLocalFolder(spec: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const dir = resolve(spec);
  if (!(await forgetLocalModel(dir, env))) throw new ApolloError('MODEL_NOT_INSTALLED', `${dir} was not added; \`apollo-chat models\` lists what was.`);
  const removed: string[] = [];
  if (await pathExists(join(dir, 'config.json'))) {
    for (const p of await preparedFolders(dir, env)) {
      await rm(p.dir, { recursive: true, force: true });
      removed.push(p.dir);
    }
  }
  return removed;
}
