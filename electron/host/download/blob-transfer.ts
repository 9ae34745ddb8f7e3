// Downloads one blob into `blobs/<etag>.incomplete`, resuming with HTTP Range from what is already
// there, verifies it, and only then renames it to `blobs/<etag>`. Network errors and 5xx are retried
// with backoff; a checksum mismatch discards the bytes and starts over.
import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import { ApolloError } from '../../shared/errors.js';
import { createBlobHasher, digestMatches, hashFilePrefix, type BlobCheck } from './blob-verification.js';
import { PauseInterrupt, type DownloadController } from './download-controller.js';
import { HubHttpError, isNetworkError, type HubClient } from './hub-client.js';
import { backoffDelayMs, sleep, type RetryPolicy } from './retry-policy.js';

export interface BlobJob {
  /** For messages: the file's path in the repository. */
  label: string;
  url: string;
  blob: string;
  check: BlobCheck;
}

export interface TransferContext {
  client: HubClient;
  controller: DownloadController;
  policy: RetryPolicy;
  /** Bytes that arrived (positive) or were thrown away (negative). */
  onBytes: (delta: number) => void;
  onRetry?: (message: string) => void;
}

class ShortBodyError extends Error {
  constructor(got: number, want: number) {
    super(`the connection closed after ${got} of ${want} bytes`);
    this.name = 'ShortBodyError';
  }
}

class ChecksumMismatch extends Error {
  constructor(label: string) {
    super(`${label} did not match its checksum`);
    this.name = 'ChecksumMismatch';
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** One request: append what the server sends from the current offset, then check the whole file. */
async function attemptOnce(ctx: TransferContext, job: BlobJob, signal: AbortSignal): Promise<void> {
  const incomplete = `${job.blob}.incomplete`;
  const size = job.check.size;
  let have = await fileSize(incomplete);
  if (have > size) {
    await truncate(incomplete, 0);
    ctx.onBytes(-have);
    have = 0;
  }
  let hasher = createBlobHasher(job.check);
  await hashFilePrefix(incomplete, have, hasher);
  if (have < size) {
    const res = await ctx.client.openBytes(job.url, have, signal);
    if (res.status === 416 || (res.status === 206 && res.start !== have)) {
      // The server cannot continue from our offset: start the file over.
      res.body.destroy();
      await rm(incomplete, { force: true });
      ctx.onBytes(-have);
      throw new ShortBodyError(0, size);
    }
    if (res.status === 200 && have > 0) {
      ctx.onBytes(-have);
      have = 0;
      hasher = createBlobHasher(job.check);
    }
    let fd;
    try {
      fd = await open(incomplete, have === 0 ? 'w' : 'a');
    } catch (error) {
      res.body.destroy();
      throw error;
    }
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        if (have + buf.length > size) throw new ChecksumMismatch(job.label);
        await fd.write(buf);
        hasher?.update(buf);
        have += buf.length;
        ctx.onBytes(buf.length);
      }
      await fd.datasync();
    } finally {
      res.body.destroy();
      await fd.close();
    }
    if (have < size) throw new ShortBodyError(have, size);
  }
  if (!digestMatches(job.check, hasher, have)) {
    await rm(incomplete, { force: true });
    ctx.onBytes(-have);
    throw new ChecksumMismatch(job.label);
  }
  await rename(incomplete, job.blob);
}

export async function transferBlob(ctx: TransferContext, job: BlobJob): Promise<void> {
  let networkFailures = 0;
  let mismatches = 0;
  for (;;) {
    await ctx.controller.waitWhilePaused();
    const signal = ctx.controller.requestSignal();
    try {
      await attemptOnce(ctx, job, signal);
      return;
    } catch (error) {
      if (ctx.controller.cancelled) throw ctx.controller.cancelSignal.reason as Error;
      if (error instanceof PauseInterrupt || (signal.aborted && signal.reason instanceof PauseInterrupt)) continue;
      if (isDiskFull(error)) {
        throw new ApolloError('DISK_FULL', `The disk filled up while downloading ${job.label}; free some space or set HF_HUB_CACHE to a larger disk, then pull again to resume (what was downloaded is kept).`, { cause: error });
      }
      if (error instanceof ChecksumMismatch) {
        mismatches++;
        if (mismatches >= Math.min(3, ctx.policy.attempts)) {
          throw new ApolloError('DOWNLOAD_CORRUPT', `${job.label} did not match its checksum ${mismatches} times; run the same command again, or use another mirror.`, { cause: error, details: { file: job.label } });
        }
        ctx.onRetry?.(`${job.label} did not match its checksum; downloading it again`);
        continue;
      }
      if (error instanceof HubHttpError && (error.status === 401 || error.status === 403)) {
        throw new ApolloError('HUB_AUTH_REQUIRED', undefined, { cause: error, details: { file: job.label } });
      }
      if (isNetworkError(error)) {
        networkFailures++;
        if (networkFailures >= ctx.policy.attempts) {
          throw new ApolloError('HUB_UNREACHABLE', `Downloading ${job.label} failed ${networkFailures} times (${(error as Error).message}); check your connection, then run the same command again to resume.`, { cause: error });
        }
        const delay = backoffDelayMs(ctx.policy, networkFailures);
        ctx.onRetry?.(`${job.label}: ${(error as Error).message}; retrying in ${(delay / 1000).toFixed(1)} s`);
        await sleep(delay, ctx.controller.cancelSignal);
        continue;
      }
      if (error instanceof HubHttpError) {
        throw new ApolloError('HUB_BAD_RESPONSE', `The hub answered HTTP ${error.status} for ${job.label}; try again later or use another mirror.`, { cause: error });
      }
      throw error;
    }
  }
}
