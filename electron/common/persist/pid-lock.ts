// One writer per resource across processes (a blob being downloaded, a folder being prepared): an
// exclusive lock file holding the owner's pid. A lock left by a killed process (its pid no longer
// runs) is taken over; a lock this process already holds is busy too, so two tasks of one process
// never share a writer either.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ApolloError } from '../../shared/errors.js';

export type ReleaseLock = () => Promise<void>;

/** Lock files this process holds right now (absolute paths). */
const heldHere = new Set<string>();

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded in a lock file, or undefined when it is absent, empty or not a pid. */
export async function lockOwner(path: string): Promise<number | undefined> {
  const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Takes the lock at `path` (creating its folder) or throws `busy(owner)` while a live process
 * (this one included) holds it. Returns the release function.
 */
export async function acquirePidLock(path: string, busy: (owner: number | undefined) => ApolloError): Promise<ReleaseLock> {
  const file = resolve(path);
  if (heldHere.has(file)) throw busy(process.pid);
  await mkdir(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      heldHere.add(file);
      return async () => {
        heldHere.delete(file);
        await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (heldHere.has(file)) throw busy(process.pid); // taken by another task of ours meanwhile
      const owner = await lockOwner(file);
      // Our own pid in a file we do not hold: left by a dead process that had our pid.
      if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) throw busy(owner);
      await rm(file, { force: true }); // stale: its owner was killed
    }
  }
  throw busy(undefined);
}
