import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import { acquirePidLock } from '../../electron/common/persist/pid-lock.js';
import { makeTempDir } from '../helpers/paths.js';

const root = makeTempDir('pid-lock');
afterAll(() => rmSync(root, { recursive: true, force: true }));
const busy = (owner: number | undefined) => new ApolloError('PREPARE_BUSY', `held by ${owner}`);

describe('acquirePidLock', () => {
  it('writes our pid, creating the folder, and removes the file on release', async () => {
    const path = join(root, 'a', 'b', 'x.lock');
    const release = await acquirePidLock(path, busy);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    await release();
    expect(existsSync(path)).toBe(false);
  });

  it('is busy while a live process holds it, and takes over the lock of a dead one', async () => {
    const path = join(root, 'live.lock');
    writeFileSync(path, String(process.ppid));
    await expect(acquirePidLock(path, busy)).rejects.toMatchObject({ code: 'PREPARE_BUSY', message: `held by ${process.ppid}` });
    writeFileSync(path, '2147483646'); // no such process
    const release = await acquirePidLock(path, busy);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    await release();
  });

  it('is busy for a second task of the same process, free again after release', async () => {
    const path = join(root, 'self.lock');
    const release = await acquirePidLock(path, busy);
    await expect(acquirePidLock(path, busy)).rejects.toMatchObject({ message: `held by ${process.pid}` });
    await release();
    await (await acquirePidLock(path, busy))();
  });

  it('takes over a file with our own pid that this process does not hold (left by a dead process)', async () => {
    const path = join(root, 'recycled.lock');
    writeFileSync(path, String(process.pid));
    const release = await acquirePidLock(path, busy);
    await release();
  });
});
