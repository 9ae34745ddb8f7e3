// A video's identity by content, not path: a moved or renamed copy keeps its chat and its cached
// clip embeddings. It is the one key of every per-video cache (chat history, clip embeddings, the
// engine's plan memo), computed once when the video is opened. Hashing a 4 GB file whole would take
// seconds, so the fingerprint covers the size and 1 MiB at the start, middle and end (where
// containers keep their indexes); files up to 1 MiB are hashed whole. Changing the scheme orphans
// every saved chat, hence the version tag.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
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
