// `prepare`: turns an original checkpoint into a cache folder of graphs, weights and a manifest.
// Crash safety: work happens in `.<name>.partial/` beside the final folder; each finished
// artifact is recorded (with the SHA-256 of its files) in the partial folder's progress file, so a
// run killed at any point resumes from the last finished artifact; the final folder only ever
// appears by renaming a complete, verified partial folder, so no reader sees a torn one.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { readJsonValidated, writeJsonAtomic } from '../../common/persist/atomic-file.js';
import { acquirePidLock, type ReleaseLock } from '../../common/persist/pid-lock.js';
import { int4Quantizer, type Int4Quantizer } from '../quant/int4-quantize.js';
import type { Int4BlockSize } from '../quant/int4-layout.js';
import { DEFAULT_INT4, type Int4AccuracyLevel, type Int4Settings } from '../quant/quant-settings.js';
import { defaultPrepareArtifacts } from './default-artifacts.js';
import type { PrepareArtifact } from './prepare-artifact.js';
import { preparedRootDir } from '../../common/platform/prepare-cache-dir.js';
import {
  hashFiles,
  listOutputFiles,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  manifestSchema,
  verifyFiles,
  verifyFilesByContent,
  VERIFIED_STAMPS_FILE,
  type FileStamp,
  type ManifestArtifact,
  type Precision,
  type PreparedManifest,
  type PrepareOptionsRecord,
} from './prepare-manifest.js';
import { fingerprintSource, type SourceFingerprint } from './source-fingerprint.js';
import { pathExists } from '../../common/platform/path-exists.js';

/** Bump when the prepare folder format or the meaning of an option changes. */
export const PREPARE_FORMAT_VERSION = '1';

export interface PrepareModelOptions {
  precision: Precision;
  blockSize?: Int4BlockSize;
  symmetric?: boolean;
  accuracyLevel?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Where prepared folders live (default: the cache folder, see prepare-cache-dir.ts). */
  cacheDir?: string;
  /** The artifacts to build (default: defaultPrepareArtifacts(options.precision)). */
  artifacts?: PrepareArtifact[];
  /** Rebuild even when a matching prepared folder exists. */
  force?: boolean;
  quantizer?: Int4Quantizer;
}

export interface PreparedModel {
  preparedDir: string;
  manifest: PreparedManifest;
  /** true when an existing prepared folder was reused. */
  reused: boolean;
  /** Artifacts taken over from a killed run's partial folder. */
  resumedArtifacts: string[];
}

const progressSchema = z.object({
  key: z.string(),
  completed: z.record(z.string(), z.object({ version: z.string(), entry: z.string().optional(), files: z.array(z.object({ path: z.string(), bytes: z.number(), sha256: z.string() })), info: z.record(z.string(), z.unknown()).optional() })),
});
type PartialProgress = z.infer<typeof progressSchema>;
const PROGRESS_FILE = '.progress.json';

function optionsRecord(o: PrepareModelOptions): PrepareOptionsRecord {
  if (o.precision !== 'int4') return { precision: o.precision };
  return {
    precision: 'int4',
    int4: { blockSize: o.blockSize ?? DEFAULT_INT4.blockSize, symmetric: o.symmetric ?? DEFAULT_INT4.symmetric, accuracyLevel: o.accuracyLevel ?? DEFAULT_INT4.accuracyLevel },
  };
}

export function builderVersion(artifacts: PrepareArtifact[]): string {
  return [`prepare-${PREPARE_FORMAT_VERSION}`, ...artifacts.map((a) => `${a.name}-${a.version}`)].join('+');
}

/** Folder name: a short source fingerprint, the precision and the int4 options. */
export function preparedFolderName(fingerprint: string, options: PrepareOptionsRecord): string {
  const suffix = options.int4 ? `-b${options.int4.blockSize}${options.int4.symmetric ? 's' : 'a'}${options.int4.accuracyLevel}` : '';
  return `${fingerprint.slice(0, 16)}-${options.precision}${suffix}`;
}

