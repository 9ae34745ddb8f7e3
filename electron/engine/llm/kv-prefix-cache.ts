// The KV cache of a conversation's video prefix (the system turn and the video up to its last clip
// embedding), saved on disk so that re-opening a video — in a new process, after a restart — and
// asking any first question prefills only the question. One file per (clip embeddings, decoder,
// cache dtype, prefix tokens): written aside and renamed into place, SHA-256 over every byte (a
// damaged or truncated file is deleted and the prefix prefilled again), and kept in the clip
// embeddings' folder under the same size limit, least recently used first (clip-embedding-cache.ts).
// The rows are streamed between the file and the decoder session's own cache buffers: no copy of
// the cache is ever held in memory.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { PreparedManifest } from '../prepare/prepare-manifest.js';
import { CACHE_ENTRY_SUFFIXES, stableJson, type ClipEmbeddingCache } from '../vision/clip-embedding-cache.js';
import type { Qwen2DecoderSession } from './qwen2-decoder-session.js';

const MAGIC = 'APOLLOKV';
const FORMAT_VERSION = 1;
const DIGEST_BYTES = 32;

export interface KvPrefixKeyParts {
  /** The clip embeddings' cache key: video content, vision model, sampling settings, vision precision. */
  embeddingsKey: string;
  /** decoderIdentity() of the prepared decoder. */
  decoderId: string;
  kvDtype: 'float32' | 'float16';
  /** The prefix's token ids (−200 marking clip-embedding rows). */
  prefixIds: readonly number[];
}

export function kvPrefixKey(parts: KvPrefixKeyParts): string {
  return createHash('sha256').update(stableJson({ format: FORMAT_VERSION, ...parts })).digest('hex');
}

/** What identifies a prepared decoder: its source, builder, options and files (a rebuild changes it). */
export function decoderIdentity(manifest: PreparedManifest, artifactName: string): string {
  const { builderVersion, options, source, conversionBackend, createdAt } = manifest;
  return createHash('sha256').update(stableJson({ builderVersion, options, source: source.fingerprint, conversionBackend, createdAt, artifact: manifest.artifacts[artifactName] ?? null })).digest('hex');
}

/** Where the video prefix ends: one past its last clip-embedding row, 0 when the ids hold none. */
export function videoPrefixLength(ids: readonly number[], clipMarker: number): number {
  return ids.lastIndexOf(clipMarker) + 1;
}

const headerSchema = z.object({
  key: z.string(),
  length: z.number().int().positive(),
  numLayers: z.number().int().positive(),
  numKvHeads: z.number().int().positive(),
  headDim: z.number().int().positive(),
  dtype: z.enum(['float32', 'float16']),
  prefixIds: z.array(z.number().int()),
  /** The video's content fingerprint (so the video's entries can be found and removed); absent in older files. */
  videoKey: z.string().optional(),
});
type Header = z.infer<typeof headerSchema>;

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

async function writeAll(fh: FileHandle, hash: Hash, bytes: Uint8Array): Promise<void> {
  hash.update(bytes);
  for (let done = 0; done < bytes.length; ) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
}

