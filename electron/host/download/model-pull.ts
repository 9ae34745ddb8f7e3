// Pulls a model snapshot into the Hugging Face cache: picks the first mirror that answers, checks
// disk space, downloads missing blobs in parallel (resumable, verified), links them into
// snapshots/<commit>/ only once verified, then records the ref and Apollo's manifest.
import { mkdir, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { acquireBlobLock } from './blob-lock.js';
import { transferBlob } from './blob-transfer.js';
import { blobCheckFor, type BlobCheck } from './blob-verification.js';
import { DownloadController } from './download-controller.js';
import { DownloadProgressTracker, type DownloadProgress } from './download-progress.js';
import { blobPath, hubCacheDir, linkSnapshotFile, readRef, repoCachePaths, snapshotFilePath, writeRef, type RepoCachePaths } from './hf-cache-layout.js';
import { HubClient, HubHttpError, hubSettingsFromEnv, isNetworkError, type RemoteFile, type RepoSnapshotInfo } from './hub-client.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, sleep, type RetryPolicy } from './retry-policy.js';
import { readManifest, sizeOnlyFiles, writeManifest, type SnapshotManifest } from './snapshot-manifest.js';

export interface PullOptions {
  /** Mirrors in fallback order (one for a plain repo id). */
  repos: readonly string[];
  revision: string;
  env?: NodeJS.ProcessEnv;
  controller?: DownloadController;
  signal?: AbortSignal;
  /** Files downloaded at the same time. */
  concurrency?: number;
  policy?: RetryPolicy;
  /** Overall bytes as a progress event (stage 'download'), for the CLI bar. */
  onProgress?: ProgressListener;
  /** Per-file and overall bytes, speed and ETA, for the app. */
  onDownloadProgress?: (progress: DownloadProgress) => void;
  /** Human lines: mirror fallbacks, retries. */
  onMessage?: (text: string) => void;
  progressIntervalMs?: number;
  /** Files to leave out (e.g. other weight formats Apollo never reads); they are not downloaded or linked. */
  skip?: (path: string) => boolean;
}

export interface PulledFile {
  path: string;
  size: number;
  etag: string;
  check: BlobCheck['kind'];
}

export interface PullResult {
  repoId: string;
  revision: string;
  commit: string;
  cacheDir: string;
  snapshotDir: string;
  files: PulledFile[];
  totalBytes: number;
  /** Bytes that came over the network in this run. */
  downloadedBytes: number;
  mirrors: Array<{ repoId: string; outcome: 'used' | 'not-found' | 'unauthorized' | 'unreachable' | 'cached' }>;
  /** Every file matched a content hash (SHA-256 or git blob id) from the hub, not just its size. */
  verified: boolean;
  /** Files the hub sent no hash for: checked by size only (then `verified` is false). */
  sizeOnly: string[];
}

async function runPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, onFirstFailure?: () => void): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        if (failure === undefined) {
          failure = error;
          onFirstFailure?.();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure;
}

