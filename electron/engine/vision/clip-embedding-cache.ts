// Clip embeddings cached on disk, one file per (video content, model, sampling settings, precision).
// An entry is written aside and renamed into place (concurrent writers never leave a torn file),
// carries a SHA-256 of its bytes (a corrupt or truncated entry is detected, deleted and recomputed)
// and the cache is trimmed to a byte limit, least recently used first (a hit refreshes the mtime).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const MAGIC = 'APOLLOCE';
const FORMAT_VERSION = 1;
/**
 * The kinds of file this folder holds, all under one size limit (the user's cache-size setting):
 * clip embeddings, and the KV cache of a video's prompt prefix (llm/kv-prefix-cache.ts).
 */
export const CACHE_ENTRY_SUFFIXES = { clipEmbeddings: '.clipemb', kvPrefix: '.kvprefix' } as const;
const ENTRY_SUFFIX = CACHE_ENTRY_SUFFIXES.clipEmbeddings;
const DIGEST_BYTES = 32;

/** What identifies an entry; every field changes the key. */
export interface ClipCacheKeyParts {
  videoFingerprint: string;
  modelId: string;
  /** Sampling settings (clip duration, frames per clip, ratio, budget, tokens per clip). */
  sampling: unknown;
  precision: string;
}

/** Stable JSON: object keys sorted, so the key does not depend on property order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function clipCacheKey(parts: ClipCacheKeyParts): string {
  return createHash('sha256').update(stableJson({ format: FORMAT_VERSION, ...parts })).digest('hex');
}

/**
 * The key of a video's partial entry: the clips encoded before a cancel (or an early answer), kept
 * so the next encode resumes with the rest. Its metadata lists them (`encodedClips`).
 */
export function partialClipCacheKey(key: string): string {
  return createHash('sha256').update(`partial:${key}`).digest('hex');
}

export interface CachedClipEmbeddings {
  clips: number;
  numLatents: number;
  hiddenSize: number;
  /** (clips, numLatents, hiddenSize) */
  embeddings: Float32Array;
  /** Free-form JSON the writer stored (the clip plan: frame indices, timestamps). */
  metadata: Record<string, unknown>;
}

const headerSchema = z.object({
  key: z.string(),
  clips: z.number().int().nonnegative(),
  numLatents: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  metadata: z.record(z.string(), z.unknown()),
});

/** The cache size when no setting says otherwise (the app's default "cache size"). */
export const DEFAULT_CLIP_CACHE_BYTES = 2 * 1024 ** 3;

export interface ClipEmbeddingCacheOptions {
  /** Total bytes kept; older entries are evicted past it (default DEFAULT_CLIP_CACHE_BYTES). */
  maxBytes?: number;
}

/** Why a lookup missed, for logs and tests. */
export type CacheMiss = 'absent' | 'corrupt';

export class ClipEmbeddingCache {
  private limit: number;
  /** Entries found damaged and deleted since this object was made. */
  discarded = 0;

  constructor(readonly dir: string, options: ClipEmbeddingCacheOptions = {}) {
    this.limit = options.maxBytes ?? DEFAULT_CLIP_CACHE_BYTES;
  }

  /** Total bytes kept; older entries are evicted past it. */
  get maxBytes(): number {
    return this.limit;
  }

  /** Changes the limit (the user's cache-size setting); the next write trims the cache to it. */
  setMaxBytes(bytes: number): void {
    if (!Number.isFinite(bytes) || bytes <= 0) throw new RangeError('the clip cache limit must be a positive number of bytes');
    this.limit = bytes;
  }

  private pathOf(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new RangeError('cache keys are SHA-256 hex digests');
    return join(this.dir, `${key}${ENTRY_SUFFIX}`);
  }

  /** Deletes an entry (absent is fine). */
  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** The entry, or why there is none; a damaged entry is deleted. */
  async lookup(key: string): Promise<{ hit: CachedClipEmbeddings } | { miss: CacheMiss }> {
    const path = this.pathOf(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return { miss: 'absent' };
    }
    const entry = decodeEntry(bytes, key);
    if (entry === undefined) {
      this.discarded++;
      await rm(path, { force: true }).catch(() => {});
      return { miss: 'corrupt' };
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => {}); // LRU order; another process may have evicted it
    return { hit: entry };
  }

  async get(key: string): Promise<CachedClipEmbeddings | undefined> {
    const r = await this.lookup(key);
    return 'hit' in r ? r.hit : undefined;
  }

