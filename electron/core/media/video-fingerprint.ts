// A video's identity by content, not path: a moved or renamed copy keeps its chat and its cached
// clip embeddings. Hashing a 4 GB file whole would take seconds, so the fingerprint covers the
// size and 1 MiB at the start, middle and end (where containers keep their indexes).
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK = 1024 * 1024;

export async function videoFingerprint(path: string): Promise<string> {
  const handle = await open(path, 'r');
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