/** Everything that decides the output; a partial folder is resumed only under the same key. */
function buildKey(fp: SourceFingerprint, builder: string, options: PrepareOptionsRecord): string {
  return createHash('sha256').update(JSON.stringify([fp.digest, builder, options])).digest('hex');
}

function manifestMatches(m: PreparedManifest, fp: SourceFingerprint, builder: string, options: PrepareOptionsRecord): boolean {
  return m.source.fingerprint === fp.digest && m.builderVersion === builder && JSON.stringify(m.options) === JSON.stringify(options);
}

/** One preparer per prepared folder (persist/pid-lock.ts). */
function acquirePrepareLock(path: string): Promise<ReleaseLock> {
  return acquirePidLock(path, (owner) => new ApolloError('PREPARE_BUSY', undefined, { details: { lock: path, ...(owner !== undefined ? { pid: owner } : {}) } }));
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    await fh.sync().finally(() => fh.close());
  } catch {
    // not supported on Windows: best effort
  }
}

async function fsyncTree(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await fsyncTree(p);
    else if (e.isFile()) {
      const fh = await open(p, 'r+');
      await fh.sync().finally(() => fh.close());
    }
  }
  await fsyncDir(dir);
}


/** A killed `--force` rebuild leaves a partial copy nobody will resume once the folder is reused: free its disk. */
async function removeAbandonedPartial(root: string, name: string): Promise<void> {
  const partialDir = join(root, `.${name}.partial`);
  const asides = (await readdir(root)).filter((e) => e.startsWith(`.${name}.old-`));
  if (asides.length === 0 && !(await pathExists(partialDir)) && !(await pathExists(join(root, `.${name}.lock`)))) return;
  let release: ReleaseLock | undefined;
  try {
    release = await acquirePrepareLock(join(root, `.${name}.lock`));
  } catch {
    return; // a live preparer owns it
  }
  try {
    await rm(partialDir, { recursive: true, force: true });
    // A run killed between moving a stale folder aside and deleting it leaves `.old-*` behind.
    await removeAsides(root, name);
  } finally {
    await release();
  }
}

/** Stale folders a publish moved aside (under the lock: no run of this name is publishing). */
async function removeAsides(root: string, name: string): Promise<void> {
  for (const e of await readdir(root)) if (e.startsWith(`.${name}.old-`)) await rm(join(root, e), { recursive: true, force: true });
}

const stampsSchema = z.record(z.string(), z.object({ dev: z.number(), ino: z.number(), size: z.number(), mtimeMs: z.number(), ctimeMs: z.number() }));

/**
 * Reads and checks a prepared folder's manifest, by content: every file whose stat changed since
 * its SHA-256 last matched (or that was never checked here) is hashed again (`fullVerify`: all of
 * them). A damaged file is PREPARED_MODEL_INVALID before any session opens on it, so no answer or
 * cached clip embedding comes from it; `prepare` then rebuilds the folder.
 */
export async function readPreparedManifest(preparedDir: string, fullVerify = false): Promise<PreparedManifest> {
  const read = await readJsonValidated(join(preparedDir, MANIFEST_FILE), manifestSchema);
  if (!read.ok) throw new ApolloError('PREPARED_MODEL_INVALID', undefined, { details: { preparedDir, reason: `manifest ${read.reason}` } });
  const stampsFile = join(preparedDir, VERIFIED_STAMPS_FILE);
  const known = fullVerify ? {} : ((r) => (r.ok ? r.value : {}))(await readJsonValidated(stampsFile, stampsSchema));
  const stamps: Record<string, FileStamp> = {};
  let hashedAny = false;
  for (const artifact of Object.values(read.value.artifacts)) {
    const checked = await verifyFilesByContent(preparedDir, artifact.files, known);
    if (checked.problem !== undefined) throw new ApolloError('PREPARED_MODEL_INVALID', undefined, { details: { preparedDir, reason: checked.problem } });
    Object.assign(stamps, checked.stamps);
    hashedAny ||= checked.hashed.length > 0;
  }
  // Best effort: a read-only cache is hashed again next time.
  if (hashedAny || Object.keys(known).length !== Object.keys(stamps).length) await writeJsonAtomic(stampsFile, stamps).catch(() => undefined);
  return read.value;
}

