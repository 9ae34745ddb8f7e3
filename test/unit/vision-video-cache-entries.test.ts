// A video's files in the cache folder, found by the fingerprint their headers carry: the library's
// "cached" state (whole, partial, none; a saved KV prefix) and removing exactly that video's files.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipEmbeddingCache, clipCacheKey, partialClipCacheKey, type CachedClipEmbeddings } from '../../electron/engine/vision/clip-embedding-cache.js';
import { removeVideoCacheFiles, videoCacheStatus } from '../../electron/engine/vision/video-cache-entries.js';
import { makeTempDir } from '../helpers/paths.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function entry(clips: number, metadata: Record<string, unknown>): CachedClipEmbeddings {
  return { clips, numLatents: 2, hiddenSize: 3, embeddings: new Float32Array(clips * 6), metadata };
}
const keyOf = (video: string, ratio: number) => clipCacheKey({ videoFingerprint: video, modelId: 'm', sampling: { ratio }, precision: 'fp32' });

/** A KV prefix file as kv-prefix-cache.ts writes its head (the payload is not read here). */
function kvPrefixFile(dir: string, key: string, videoKey?: string): void {
  const header = Buffer.from(JSON.stringify({ key, length: 1, numLayers: 1, numKvHeads: 1, headDim: 2, dtype: 'float32', prefixIds: [1], ...(videoKey ? { videoKey } : {}) }));
  const fixed = Buffer.alloc(16);
  fixed.write('APOLLOKV', 0, 'latin1');
  fixed.writeUInt32LE(1, 8);
  fixed.writeUInt32LE(header.length, 12);
  writeFileSync(join(dir, `${key}.kvprefix`), Buffer.concat([fixed, header, Buffer.alloc(64)]));
}

describe('video cache entries', () => {
  it('says what is cached of each video and removes one video’s files only', async () => {
    const dir = makeTempDir('video-cache-entries');
    const cache = new ClipEmbeddingCache(dir);
    await cache.put(keyOf(A, 0.65), entry(4, { videoFingerprint: A }));
    await cache.put(partialClipCacheKey(keyOf(A, 0.25)), entry(2, { videoFingerprint: A, encodedClips: [0] }));
    await cache.put(partialClipCacheKey(keyOf(B, 0.65)), entry(5, { videoFingerprint: B, encodedClips: [0, 2, 4] }));
    // An entry written before entries named their video: nobody's, left to the size limit.
    await cache.put(keyOf(C, 0.65), entry(1, {}));
    kvPrefixFile(dir, 'd'.repeat(64), A);
    kvPrefixFile(dir, 'e'.repeat(64));

    const status = await videoCacheStatus(dir, [A, B, C]);
    expect(status.map(({ bytes, ...s }) => (expect(bytes >= 0).toBe(true), s))).toEqual([
      { videoKey: A, embeddings: 'complete', encodedClips: 4, totalClips: 4, kvPrefix: true },
      { videoKey: B, embeddings: 'partial', encodedClips: 3, totalClips: 5, kvPrefix: false },
      { videoKey: C, embeddings: 'none', kvPrefix: false },
    ]);
    expect(status[0]!.bytes).toBeGreaterThan(status[1]!.bytes);

    const before = readdirSync(dir).length;
    const removed = await removeVideoCacheFiles(dir, A);
    expect(removed.removedFiles).toBe(3);
    expect(removed.freedBytes).toBe(status[0]!.bytes);
    expect(readdirSync(dir)).toHaveLength(before - 3);
    expect(existsSync(join(dir, `${'d'.repeat(64)}.kvprefix`))).toBe(false);
    expect(existsSync(join(dir, `${'e'.repeat(64)}.kvprefix`))).toBe(true);
    expect((await videoCacheStatus(dir, [A, B])).map((s) => s.embeddings)).toEqual(['none', 'partial']);
  });

  it('answers none for a cache folder that does not exist yet', async () => {
    expect(await videoCacheStatus(join(makeTempDir('video-cache-entries'), 'absent'), [A])).toEqual([{ videoKey: A, embeddings: 'none', kvPrefix: false, bytes: 0 }]);
    expect(await removeVideoCacheFiles(join(makeTempDir('video-cache-entries'), 'absent'), A)).toEqual({ removedFiles: 0, freedBytes: 0 });
  });
});
