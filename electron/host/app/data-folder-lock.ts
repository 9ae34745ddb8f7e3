// One process per data folder: chats, settings, the recent list and uploads are read once and then
// rewritten whole, so two processes on one folder would overwrite each other's writes (a chat of 64
// turns came back with 4). The host that owns the folder holds `apollo.lock` (persist/pid-lock.ts:
// the owner's pid; a lock left by a killed process is taken over); another one is refused with
// DATA_FOLDER_BUSY naming the process that holds it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquirePidLock, type ReleaseLock } from '../../common/persist/pid-lock.js';
import { ApolloError } from '../../shared/errors.js';

export const DATA_FOLDER_LOCK = 'apollo.lock';

/** The command line of a process, where the system shows it (Linux /proc), for the message. */
function describeProcess(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const shown = argv.map((a) => a.replace(/^.*[\\/]/, '')).join(' ');
    return shown === '' ? `pid ${pid}` : `pid ${pid}: ${shown.slice(0, 160)}`;
  } catch {
    return `pid ${pid}`;
  }
}

export function lockDataFolder(dataDir: string): Promise<ReleaseLock> {
  return acquirePidLock(join(dataDir, DATA_FOLDER_LOCK), (owner) => {
    const who = owner === undefined ? 'Another Apollo process' : owner === process.pid ? 'This process' : `Another Apollo process (${describeProcess(owner)})`;
    return new ApolloError('DATA_FOLDER_BUSY', `${who} is using the data folder ${dataDir}; stop it first, or start this one with another folder (--data-dir or APOLLO_DATA_DIR).`, {
      details: { dataDir, ...(owner === undefined ? {} : { pid: owner }) },
    });
  });
}
