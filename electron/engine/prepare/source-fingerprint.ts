// Fingerprint of an original checkpoint folder, cheap enough to compute on every `generate`:
// per file its relative path, size, mtime and a SHA-256 of its "head" — the whole file for
// configs and tokenizers (small), the 8-byte length plus JSON header for .safetensors (names,
// dtypes, shapes and offsets of every tensor). Fully hashing 3–15 GB of weights would cost tens of
// seconds per launch; a content change that keeps the size, the header and the mtime requires
// deliberately restoring the mtime, which we accept. Output files, in contrast, are fully hashed.
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ApolloError } from '../../shared/errors.js';

/** Files at most this large are hashed whole. */
const WHOLE_FILE_HASH_LIMIT = 16 * 1024 * 1024;
/** Larger non-safetensors files: hash this many leading bytes. */
const HEAD_BYTES = 1024 * 1024;
/** Matches the safetensors reader's header cap. */
const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;

export const FINGERPRINT_METHOD = 'size+mtime+sha256(head: whole file <= 16 MiB, safetensors header, else first 1 MiB)';

export interface SourceFileFingerprint {
  path: string;
  size: number;
  mtimeMs: number;
  headSha256: string;
}

export interface SourceFingerprint {
  method: string;
  /** SHA-256 over every file entry, hex. */
  digest: string;
  files: SourceFileFingerprint[];
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue; // .cache, .git, editor files: not part of the model
      const p = join(dir, e.name);
      // Symlinks (Hugging Face snapshot folders) are followed through stat.
      const s = e.isSymbolicLink() ? await stat(p) : undefined;
      if (e.isDirectory() || s?.isDirectory() === true) await walk(p);
      else if (e.isFile() || s?.isFile() === true) out.push(p);
    }
  };
  await walk(root);
  return out.sort();
}

async function headHash(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    let length = Math.min(size, HEAD_BYTES);
    if (size <= WHOLE_FILE_HASH_LIMIT) length = size;
    else if (path.endsWith('.safetensors') && size >= 8) {
      const lenBuf = Buffer.alloc(8);
      await fh.read(lenBuf, 0, 8, 0);
      const n = Number(lenBuf.readBigUInt64LE(0));
      if (n <= MAX_SAFETENSORS_HEADER && n <= size - 8) length = 8 + n;
    }
    const buf = Buffer.alloc(Math.min(length, 4 * 1024 * 1024));
    let pos = 0;
    while (pos < length) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - pos), pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

export async function fingerprintSource(dir: string): Promise<SourceFingerprint> {
  let s;
  try {
    s = await stat(dir);
  } catch {
    throw new ApolloError('FILE_NOT_FOUND', `The model folder ${dir} does not exist; check the path.`);
  }
  if (!s.isDirectory()) throw new ApolloError('CHECKPOINT_INVALID', `${dir} is not a folder; pass the checkpoint folder (the one holding config.json).`);
  const files: SourceFileFingerprint[] = [];
  for (const path of await listFiles(dir)) {
    const st = await stat(path);
    files.push({ path: relative(dir, path).split(sep).join('/'), size: st.size, mtimeMs: Math.round(st.mtimeMs), headSha256: await headHash(path, st.size) });
  }
  const digest = createHash('sha256').update(JSON.stringify(files.map((f) => [f.path, f.size, f.mtimeMs, f.headSha256]))).digest('hex');
  return { method: FINGERPRINT_METHOD, digest, files };
}
