// The saved KV cache of a video prefix: round trip into a fresh session (the next logits equal a
// session that prefilled the prefix itself), damage and truncation detected and the file deleted,
// another cache dtype refused, and eviction under the clip cache's one size limit.
import { existsSync, mkdirSync, openSync, readdirSync, statSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectDevice } from '../../electron/engine/llm/execution-device.js';
import { KvPrefixCache, kvPrefixKey, videoPrefixLength } from '../../electron/engine/llm/kv-prefix-cache.js';
import { buildQwen2Artifacts } from '../../electron/engine/llm/qwen2-artifacts.js';
import { qwen2Names, type Qwen2Config } from '../../electron/engine/llm/qwen2-config.js';
import { Qwen2DecoderSession, type KvDtype } from '../../electron/engine/llm/qwen2-decoder-session.js';
import { ClipEmbeddingCache } from '../../electron/engine/vision/clip-embedding-cache.js';
import { makeTempDir } from '../helpers/paths.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const config: Qwen2Config = { hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, intermediateSize: 96, vocabSize: 1000, rmsNormEps: 1e-6, ropeTheta: 1e6, maxPositionEmbeddings: 512, tieWordEmbeddings: true };
const random = mulberry32(11);
const tensors = new Map<string, Float32Array>();
const put = (name: string, n: number, scale: number, offset = 0) => tensors.set(name, Float32Array.from({ length: n }, () => offset + (random() * 2 - 1) * scale));
put(qwen2Names.embedTokens, 1000 * 64, 0.5);
put(qwen2Names.finalNorm, 64, 0.2, 1);
for (let i = 0; i < 2; i++) {
  const n = qwen2Names.layer(i);
  put(n.inputNorm, 64, 0.2, 1);
  put(n.postAttentionNorm, 64, 0.2, 1);
  for (const [w, rows] of [[n.q, 64], [n.k, 32], [n.v, 32]] as const) {
    put(`${w}.weight`, rows * 64, 0.25);
    put(`${w}.bias`, rows, 0.5);
  }
  put(`${n.o}.weight`, 64 * 64, 0.25);
  put(`${n.gate}.weight`, 96 * 64, 0.25);
  put(`${n.up}.weight`, 96 * 64, 0.25);
  put(`${n.down}.weight`, 64 * 96, 0.2);
}
const source = { readFloat32: (name: string) => Promise.resolve(tensors.get(name)!) };

const root = makeTempDir('kv-prefix');
const modelDir = join(root, 'model');
const sessions: Qwen2DecoderSession[] = [];
const open = async (kvDtype: KvDtype) => {
  const s = await Qwen2DecoderSession.open(modelDir, { device: await selectDevice('cpu'), threads: 1, kvDtype });
  sessions.push(s);
  return s;
};
const prefix = Array.from({ length: 40 }, (_, i) => (i * 37 + 5) % 1000);
const question = [7, 8, 9];

beforeAll(async () => {
  mkdirSync(modelDir, { recursive: true });
  await buildQwen2Artifacts(modelDir, config, source, { precision: 'fp32' });
});
afterAll(async () => {
  for (const s of sessions) await s.release();
});

describe('KV prefix cache', () => {
  it('finds the video prefix: one past the last clip row', () => {
    expect(videoPrefixLength([1, -200, -200, 5, -200, 9, 10], -200)).toBe(5);
    expect(videoPrefixLength([1, 2], -200)).toBe(0);
  });

  for (const kvDtype of ['float32', 'float16'] as const)
    it(`round trip (${kvDtype} cache): a loaded prefix continues exactly like the prefilled one`, async () => {
      const cache = new KvPrefixCache(new ClipEmbeddingCache(join(root, `cache-${kvDtype}`)));
      const key = kvPrefixKey({ embeddingsKey: 'e'.repeat(64), decoderId: 'd', kvDtype, prefixIds: prefix });
      const warm = await open(kvDtype);
      await warm.forward(warm.embed(prefix), prefix.length);
      await cache.save(key, warm, prefix);
      const want = (await warm.forward(warm.embed(question), question.length)).slice();

      const cold = await open(kvDtype);
      const loaded = await cache.load(key, cold, { capacityHint: 100 });
      expect(loaded).toEqual({ prefixIds: prefix });
      expect(cold.length).toBe(prefix.length);
      const got = await cold.forward(cold.embed(question), question.length);
      expect(Array.from(got)).toEqual(Array.from(want));

      // another cache dtype is refused, and the file kept for its own sessions
      const other = await open(kvDtype === 'float32' ? 'float16' : 'float32');
      expect(await cache.load(key, other)).toEqual({ miss: 'mismatch' });
      expect(other.length).toBe(0);
      expect(await cache.load('0'.repeat(64), cold)).toEqual({ miss: 'absent' });
    });

  it('a damaged or truncated file is detected, deleted, and leaves the session empty', async () => {
    const dir = join(root, 'cache-damage');
    const cache = new KvPrefixCache(new ClipEmbeddingCache(dir));
    const warm = await open('float32');
    await warm.forward(warm.embed(prefix), prefix.length);
    for (const damage of ['flip', 'truncate'] as const) {
      const key = kvPrefixKey({ embeddingsKey: 'f'.repeat(64), decoderId: damage, kvDtype: 'float32', prefixIds: prefix });
      await cache.save(key, warm, prefix);
      const path = join(dir, `${key}.kvprefix`);
      const size = statSync(path).size;
      if (damage === 'flip') {
        const fd = openSync(path, 'r+');
        writeSync(fd, Buffer.from([1]), 0, 1, size - 100); // inside the last value rows
        closeSync(fd);
      } else truncateSync(path, size - 1);
      const cold = await open('float32');
      expect(await cache.load(key, cold)).toEqual({ miss: 'corrupt' });
      expect(cold.length).toBe(0);
      expect(existsSync(path)).toBe(false);
    }
    expect(cache.discarded).toBe(2);
  });

  it('is evicted with the clip embeddings under one size limit, the newest kept', async () => {
    const dir = join(root, 'cache-evict');
    const clips = new ClipEmbeddingCache(dir);
    const cache = new KvPrefixCache(clips);
    const warm = await open('float32');
    await warm.forward(warm.embed(prefix), prefix.length);
    const one = kvPrefixKey({ embeddingsKey: '1'.repeat(64), decoderId: 'a', kvDtype: 'float32', prefixIds: prefix });
    await cache.save(one, warm, prefix);
    const size = statSync(join(dir, `${one}.kvprefix`)).size;
    clips.setMaxBytes(size * 1.5);
    await new Promise((r) => setTimeout(r, 20)); // distinct mtimes
    const two = kvPrefixKey({ embeddingsKey: '2'.repeat(64), decoderId: 'a', kvDtype: 'float32', prefixIds: prefix });
    await cache.save(two, warm, prefix);
    expect(readdirSync(dir).filter((n) => n.endsWith('.kvprefix'))).toEqual([`${two}.kvprefix`]);
  });
});
