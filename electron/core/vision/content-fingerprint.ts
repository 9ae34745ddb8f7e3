// Content fingerprints: the cache keys a video by what it holds, not where it lives, so a renamed
// or copied file hits the same entry.
//
// Why sampled and not a full hash: hashing a 2 GB video costs seconds (SHA-256 runs at ~0.5–2 GB/s
// here, plus the read), which alone would break the "re-open an hour-long video in under a second"
// goal. The size plus 64 evenly spread 64 KiB windows (first and last included: container headers
// and index) changes whenever the file is re-encoded, trimmed or remuxed; two different videos of
// the same byte length that agree on all 4 MiB sampled are not a practical case. Small files
// (≤ the sampled total) are hashed whole.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ApolloError } from '../../shared/errors.js';

export interface SampledDigestOptions {
  windows?: number;
  windowBytes?: number;
}

/** SHA-256 (hex) of the byte size and evenly spaced windows of a file (the whole file when small). */
export async function sampledFileDigest(path: string, options: SampledDigestOptions = {}): Promise<string> {
  const windows = options.windows ?? 64;
  const windowBytes = options.windowBytes ?? 64 * 1024;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ApolloError('FILE_NOT_FOUND', `${path} does not exist; check the path.`, { cause: error });
    throw new ApolloError('FILE_UNREADABLE', `${path} cannot be read (${code ?? 'unknown error'}); check its permissions.`, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    const hash = createHash('sha256');
    hash.update(`size:${size};`);
    const buffer = Buffer.alloc(windowBytes);
    const readAt = async (position: number, length: number) => {
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      hash.update(buffer.subarray(0, done));
    };
    if (size <= windows * windowBytes) {
      for (let p = 0; p < size; p += windowBytes) await readAt(p, Math.min(windowBytes, size - p));
    } else {
      const span = size - windowBytes;
      for (let i = 0; i < windows; i++) await readAt(Math.floor((span * i) / (windows - 1)), windowBytes);
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** A video's content fingerprint (see the note at the top of this file). */
export function fingerprintVideo(path: string): Promise<string> {
  return sampledFileDigest(path);
}