export async function prepareModel(sourceDir: string, options: PrepareModelOptions): Promise<PreparedModel> {
  const signal = options.signal ?? new AbortController().signal;
  const report: ProgressListener = options.onProgress ?? (() => {});
  const artifacts = (options.artifacts ?? defaultPrepareArtifacts(options.precision)).filter((a) => a.applies?.(sourceDir) ?? true);
  const record = optionsRecord(options);
  const builder = builderVersion(artifacts);

  report({ stage: 'fingerprint', done: 0, total: 1, unit: 'folders', detail: sourceDir });
  const fp = await fingerprintSource(sourceDir);
  report({ stage: 'fingerprint', done: 1, total: 1, unit: 'folders', detail: `${fp.files.length} files` });

  const root = options.cacheDir ?? preparedRootDir();
  const name = preparedFolderName(fp.digest, record);
  const finalDir = join(root, name);
  await mkdir(root, { recursive: true });

  if (options.force !== true) {
    const existing = await readPreparedManifest(finalDir).catch(() => undefined);
    if (existing !== undefined && manifestMatches(existing, fp, builder, record)) {
      await removeAbandonedPartial(root, name);
      return { preparedDir: finalDir, manifest: existing, reused: true, resumedArtifacts: [] };
    }
  }

  const release = await acquirePrepareLock(join(root, `.${name}.lock`));
  try {
    await removeAsides(root, name);
    const partialDir = join(root, `.${name}.partial`);
    const key = buildKey(fp, builder, record);
    await mkdir(partialDir, { recursive: true });
    const progressPath = join(partialDir, PROGRESS_FILE);
    const previous = await readJsonValidated(progressPath, progressSchema);
    let state: PartialProgress = { key, completed: {} };
    const resumed: string[] = [];
    if (previous.ok && previous.value.key === key) {
      // Keep finished artifacts whose files still hash to what was recorded.
      for (const [artifactName, done] of Object.entries(previous.value.completed)) {
        const problem = await verifyFiles(partialDir, done.files, true);
        if (problem === undefined) {
          state.completed[artifactName] = done;
          resumed.push(artifactName);
        }
      }
    }
    // Anything not recorded as finished is leftover from a killed run: start it clean.
    for (const e of await readdir(partialDir, { withFileTypes: true })) {
      if (e.name === PROGRESS_FILE || state.completed[e.name] !== undefined) continue;
      await rm(join(partialDir, e.name), { recursive: true, force: true });
    }
    await writeJsonAtomic(progressPath, state);

    const quantizer = options.quantizer ?? int4Quantizer();
    const int4: Int4Settings = {
      blockSize: (record.int4?.blockSize ?? DEFAULT_INT4.blockSize) as Int4BlockSize,
      symmetric: record.int4?.symmetric ?? DEFAULT_INT4.symmetric,
      accuracyLevel: (record.int4?.accuracyLevel ?? DEFAULT_INT4.accuracyLevel) as Int4AccuracyLevel,
    };
    for (const artifact of artifacts) {
      if (state.completed[artifact.name] !== undefined) continue;
      signal.throwIfAborted();
      const stage = `prepare:${artifact.name}`;
      const outDir = join(partialDir, artifact.name);
      await mkdir(outDir, { recursive: true });
      const result = await artifact.build({
        sourceDir,
        outDir,
        precision: record.precision,
        int4,
        quantizer,
        progress: (done, total, unit, detail) => report({ stage, done, total, ...(unit !== undefined ? { unit } : {}), ...(detail !== undefined ? { detail } : {}) }),
        signal,
      });
      signal.throwIfAborted();
      const paths = await listOutputFiles(outDir, partialDir);
      let totalBytes = 0;
      for (const p of paths) totalBytes += (await stat(join(partialDir, p))).size;
      let hashed = 0;
      const files = await hashFiles(partialDir, paths, (n) => {
        hashed += n;
        report({ stage: `hash:${artifact.name}`, done: hashed, total: totalBytes, unit: 'bytes' });
      });
      await fsyncTree(outDir);
      const entry: ManifestArtifact = { version: artifact.version, files, ...(result.entry !== undefined ? { entry: `${artifact.name}/${result.entry}` } : {}), ...(result.info !== undefined ? { info: result.info } : {}) };
      state = { key, completed: { ...state.completed, [artifact.name]: entry } };
      await writeJsonAtomic(progressPath, state);
    }

    const manifest: PreparedManifest = {
      format: MANIFEST_FORMAT,
      builderVersion: builder,
      options: record,
      source: { dir: sourceDir, fingerprintMethod: fp.method, fingerprint: fp.digest, files: fp.files },
      conversionBackend: quantizer.backend,
      createdAt: new Date().toISOString(),
      artifacts: Object.fromEntries(artifacts.map((a) => [a.name, state.completed[a.name]!])),
    };
    // Verify what was recorded against the folder once more before publishing it.
    for (const a of Object.values(manifest.artifacts)) {
      const problem = await verifyFiles(partialDir, a.files, false);
      if (problem !== undefined) throw new ApolloError('PREPARED_MODEL_INVALID', undefined, { details: { reason: problem } });
    }
    await writeJsonAtomic(join(partialDir, MANIFEST_FILE), manifest);
    await rm(progressPath, { force: true });
    await fsyncDir(partialDir);

    // Publish: move an old (stale) folder aside, rename the partial folder into place.
    if (await pathExists(finalDir)) {
      const aside = join(root, `.${name}.old-${randomBytes(4).toString('hex')}`);
      await rename(finalDir, aside);
      await rename(partialDir, finalDir);
      await rm(aside, { recursive: true, force: true });
    } else await rename(partialDir, finalDir);
    await fsyncDir(root);
    return { preparedDir: finalDir, manifest, reused: false, resumedArtifacts: resumed };
  } finally {
    await release();
  }
}