/** Retries a metadata request on network errors and 5xx, with backoff. */
async function withRetries<T>(what: string, policy: RetryPolicy, controller: DownloadController, onMessage: (t: string) => void, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await controller.waitWhilePaused();
    const signal = controller.requestSignal();
    try {
      return await fn(signal);
    } catch (error) {
      if (controller.cancelled) throw controller.cancelSignal.reason as Error;
      if (signal.aborted) continue; // paused
      if (!isNetworkError(error) || attempt >= policy.attempts) throw error;
      const delay = backoffDelayMs(policy, attempt);
      onMessage(`${what}: ${(error as Error).message}; retrying in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay, controller.cancelSignal);
    }
  }
}

async function existingSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Free bytes on the file system that will hold the blobs (the nearest folder that exists). */
export async function freeBytesAt(dir: string): Promise<number> {
  let probe = dir;
  for (;;) {
    try {
      const s = await statfs(probe);
      return s.bavail * s.bsize;
    } catch (error) {
      const parent = dirname(probe);
      if ((error as { code?: unknown }).code !== 'ENOENT' || parent === probe) throw error;
      probe = parent;
    }
  }
}

/** A snapshot counts as installed when Apollo's manifest lists it and every file is in place. */
export async function completeSnapshot(paths: RepoCachePaths, commit: string): Promise<SnapshotManifest | undefined> {
  const manifest = await readManifest(paths, commit);
  if (manifest === undefined) return undefined;
  for (const f of manifest.files) {
    if ((await existingSize(snapshotFilePath(paths, commit, f.path))) !== f.size) return undefined;
  }
  return manifest;
}

async function pullOffline(options: PullOptions, cacheDir: string): Promise<PullResult> {
  for (const repoId of options.repos) {
    const paths = repoCachePaths(cacheDir, repoId);
    const commit = await readRef(paths, options.revision);
    if (commit === undefined) continue;
    const manifest = await completeSnapshot(paths, commit);
    if (manifest === undefined) continue;
    return {
      repoId,
      revision: options.revision,
      commit,
      cacheDir,
      snapshotDir: join(paths.snapshotsDir, commit),
      files: manifest.files,
      totalBytes: manifest.files.reduce((n, f) => n + f.size, 0),
      downloadedBytes: 0,
      mirrors: [{ repoId, outcome: 'cached' }],
      verified: sizeOnlyFiles(manifest.files).length === 0,
      sizeOnly: sizeOnlyFiles(manifest.files),
    };
  }
  throw new ApolloError('HUB_OFFLINE', undefined, { details: { repos: options.repos } });
}

async function findMirror(client: HubClient, options: PullOptions, controller: DownloadController, policy: RetryPolicy, say: (t: string) => void): Promise<{ info: RepoSnapshotInfo; mirrors: PullResult['mirrors'] }> {
  const mirrors: PullResult['mirrors'] = [];
  let lastError: unknown;
  for (let i = 0; i < options.repos.length; i++) {
    const repoId = options.repos[i]!;
    const next = options.repos[i + 1];
    try {
      const info = await withRetries(`listing ${repoId}`, policy, controller, say, (signal) => client.repoSnapshotInfo(repoId, options.revision, signal));
      mirrors.push({ repoId, outcome: 'used' });
      return { info, mirrors };
    } catch (error) {
      lastError = error;
      const status = error instanceof HubHttpError ? error.status : undefined;
      // The real hub answers 401 RepoNotFound for a missing repo when no token is sent.
      const notFound = status === 404 || (error instanceof HubHttpError && error.hubErrorCode === 'RepoNotFound');
      const outcome = notFound ? 'not-found' : status === 401 || status === 403 ? 'unauthorized' : isNetworkError(error) ? 'unreachable' : undefined;
      if (outcome === undefined) {
        if (error instanceof HubHttpError) throw new ApolloError('HUB_BAD_RESPONSE', `The hub answered HTTP ${error.status} for ${repoId}; try again later or set HF_ENDPOINT to another mirror.`, { cause: error });
        throw error;
      }
      mirrors.push({ repoId, outcome });
      const why = outcome === 'not-found' ? 'is not on the hub (taken down or renamed)' : outcome === 'unauthorized' ? 'needs a token (set HF_TOKEN)' : 'could not be reached';
      say(next === undefined ? `${repoId} ${why}.` : `${repoId} ${why}; trying the next mirror, ${next}.`);
    }
  }
  if (mirrors.every((m) => m.outcome === 'unreachable')) throw new ApolloError('HUB_UNREACHABLE', undefined, { cause: lastError, details: { mirrors } });
  if (mirrors.some((m) => m.outcome === 'unauthorized')) {
    throw new ApolloError('HUB_AUTH_REQUIRED', client.settings.token !== undefined ? 'The hub refused the token in HF_TOKEN for this repository; use a token that can read it.' : undefined, { details: { mirrors } });
  }
  throw new ApolloError('MODEL_REPO_NOT_FOUND', `None of ${options.repos.join(', ')} is on the hub; check the name, or set HF_ENDPOINT to a mirror that has it.`, { details: { mirrors } });
}

/** One line for the CLI bar: overall speed, then each active file with its percentage and ETA. */
export function describeDownload(p: DownloadProgress): string {
  const mbps = (n: number) => `${(n / 1e6).toFixed(1)} MB/s`;
  const active = p.files.filter((f) => f.state === 'downloading' && f.done < f.total);
  const files = active.map((f) => {
    const name = f.path.split('/').pop() ?? f.path;
    const eta = f.etaMs === undefined ? '' : ` ${Math.ceil(f.etaMs / 1000)}s`;
    return `${name} ${Math.floor((100 * f.done) / Math.max(1, f.total))}%${eta}`;
  });
  const head = p.paused ? 'paused' : p.overall.bytesPerSecond > 0 ? mbps(p.overall.bytesPerSecond) : '';
  return [head, ...files].filter((x) => x !== '').join(' · ');
}

interface PlannedBlob {
  etag: string;
  blob: string;
  url: string;
  check: BlobCheck;
  files: RemoteFile[];
  present: boolean;
  partial: number;
}

export async function pullModel(options: PullOptions): Promise<PullResult> {
  try {
    return await pullModelUnchecked(options);
  } catch (error) {
    // A full disk can strike on any write (lock, link, manifest), not only inside a blob.
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new ApolloError('DISK_FULL', undefined, { cause: error });
    throw error;
  }
}

async function pullModelUnchecked(options: PullOptions): Promise<PullResult> {
  const env = options.env ?? process.env;
  const settings = hubSettingsFromEnv(env);
  const cacheDir = hubCacheDir(env);
  if (settings.offline) return pullOffline(options, cacheDir);

  const controller = options.controller ?? new DownloadController(options.signal);
  if (options.controller !== undefined && options.signal !== undefined) options.signal.addEventListener('abort', () => controller.cancel(), { once: true });
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const say = options.onMessage ?? (() => {});
  const client = new HubClient(settings, env);
  try {
    const { info, mirrors } = await findMirror(client, options, controller, policy, say);
    const paths = repoCachePaths(cacheDir, info.repoId);
    const commit = info.commit;
    const wanted = info.files.filter((f) => options.skip?.(f.path) !== true);
    const skipped = info.files.length - wanted.length;
    if (skipped > 0) say(`leaving out ${skipped} file(s) in formats Apollo does not read (${info.files.filter((f) => !wanted.includes(f)).map((f) => f.path).slice(0, 3).join(', ')}${skipped > 3 ? ', …' : ''})`);

    // HEAD every file at the pinned commit: the blob name (etag), size and where the bytes are.
    const byEtag = new Map<string, PlannedBlob>();
    const pulled: PulledFile[] = [];
    await runPool(wanted, options.concurrency ?? 4, async (file) => {
      const meta = await withRetries(`checking ${file.path}`, policy, controller, say, async (signal) => {
        try {
          return await client.fileMetadata(info.repoId, commit, file.path, signal);
        } catch (error) {
          if (error instanceof HubHttpError && (error.status === 401 || error.status === 403)) throw new ApolloError('HUB_AUTH_REQUIRED', undefined, { cause: error });
          if (error instanceof HubHttpError && !isNetworkError(error)) {
            throw new ApolloError('HUB_BAD_RESPONSE', `The hub answered HTTP ${error.status} for ${file.path}, which its file list names; try again later or use another mirror.`, { cause: error });
          }
          throw error;
        }
      });
      const check = blobCheckFor({ ...file, size: meta.size }, meta.etag);
      if (file.size !== meta.size) throw new ApolloError('HUB_BAD_RESPONSE', `The hub gave two sizes for ${file.path} (${file.size} and ${meta.size}); try again later.`);
      const blob = blobPath(paths, meta.etag);
      snapshotFilePath(paths, commit, file.path); // rejects unsafe paths before any download
      pulled.push({ path: file.path, size: file.size, etag: meta.etag, check: check.kind });
      const planned = byEtag.get(meta.etag);
      if (planned !== undefined) planned.files.push(file);
      else byEtag.set(meta.etag, { etag: meta.etag, blob, url: meta.downloadUrl, check, files: [file], present: false, partial: 0 });
    });
    for (const p of byEtag.values()) {
      p.present = (await existingSize(p.blob)) === p.check.size;
      p.partial = p.present ? 0 : Math.min(p.check.size, (await existingSize(`${p.blob}.incomplete`)) ?? 0);
    }

    await mkdir(paths.blobsDir, { recursive: true });
    const missing = [...byEtag.values()].filter((p) => !p.present);
    const needBytes = missing.reduce((n, p) => n + p.check.size - p.partial, 0);
    const freeBytes = await freeBytesAt(paths.blobsDir);
    if (needBytes > freeBytes) {
      const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;
      throw new ApolloError('DISK_FULL', `${info.repoId} needs ${gb(needBytes)} more but only ${gb(freeBytes)} is free in ${cacheDir}; free some space or set HF_HUB_CACHE to a larger disk.`, {
        details: { neededBytes: needBytes, freeBytes, cacheDir },
      });
    }

    const tracker = new DownloadProgressTracker(info.repoId);
    for (const p of byEtag.values()) tracker.addFile(p.files[0]!.path, p.check.size, p.present ? p.check.size : p.partial, p.present ? 'present' : 'queued');
    const totalBytes = pulled.reduce((n, f) => n + f.size, 0);
    let downloadedBytes = 0;
    const emit = () => {
      const snap = tracker.snapshot();
      options.onDownloadProgress?.(snap);
      options.onProgress?.({ stage: 'download', done: snap.overall.done, total: snap.overall.total, unit: 'bytes', ...(snap.overall.etaMs !== undefined ? { etaMs: snap.overall.etaMs } : {}), detail: describeDownload(snap) });
    };
    const unsubscribe = controller.onPauseChange((paused) => {
      tracker.setPaused(paused);
      emit();
    });
    const timer = setInterval(emit, options.progressIntervalMs ?? 250);
    timer.unref();
    emit();

    const linkAll = async (p: PlannedBlob) => {
      for (const f of p.files) await linkSnapshotFile(p.blob, snapshotFilePath(paths, commit, f.path));
    };
    try {
      for (const p of byEtag.values()) if (p.present) await linkAll(p);
      await runPool(missing, options.concurrency ?? 4, async (p) => {
        const label = p.files[0]!.path;
        const release = await acquireBlobLock(paths, p.etag, label);
        try {
          // Another process may have finished it while we waited for the lock.
          if ((await existingSize(p.blob)) !== p.check.size) {
            await transferBlob(
              {
                client,
                controller,
                policy,
                onBytes: (delta) => {
                  if (delta > 0) downloadedBytes += delta;
                  tracker.add(label, delta);
                },
                onRetry: say,
              },
              { label, url: p.url, blob: p.blob, check: p.check },
            );
          }
          tracker.setState(label, 'done');
          await linkAll(p);
        } finally {
          await release();
        }
      }, () => controller.cancel()); // one file failed for good: stop the others (their bytes are kept) and report it now
    } finally {
      clearInterval(timer);
      unsubscribe();
      emit();
    }

    await writeManifest(paths, { version: 1, repoId: info.repoId, revision: options.revision, commit, completedAt: new Date().toISOString(), files: pulled.sort((a, b) => a.path.localeCompare(b.path)) });
    await writeRef(paths, options.revision, commit);
    return { repoId: info.repoId, revision: options.revision, commit, cacheDir, snapshotDir: join(paths.snapshotsDir, commit), files: pulled, totalBytes, downloadedBytes, mirrors, verified: sizeOnlyFiles(pulled).length === 0, sizeOnly: sizeOnlyFiles(pulled) };
  } finally {
    await client.close();
  }
}
