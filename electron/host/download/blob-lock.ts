// One writer per blob across processes: `<cache>/.locks/models--{org}--{name}/<etag>.lock` (the
// folder huggingface_hub uses) holding the owner's pid; see persist/pid-lock.ts.
import { basename, dirname, join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import { acquirePidLock, type ReleaseLock } from '../../common/persist/pid-lock.js';
import type { RepoCachePaths } from './hf-cache-layout.js';

export function lockPath(paths: RepoCachePaths, etag: string): string {
  return join(dirname(paths.repoDir), '.locks', basename(paths.repoDir), `${etag}.lock`);
}

/** Takes the lock or throws DOWNLOAD_BUSY; returns the release function. */
export function acquireBlobLock(paths: RepoCachePaths, etag: string, label: string): Promise<ReleaseLock> {
  return acquirePidLock(lockPath(paths, etag), (owner) =>
    owner === undefined
      ? new ApolloError('DOWNLOAD_BUSY', `Could not lock ${label} for download; try again.`)
      : new ApolloError('DOWNLOAD_BUSY', `Another Apollo ${owner === process.pid ? 'download in this process' : `process (pid ${owner})`} is downloading ${label}; wait for it to finish, then try again.`),
  );
}