  /** Writes the entry (aside, then renamed into place) and trims the cache to its limit. */
  async put(key: string, entry: CachedClipEmbeddings): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.${key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, encodeEntry(key, entry), { flush: true });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw error;
    }
    await this.evict(key);
  }

  /** Deletes least recently used entries of every kind until the total fits; entries named `keep` are never evicted. */
  async evict(keep?: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    const entries: { path: string; size: number; mtime: number; key: string }[] = [];
    for (const name of names) {
      const suffix = Object.values(CACHE_ENTRY_SUFFIXES).find((x) => name.endsWith(x));
      if (suffix === undefined || name.startsWith('.')) continue;
      const path = join(this.dir, name);
      try {
        const s = await stat(path);
        entries.push({ path, size: s.size, mtime: s.mtimeMs, key: name.slice(0, -suffix.length) });
      } catch {
        // evicted by another process meanwhile
      }
    }
    let total = entries.reduce((a, e) => a + e.size, 0);
    entries.sort((a, b) => a.mtime - b.mtime);
    for (const e of entries) {
      if (total <= this.limit) break;
      if (e.key === keep) continue;
      await rm(e.path, { force: true }).catch(() => {});
      total -= e.size;
    }
  }
}

/** Layout: MAGIC, u32 version, u32 header length, header JSON, pad to 4, float32 payload, SHA-256 of all before. */
export function encodeEntry(key: string, entry: CachedClipEmbeddings): Buffer {
  if (entry.embeddings.length !== entry.clips * entry.numLatents * entry.hiddenSize) throw new RangeError('embeddings do not match clips × numLatents × hiddenSize');
  const header = Buffer.from(JSON.stringify({ key, clips: entry.clips, numLatents: entry.numLatents, hiddenSize: entry.hiddenSize, metadata: entry.metadata }));
  const headerEnd = MAGIC.length + 8 + header.length;
  const payloadStart = Math.ceil(headerEnd / 4) * 4;
  const out = Buffer.alloc(payloadStart + entry.embeddings.byteLength + DIGEST_BYTES);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(FORMAT_VERSION, MAGIC.length);
  out.writeUInt32LE(header.length, MAGIC.length + 4);
  header.copy(out, MAGIC.length + 8);
  Buffer.from(entry.embeddings.buffer, entry.embeddings.byteOffset, entry.embeddings.byteLength).copy(out, payloadStart);
  createHash('sha256').update(out.subarray(0, out.length - DIGEST_BYTES)).digest().copy(out, out.length - DIGEST_BYTES);
  return out;
}

/**
 * An entry file's header alone (its payload is neither read nor checked): enough to say which video
 * it belongs to (`metadata.videoFingerprint`) and how many clips it holds. Undefined when it is not one.
 */
export async function readEntryHeader(path: string): Promise<z.infer<typeof headerSchema> | undefined> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (fh === undefined) return undefined;
  try {
    const fixed = Buffer.alloc(MAGIC.length + 8);
    if ((await fh.read(fixed, 0, fixed.length, 0)).bytesRead !== fixed.length || fixed.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    const length = fixed.readUInt32LE(MAGIC.length + 4);
    if (length > 64 * 1024 ** 2) return undefined;
    const header = Buffer.alloc(length);
    if ((await fh.read(header, 0, length, fixed.length)).bytesRead !== length) return undefined;
    const parsed = headerSchema.safeParse(JSON.parse(header.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  } finally {
    await fh.close().catch(() => {});
  }
}

/** The entry, or undefined when anything is off (wrong magic/version/key, truncated, checksum). */
export function decodeEntry(bytes: Buffer, key: string): CachedClipEmbeddings | undefined {
  if (bytes.length < MAGIC.length + 8 + DIGEST_BYTES || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
  if (bytes.readUInt32LE(MAGIC.length) !== FORMAT_VERSION) return undefined;
  const digest = createHash('sha256').update(bytes.subarray(0, bytes.length - DIGEST_BYTES)).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) return undefined;
  const headerLength = bytes.readUInt32LE(MAGIC.length + 4);
  const headerEnd = MAGIC.length + 8 + headerLength;
  if (headerEnd > bytes.length - DIGEST_BYTES) return undefined;
  let header: z.infer<typeof headerSchema>;
  try {
    const parsed = headerSchema.safeParse(JSON.parse(bytes.toString('utf8', MAGIC.length + 8, headerEnd)));
    if (!parsed.success) return undefined;
    header = parsed.data;
  } catch {
    return undefined;
  }
  if (header.key !== key) return undefined;
  const payloadStart = Math.ceil(headerEnd / 4) * 4;
  const count = header.clips * header.numLatents * header.hiddenSize;
  if (payloadStart + count * 4 !== bytes.length - DIGEST_BYTES) return undefined;
  const embeddings = new Float32Array(count);
  new Uint8Array(embeddings.buffer).set(bytes.subarray(payloadStart, payloadStart + count * 4));
  return { clips: header.clips, numLatents: header.numLatents, hiddenSize: header.hiddenSize, embeddings, metadata: header.metadata };
}

/** The cached embeddings for `key`, or `encode()`'s result, stored for next time. */
export async function loadOrEncodeClipEmbeddings(
  cache: ClipEmbeddingCache,
  key: string,
  encode: () => Promise<CachedClipEmbeddings>,
): Promise<{ entry: CachedClipEmbeddings; fromCache: boolean; miss?: CacheMiss }> {
  const found = await cache.lookup(key);
  if ('hit' in found) return { entry: found.hit, fromCache: true };
  const entry = await encode();
  await cache.put(key, entry);
  return { entry, fromCache: false, miss: found.miss };
}
