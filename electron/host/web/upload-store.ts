// Web mode's uploads (a browser cannot hand over a path), kept in `<data>/uploads/`:
// - owner-only: folders 0700, files 0600, like the chats;
// - bounded: a declared length is required (411 without one), refused over the cap (413) or when
//   the disk would keep less than a reserve free (507), both before the first byte is written, and
//   the bytes are counted as they come;
// - by content: the bytes are hashed as they arrive and stored as `<sha256>/<name>`; a second
//   upload of the same file keeps the first copy and deletes its own;
// - never half: an upload is written under `.partial/` and renamed into place once complete; an
//   interrupted one is deleted, and leftovers are deleted at start;
// - not kept for nothing: at start, uploads that no chat refers to are deleted (`sweep`).
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApolloError } from '../../shared/errors.js';

export interface UploadLimits {
  /** Largest upload accepted, in bytes. */
  maxBytes: number;
  /** Free space the disk must keep after the upload, in bytes. */
  reserveBytes: number;
}

const PARTIAL = '.partial';

/** A file name safe to keep in our upload folder and to show back to the user. */
export function sanitizeUploadName(raw: string | undefined): string {
  let name = 'video';
  try {
    name = decodeURIComponent(raw ?? 'video');
  } catch {
    // keep the default
  }
  name = name.replace(/[/\\\0]/g, '_').replace(/^\.+/, '').slice(0, 200);
  return name === '' ? 'video' : name;
}

export class UploadStore {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly limits: UploadLimits,
    private readonly freeBytes: (dir: string) => Promise<number> = async (dir) => {
      const s = await statfs(dir);
      return s.bavail * s.bsize;
    },
  ) {
    this.dir = join(dataDir, 'uploads');
  }

  private async ensureDirs(): Promise<void> {
    await mkdir(join(this.dir, PARTIAL), { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') await chmod(this.dir, 0o700);
  }

  /** Stores an upload of `declaredBytes` bytes; returns the path of its (possibly earlier) copy. */
  async receive(body: Readable, declaredBytes: number | undefined, rawName: string | undefined): Promise<string> {
    const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
    if (declaredBytes === undefined || !Number.isSafeInteger(declaredBytes) || declaredBytes < 0) {
      throw new ApolloError('INVALID_ARGUMENT', 'The upload did not say how large it is (Content-Length); drop the file again.', { details: { status: 411 } });
    }
    if (declaredBytes > this.limits.maxBytes) {
      throw new ApolloError('INVALID_ARGUMENT', `That file is too large to upload (${gib(declaredBytes)}; the limit is ${gib(this.limits.maxBytes)}).`, { details: { status: 413 } });
    }
    await this.ensureDirs();
    const free = await this.freeBytes(this.dir);
    if (free - declaredBytes < this.limits.reserveBytes) {
      throw new ApolloError('DISK_FULL', `There is not enough free disk space for this upload (${gib(declaredBytes)} needed, ${gib(free)} free, ${gib(this.limits.reserveBytes)} kept free); free some space or start the server with another --data-dir.`, { details: { status: 507 } });
    }
    const name = sanitizeUploadName(rawName);
    const partial = join(this.dir, PARTIAL, randomUUID());
    const hash = createHash('sha256');
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        if (received > declaredBytes) return done(new ApolloError('INVALID_MESSAGE', 'The upload sent more bytes than it declared.', { details: { status: 400 } }));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
      if (received !== declaredBytes) throw new ApolloError('INVALID_MESSAGE', 'The upload was interrupted; drop the file again.');
    } catch (error) {
      await rm(partial, { force: true });
      if (error instanceof ApolloError) throw error;
      throw new ApolloError('INVALID_MESSAGE', 'The upload was interrupted; drop the file again.', { cause: error });
    }
    return this.place(partial, hash.digest('hex'), name);
  }

  /** Moves a complete upload to `<sha256>/<name>`, or keeps the copy already there. */
  private async place(partial: string, digest: string, name: string): Promise<string> {
    const home = join(this.dir, digest);
    await mkdir(home, { recursive: true, mode: 0o700 });
    const existing = (await readdir(home)).find((f) => !f.startsWith('.'));
    if (existing !== undefined) {
      await rm(partial, { force: true });
      return join(home, existing);
    }
    const target = join(home, name);
    await rename(partial, target);
    return target;
  }

  /**
   * Deletes interrupted uploads, and every upload `isReferenced` says no chat needs (also those of
   * the older one-folder-per-upload layout). Run at start, before anything is opened.
   */
  async sweep(isReferenced: (path: string) => Promise<boolean>): Promise<string[]> {
    const removed: string[] = [];
    await rm(join(this.dir, PARTIAL), { recursive: true, force: true });
    let entries;
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch {
      return removed;
    }
    for (const entry of entries) {
      const folder = join(this.dir, entry.name);
      if (!entry.isDirectory()) continue;
      const files = (await readdir(folder, { withFileTypes: true })).filter((f) => f.isFile());
      let keep = false;
      for (const f of files) if (await isReferenced(join(folder, f.name)).catch(() => true)) keep = true;
      if (!keep) {
        await rm(folder, { recursive: true, force: true });
        removed.push(folder);
      }
    }
    return removed;
  }
}
