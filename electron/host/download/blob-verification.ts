// How a downloaded blob is checked: LFS files by SHA-256 against the hub's lfs oid, other files by
// their git blob id (sha1 of "blob <size>\0" + content), and always by size.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export type BlobCheck = { kind: 'sha256'; hex: string; size: number } | { kind: 'git-sha1'; hex: string; size: number } | { kind: 'size'; size: number };

/** Picks the strongest check the hub's metadata allows; a 64-hex etag is itself a SHA-256. */
export function blobCheckFor(file: { size: number; lfsSha256?: string; gitOid?: string }, etag: string): BlobCheck {
  if (file.lfsSha256 !== undefined) return { kind: 'sha256', hex: file.lfsSha256.toLowerCase(), size: file.size };
  if (/^[0-9a-f]{64}$/.test(etag)) return { kind: 'sha256', hex: etag, size: file.size };
  const sha1 = file.gitOid ?? etag;
  if (/^[0-9a-f]{40}$/.test(sha1)) return { kind: 'git-sha1', hex: sha1, size: file.size };
  return { kind: 'size', size: file.size };
}

/** An incremental hasher matching a check, fed the bytes in order. */
export function createBlobHasher(check: BlobCheck): Hash | undefined {
  if (check.kind === 'sha256') return createHash('sha256');
  if (check.kind === 'git-sha1') return createHash('sha1').update(`blob ${check.size}\0`);
  return undefined;
}

export function digestMatches(check: BlobCheck, hasher: Hash | undefined, size: number): boolean {
  if (size !== check.size) return false;
  if (check.kind === 'size' || hasher === undefined) return true;
  return hasher.digest('hex') === check.hex;
}

/** Feeds the first `length` bytes of a file to a hasher (the part of a resumed download already on disk). */
export async function hashFilePrefix(path: string, length: number, hasher: Hash | undefined): Promise<void> {
  if (hasher === undefined || length === 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20 })) hasher.update(chunk as Buffer);
}

export async function verifyBlobFile(path: string, check: BlobCheck, size: number): Promise<boolean> {
  const hasher = createBlobHasher(check);
  await hashFilePrefix(path, size, hasher);
  return digestMatches(check, hasher, size);
}
