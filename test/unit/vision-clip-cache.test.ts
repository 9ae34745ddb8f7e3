// The clip-embedding cache: keys that change with every part, checksum-detected damage,
// LRU trimming, and concurrent writers racing on one key never leaving a torn entry.
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipEmbeddingCache, clipCacheKey, loadOrEncodeClipEmbeddings, type CachedClipEmbeddings } from '../../electron/engine/vision/clip-embedding-cache.js';
import { makeTempDir } from '../helpers/paths.js';
import { mulberry32, randomTensor } from './vision-oracle.js';

function entry(clips: number, seed: number, latents = 4, hidden = 8): CachedClipEmbeddings {
  return { clips, numLatents: latents, hiddenSize: hidden, embeddings: randomTensor([clips * latents * hidden], mulberry32(seed)), metadata: { plan: { frames: [[0, 1, 2, 3]], seed } } };
}
const keyOf = (n: number) => clipCacheKey({ videoFingerprint: `v${n}`, modelId: 'm', sampling: { ratio: 0.65 }, precision: 'fp32' });

describe('clip cache keys', () => {
  it('change with every part and not with property order', () => {
    const base = { videoFingerprint: 'abc', modelId: 'apollo-3b', sampling: { clipDuration: 2, ratio: 0.65 }, precision: 'fp32' };
    const k = clipCacheKey(base);
    expect(clipCacheKey({ ...base, sampling: { ratio: 0.65, clipDuration: 2 } })).toBe(k);
    for (const change of [{ videoFingerprint: 'abd' }, { modelId: 'apollo-7b' }, { sampling: { clipDuration: 2, ratio: 0.5 } }, { precision: 'fp16' }]) {
      expect(clipCacheKey({ ...base, ...change })).not.toBe(k);
    }
  });
});

describe('ClipEmbeddingCache', () => {
  it('round-trips an entry bit for bit, with its metadata', async () => {
    const cache = new ClipEmbeddingCache(makeTempDir('clip-cache'));
    const e = entry(3, 2);
    await cache.put(keyOf(1), e);
    const got = await cache.get(keyOf(1));
    expect(got?.clips).toBe(3);
    expect(Buffer.from(got!.embeddings.buffer).equals(Buffer.from(e.embeddings.buffer))).toBe(true);
    expect(got?.metadata).toEqual(e.metadata);
    expect(await cache.get(keyOf(2))).toBeUndefined();
  });

  it.each([
    ['a flipped payload byte', (b: Buffer) => ((b[b.length - 100] = b[b.length - 100]! ^ 1), b)],
    ['truncation', (b: Buffer) => b.subarray(0, b.length - 7)],
    ['an empty file', () => Buffer.alloc(0)],
  ])('detects %s, deletes the entry and recomputes it', async (_name, damage) => {
    const dir = makeTempDir('clip-cache');
    const cache = new ClipEmbeddingCache(dir);
    await cache.put(keyOf(1), entry(2, 3));
    const file = join(dir, readdirSync(dir)[0]!);
    writeFileSync(file, damage(readFileSync(file)));
    let encodes = 0;
    const r = await loadOrEncodeClipEmbeddings(cache, keyOf(1), async () => (encodes++, entry(2, 3)));
    expect(r).toMatchObject({ fromCache: false, miss: 'corrupt' });
    expect(encodes).toBe(1);
    expect(cache.discarded).toBe(1);
    const again = await loadOrEncodeClipEmbeddings(cache, keyOf(1), async () => (encodes++, entry(2, 3)));
    expect(again.fromCache).toBe(true);
    expect(encodes).toBe(1);
  });

  it('evicts the least recently used entries past its byte limit', async () => {
    const dir = makeTempDir('clip-cache');
    const one = entry(4, 1);
    const probe = new ClipEmbeddingCache(dir);
    await probe.put(keyOf(0), one);
    const size = readFileSync(join(dir, readdirSync(dir)[0]!)).length;
    const cache = new ClipEmbeddingCache(dir, { maxBytes: 2 * size + 10 });
    await cache.put(keyOf(1), entry(4, 2));
    // make the order explicit: 0 oldest, then 1; reading 0 makes it the most recent
    const at = (k: number, s: number) => utimesSync(join(dir, `${keyOf(k)}.clipemb`), s, s);
    at(0, 1000);
    at(1, 2000);
    expect(await cache.get(keyOf(0))).toBeDefined();
    await cache.put(keyOf(2), entry(4, 3));
    expect(await cache.get(keyOf(1))).toBeUndefined();
    expect(await cache.get(keyOf(0))).toBeDefined();
    expect(await cache.get(keyOf(2))).toBeDefined();
  });

  it('never exposes a torn entry to readers while writers race on one key', async () => {
    const dir = makeTempDir('clip-cache');
    const writers = [1, 2, 3, 4].map((seed) => ({ cache: new ClipEmbeddingCache(dir), e: entry(64, seed, 32, 256) }));
    const reader = new ClipEmbeddingCache(dir);
    const seen = new Set<number>();
    let reading = true;
    const readLoop = (async () => {
      while (reading) {
        const r = await reader.lookup(keyOf(9));
        if ('miss' in r) expect(r.miss).toBe('absent');
        else seen.add(r.hit.metadata.plan ? (r.hit.metadata.plan as { seed: number }).seed : -1);
      }
    })();
    for (let round = 0; round < 5; round++) await Promise.all(writers.map((w) => w.cache.put(keyOf(9), w.e)));
    reading = false;
    await readLoop;
    expect(reader.discarded).toBe(0);
    const final = await reader.get(keyOf(9));
    expect([1, 2, 3, 4]).toContain((final!.metadata.plan as { seed: number }).seed);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(seen.size).toBeGreaterThan(0);
  });
});