async function readExactly(fh: FileHandle, into: Uint8Array, position: number): Promise<boolean> {
  for (let done = 0; done < into.length; ) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

/** Every cache buffer of the session, in file order: layer, kv head, key then value. */
function* cacheViews(session: Qwen2DecoderSession, length: number): Generator<Uint8Array> {
  const { numLayers, numKvHeads } = session.config;
  for (let i = 0; i < numLayers; i++)
    for (let j = 0; j < numKvHeads; j++) {
      yield bytesOf(session.cacheRows('key', i, j, 0, length));
      yield bytesOf(session.cacheRows('value', i, j, 0, length));
    }
}

/** A saved prefix's video (its content fingerprint), from the header alone; undefined when unknown or not a prefix file. */
export async function readKvPrefixVideoKey(path: string): Promise<string | undefined> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (fh === undefined) return undefined;
  try {
    const fixed = new Uint8Array(MAGIC.length + 8);
    if (!(await readExactly(fh, fixed, 0))) return undefined;
    const head = Buffer.from(fixed);
    if (head.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    const length = head.readUInt32LE(MAGIC.length + 4);
    if (length > 64 * 1024 ** 2) return undefined;
    const header = new Uint8Array(length);
    if (!(await readExactly(fh, header, fixed.length))) return undefined;
    const parsed = headerSchema.safeParse(JSON.parse(Buffer.from(header).toString('utf8')));
    return parsed.success ? parsed.data.videoKey : undefined;
  } catch {
    return undefined;
  } finally {
    await fh.close().catch(() => {});
  }
}

export type KvPrefixMiss = 'absent' | 'corrupt' | 'mismatch';

export class KvPrefixCache {
  /** Files found damaged and deleted since this object was made. */
  discarded = 0;

  /** Shares the clip embeddings' folder and size limit. */
  constructor(private readonly clips: ClipEmbeddingCache) {}

  private pathOf(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new RangeError('cache keys are SHA-256 hex digests');
    return join(this.clips.dir, `${key}${CACHE_ENTRY_SUFFIXES.kvPrefix}`);
  }

  /**
   * Reads the saved prefix into the session's cache (which then holds exactly it) and returns its
   * ids; on a miss the session's cache is left empty. A damaged file is deleted.
   */
  async load(key: string, session: Qwen2DecoderSession, options: { capacityHint?: number } = {}): Promise<{ prefixIds: number[] } | { miss: KvPrefixMiss }> {
    const path = this.pathOf(key);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch {
      return { miss: 'absent' };
    }
    session.reset();
    let result: { prefixIds: number[] } | { miss: KvPrefixMiss };
    try {
      result = await this.readInto(fh, key, session, options.capacityHint ?? 0);
    } finally {
      await fh.close();
    }
    if ('miss' in result) {
      session.reset();
      if (result.miss === 'corrupt') {
        this.discarded++;
        await rm(path, { force: true }).catch(() => {});
      }
      return result;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => {}); // LRU order; another process may have evicted it
    return result;
  }

  private async readInto(fh: FileHandle, key: string, session: Qwen2DecoderSession, capacityHint: number): Promise<{ prefixIds: number[] } | { miss: KvPrefixMiss }> {
    const size = (await fh.stat()).size;
    const hash = createHash('sha256');
    const fixed = new Uint8Array(MAGIC.length + 8);
    if (size < fixed.length + DIGEST_BYTES || !(await readExactly(fh, fixed, 0))) return { miss: 'corrupt' };
    const head = Buffer.from(fixed);
    if (head.toString('latin1', 0, MAGIC.length) !== MAGIC || head.readUInt32LE(MAGIC.length) !== FORMAT_VERSION) return { miss: 'corrupt' };
    const headerLength = head.readUInt32LE(MAGIC.length + 4);
    if (headerLength > size - fixed.length - DIGEST_BYTES || headerLength > 64 * 1024 ** 2) return { miss: 'corrupt' };
    const headerBytes = new Uint8Array(headerLength);
    if (!(await readExactly(fh, headerBytes, fixed.length))) return { miss: 'corrupt' };
    hash.update(fixed).update(headerBytes);
    let header: Header;
    try {
      const parsed = headerSchema.safeParse(JSON.parse(Buffer.from(headerBytes).toString('utf8')));
      if (!parsed.success) return { miss: 'corrupt' };
      header = parsed.data;
    } catch {
      return { miss: 'corrupt' };
    }
    const c = session.config;
    if (header.key !== key) return { miss: 'corrupt' };
    if (header.numLayers !== c.numLayers || header.numKvHeads !== c.numKvHeads || header.headDim !== c.headDim || header.dtype !== session.kvDtype || header.prefixIds.length !== header.length) return { miss: 'mismatch' };
    const payloadStart = Math.ceil((fixed.length + headerLength) / 8) * 8;
    const rowBytes = c.headDim * (header.dtype === 'float32' ? 4 : 2);
    if (payloadStart + 2 * c.numLayers * c.numKvHeads * header.length * rowBytes + DIGEST_BYTES !== size) return { miss: 'corrupt' };
    const pad = new Uint8Array(payloadStart - fixed.length - headerLength);
    if (!(await readExactly(fh, pad, fixed.length + headerLength))) return { miss: 'corrupt' };
    hash.update(pad);
    session.reserve(header.length, capacityHint);
    let position = payloadStart;
    for (const view of cacheViews(session, header.length)) {
      if (!(await readExactly(fh, view, position))) return { miss: 'corrupt' };
      hash.update(view);
      position += view.length;
    }
    const digest = new Uint8Array(DIGEST_BYTES);
    if (!(await readExactly(fh, digest, position))) return { miss: 'corrupt' };
    if (!hash.digest().equals(digest)) return { miss: 'corrupt' };
    return { prefixIds: header.prefixIds };
  }

  /** Saves the session's first `prefixIds.length` cached positions (they must hold exactly those ids). */
  async save(key: string, session: Qwen2DecoderSession, prefixIds: readonly number[], options: { videoKey?: string } = {}): Promise<void> {
    const length = prefixIds.length;
    if (length < 1 || length > session.length) throw new RangeError(`the session holds ${session.length} positions, not the ${length} of the prefix`);
    const path = this.pathOf(key);
    await mkdir(this.clips.dir, { recursive: true });
    const temp = join(this.clips.dir, `.${key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const c = session.config;
    const header = Buffer.from(JSON.stringify({ key, length, numLayers: c.numLayers, numKvHeads: c.numKvHeads, headDim: c.headDim, dtype: session.kvDtype, prefixIds: [...prefixIds], ...(options.videoKey === undefined ? {} : { videoKey: options.videoKey }) } satisfies Header));
    const fixed = Buffer.alloc(MAGIC.length + 8);
    fixed.write(MAGIC, 0, 'latin1');
    fixed.writeUInt32LE(FORMAT_VERSION, MAGIC.length);
    fixed.writeUInt32LE(header.length, MAGIC.length + 4);
    const payloadStart = Math.ceil((fixed.length + header.length) / 8) * 8;
    const hash = createHash('sha256');
    const fh = await open(temp, 'w', 0o600);
    try {
      await writeAll(fh, hash, fixed);
      await writeAll(fh, hash, header);
      await writeAll(fh, hash, new Uint8Array(payloadStart - fixed.length - header.length));
      for (const view of cacheViews(session, length)) await writeAll(fh, hash, view);
      const digest = hash.digest();
      for (let done = 0; done < digest.length; ) done += (await fh.write(digest, done, digest.length - done)).bytesWritten;
      await fh.sync();
      await fh.close();
      await rename(temp, path);
    } catch (error) {
      await fh.close().catch(() => {});
      await rm(temp, { force: true }).catch(() => {});
      throw error;
    }
    await this.clips.evict(key);
  }
}
