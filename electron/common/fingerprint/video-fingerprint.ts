// A video's identity by content, not path: a moved or renamed copy keeps its chat and its cached
// clip embeddings. It is the one key of every per-video cache (chat history, clip embeddings, the
// engine's plan memo), computed once when the video is opened. Hashing a 4 GB file whole would take
// seconds, so the fingerprint covers the size and 1 MiB at the start, middle and end (where
// containers keep their indexes); files up to 1 MiB are hashed whole. Changing the scheme orphans
// every saved chat, hence the version tag.
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { ApolloError } from '../../shared/errors.js';

const CHUNK = 1024 * 1024;

async function openForFingerprint(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ApolloError('FILE_NOT_FOUND', `${path} does not exist; check the path.`, { cause: error });
    throw new ApolloError('FILE_UNREADABLE', `${path} cannot be read (${code ?? 'unknown error'}); check its permissions.`, { cause: error });
  }
}

/** SHA-256 (hex) of the size and the first, middle and last MiB of the file. */
export async function videoFingerprint(path: string): Promise<string> {
  const handle = await openForFingerprint(path);
  try {
    const { size } = await handle.stat();
    const hash = createHash('sha256');
    hash.update(`apollo-video-v1:${size}:`);
    const buffer = Buffer.alloc(CHUNK);
    for (const offset of [0, Math.max(0, Math.floor(size / 2) - CHUNK / 2), Math.max(0, size - CHUNK)]) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, size), offset);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** What says a file was not replaced or rewritten: its identity (device, inode), size and mtime. */
export interface VideoFileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export async function videoFileStamp(path: string): Promise<VideoFileStamp> {
  const s = await stat(path);
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
}

/**
 * Throws VIDEO_CHANGED unless the file at `path` still has the content `key` names and the stamp
 * taken before reading it: work read from a file that changed meanwhile (replaced, rewritten) must
 * not be stored under the old content's key (the clip cache would answer for the other video).
 */
export async function assertVideoUnchanged(path: string, key: string, before: VideoFileStamp): Promise<void> {
  const changed = () => new ApolloError('VIDEO_CHANGED', undefined, { details: { path } });
  let after: VideoFileStamp;
  try {
    after = await videoFileStamp(path);
  } catch (error) {
    throw new ApolloError('VIDEO_CHANGED', undefined, { details: { path }, cause: error });
  }
  if (after.dev !== before.dev || after.ino !== before.ino || after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw changed();
  if ((await videoFingerprint(path)) !== key) throw changed();
}
