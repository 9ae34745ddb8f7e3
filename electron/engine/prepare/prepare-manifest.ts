// manifest.json of a prepared folder: what was built, from what, by which builder, with which
// options, and the SHA-256 of every output file, so a stale or damaged folder is detected.
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export const PRECISIONS = ['fp32', 'fp16', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

const fileEntry = z.object({ path: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type ManifestFile = z.infer<typeof fileEntry>;

const artifactEntry = z.object({
  version: z.string(),
  /** Main file of the artifact (e.g. the .onnx graph), relative to the prepared folder. */
  entry: z.string().optional(),
  files: z.array(fileEntry),
  info: z.record(z.string(), z.unknown()).optional(),
});
export type ManifestArtifact = z.infer<typeof artifactEntry>;

export const prepareOptionsSchema = z.object({
  precision: z.enum(PRECISIONS),
  /** int4 only: MatMulNBits block size, symmetric (no zero points) or not, accuracy_level. */
  int4: z.object({ blockSize: z.number().int(), symmetric: z.boolean(), accuracyLevel: z.number().int().min(0).max(4) }).optional(),
});
export type PrepareOptionsRecord = z.infer<typeof prepareOptionsSchema>;

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  /** Builder identity: the prepare format plus every artifact builder's version. */
  builderVersion: z.string(),
  options: prepareOptionsSchema,
  source: z.object({
    dir: z.string(),
    fingerprintMethod: z.string(),
    fingerprint: z.string(),
    files: z.array(z.object({ path: z.string(), size: z.number(), mtimeMs: z.number(), headSha256: z.string() })),
  }),
  /** Which implementation quantized/converted the weights (native addon or TypeScript twin). */
  conversionBackend: z.string(),
  createdAt: z.string(),
  artifacts: z.record(z.string(), artifactEntry),
});
export type PreparedManifest = z.infer<typeof manifestSchema>;

export async function sha256File(path: string, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(8 * 1024 * 1024);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
      onBytes?.(bytesRead);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** Every regular file under `dir`, as paths relative to `base` with forward slashes, sorted. */
export async function listOutputFiles(dir: string, base: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(base, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

export async function hashFiles(base: string, paths: string[], onBytes?: (n: number) => void): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const path of paths) {
    const full = join(base, path);
    files.push({ path, bytes: (await stat(full)).size, sha256: await sha256File(full, onBytes) });
  }
  return files;
}

/** Checks the files of a manifest against the folder: sizes always, SHA-256 when `full`. Returns the first problem. */
export async function verifyFiles(base: string, files: ManifestFile[], full: boolean, onBytes?: (n: number) => void): Promise<string | undefined> {
  for (const f of files) {
    let size: number;
    try {
      size = (await stat(join(base, f.path))).size;
    } catch {
      return `${f.path} is missing`;
    }
    if (size !== f.bytes) return `${f.path} has ${size} bytes, expected ${f.bytes}`;
    if (full && (await sha256File(join(base, f.path), onBytes)) !== f.sha256) return `${f.path} does not match its SHA-256`;
  }
  return undefined;
}

/**
 * Content checks without re-hashing gigabytes at every launch: `.verified.json` beside the manifest
 * records, per file, the stat (device, inode, size, mtime, ctime) it had when its SHA-256 last
 * matched the manifest. A file whose stat still matches was not touched since (a write changes
 * ctime, which no user can set back); any other file is hashed again before the folder is used.
 */
export const VERIFIED_STAMPS_FILE = '.verified.json';

export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const sameStamp = (a: FileStamp | undefined, b: FileStamp) => a !== undefined && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

/**
 * Verifies `files` under `base` by content, hashing only those whose stamp changed since they last
 * matched; returns the problem (or undefined) and the stamps to record.
 */
export async function verifyFilesByContent(base: string, files: ManifestFile[], known: Record<string, FileStamp>, onBytes?: (n: number) => void): Promise<{ problem?: string; stamps: Record<string, FileStamp>; hashed: string[] }> {
  const stamps: Record<string, FileStamp> = {};
  const hashed: string[] = [];
  for (const f of files) {
    let stamp: FileStamp;
    try {
      const s = await stat(join(base, f.path), { bigint: false });
      stamp = { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
    } catch {
      return { problem: `${f.path} is missing`, stamps, hashed };
    }
    if (stamp.size !== f.bytes) return { problem: `${f.path} has ${stamp.size} bytes, expected ${f.bytes}`, stamps, hashed };
    if (!sameStamp(known[f.path], stamp)) {
      hashed.push(f.path);
      if ((await sha256File(join(base, f.path), onBytes)) !== f.sha256) return { problem: `${f.path} does not match its SHA-256 (the file was changed or damaged)`, stamps, hashed };
    }
    stamps[f.path] = stamp;
  }
  return { stamps, hashed };
}
