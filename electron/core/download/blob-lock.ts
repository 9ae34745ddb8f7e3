// One writer per blob across processes: `<cache>/.locks/models--{org}--{name}/<etag>.lock` (the
// folder huggingface_hub uses) holding the owner's pid. A lock left by a killed process is taken over.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { RepoCachePaths } from './hf-cache-layout.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

export function lockPath(paths: RepoCachePaths, etag: string): string {
  return join(dirname(paths.repoDir), '.locks', basename(paths.repoDir), `${etag}.lock`);
}

/** Takes the lock or throws DOWNLOAD_BUSY; returns the release function. */
export async function acquireBlobLock(paths: RepoCachePaths, etag: string, label: string): Promise<() => Promise<void>> {
  const file = lockPath(paths, etag);
  await mkdir(dirname(file), { recursive: true });
  for (let tries = 0; tries < 3; tries++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new ApolloError('DOWNLOAD_BUSY', `Another Apollo process (pid ${owner}) is downloading ${label}; wait for it to finish, then try again.`);
      }
      await rm(file, { force: true }); // stale: its owner died (kill -9, crash)
    }
  }
  throw new ApolloError('DOWNLOAD_BUSY', `Could not lock ${label} for download; try again.`);
}