export interface ResolvePreparedOptions extends Omit<PrepareModelOptions, 'force'> {
  /** Prepare when no matching prepared folder exists (default true). */
  prepareIfMissing?: boolean;
}

/**
 * For `generate`/`ask`: `dir` may be a prepared folder (has manifest.json) or an original
 * checkpoint, which is prepared on first use (with progress) and reused afterwards.
 */
export async function resolvePreparedModel(dir: string, options: ResolvePreparedOptions): Promise<PreparedModel> {
  if (await pathExists(join(dir, MANIFEST_FILE))) {
    const manifest = await readPreparedManifest(dir);
    return { preparedDir: dir, manifest, reused: true, resumedArtifacts: [] };
  }
  if (options.prepareIfMissing === false) {
    const artifacts = (options.artifacts ?? defaultPrepareArtifacts(options.precision)).filter((a) => a.applies?.(dir) ?? true);
    const record = optionsRecord(options);
    const fp = await fingerprintSource(dir);
    const finalDir = join(options.cacheDir ?? preparedRootDir(), preparedFolderName(fp.digest, record));
    const manifest = await readPreparedManifest(finalDir);
    if (!manifestMatches(manifest, fp, builderVersion(artifacts), record)) throw new ApolloError('PREPARED_MODEL_INVALID', undefined, { details: { preparedDir: finalDir, reason: 'stale: the checkpoint or the builder changed' } });
    return { preparedDir: finalDir, manifest, reused: true, resumedArtifacts: [] };
  }
  return prepareModel(dir, options);
}
