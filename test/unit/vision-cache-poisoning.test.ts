// The clip cache stores an entry only if the video is unchanged from its fingerprint to the end of
// extraction. The attack (or accident): the video is replaced on disk while it is being encoded;
// before, the new file's embeddings were stored under the old content's fingerprint, and later
// questions about the original got the other video's answers. Now the encode fails with
// VIDEO_CHANGED, nothing is stored, and the original, put back, is encoded afresh and correctly.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, renameSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertVideoUnchanged, videoFileStamp, videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { prepareModel, type PreparedModel } from '../../electron/engine/prepare/prepare-model.js';
import { planVideo } from '../../electron/engine/video/plan-video.js';
import { samplingSettingsFromConfig } from '../../electron/engine/video/sampling-settings.js';
import { ClipEmbeddingCache } from '../../electron/engine/vision/clip-embedding-cache.js';
import { loadVisionModel, videoClipEmbeddings, type VisionModel } from '../../electron/engine/vision/video-clip-embeddings.js';
import { makeTempDir } from '../helpers/paths.js';

let dir: string;
let model: VisionModel;
let prepared: PreparedModel;
let original: string;
let other: string;

beforeAll(async () => {
  dir = makeTempDir('cache-poisoning');
  const modelDir = join(dir, 'model');
  await makeTinyCheckpoint(modelDir, { seed: 11 });
  model = await loadVisionModel(modelDir);
  prepared = await prepareModel(modelDir, { precision: 'fp32', cacheDir: join(dir, 'prepared') });
  original = join(dir, 'original.mp4');
  other = join(dir, 'other.mp4');
  // Same length and rate (same plan), different pictures.
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '6', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', original]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'mandelbrot=size=160x120:rate=10', '-t', '6', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', other]);
}, 180_000);

describe('clip cache against a video that changes while it is encoded', () => {
  it('stores nothing when the file is replaced mid-encode, and the original is then encoded afresh', async () => {
    const cache = new ClipEmbeddingCache(join(dir, 'clip-cache'));
    const settings = samplingSettingsFromConfig(model.config.root);
    const options = { dtype: 'float32' as const, prepared, session: { intraOpNumThreads: 1 } };
    const path = join(dir, 'video.mp4');
    copyFileSync(original, path);
    const key = await videoFingerprint(path);
    const spare = join(dir, 'replacement.mp4');
    copyFileSync(other, spare);
    let replaced = false;
    const attempt = videoClipEmbeddings({ key, settings, planned: () => planVideo(path, settings) }, model, cache, {
      ...options,
      // After the first chunk of clips, the file is swapped for another video (a rename over it, as a download or an editor saves).
      onChunk: () => {
        if (!replaced) renameSync(spare, path);
        replaced = true;
      },
    });
    await expect(attempt).rejects.toMatchObject({ code: 'VIDEO_CHANGED', message: expect.stringMatching(/changed on disk/) });
    expect(replaced).toBe(true);
    expect(existsSync(cache.dir) ? readdirSync(cache.dir).filter((n) => !n.startsWith('.')) : []).toEqual([]);

    // The original back in place: its embeddings are computed from it, not served from the other video.
    copyFileSync(original, path);
    const fresh = await videoClipEmbeddings({ key, settings, planned: () => planVideo(path, settings) }, model, cache, options);
    expect(fresh.fromCache).toBe(false);
    const reference = await videoClipEmbeddings({ key, settings, planned: () => planVideo(original, settings) }, model, new ClipEmbeddingCache(join(dir, 'ref-cache')), options);
    expect(Buffer.from(fresh.entry.embeddings.buffer).equals(Buffer.from(reference.entry.embeddings.buffer))).toBe(true);
    expect((await videoClipEmbeddings({ key, settings, planned: () => planVideo(path, settings) }, model, cache, options)).fromCache).toBe(true);
  }, 180_000);

  it('a rewrite in place (same inode, new mtime) or a different content under the key is caught', async () => {
    const path = join(dir, 'stamp.mp4');
    copyFileSync(original, path);
    const key = await videoFingerprint(path);
    const before = await videoFileStamp(path);
    await expect(assertVideoUnchanged(path, key, before)).resolves.toBeUndefined();
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    await expect(assertVideoUnchanged(path, key, before)).rejects.toMatchObject({ code: 'VIDEO_CHANGED' });
    await expect(assertVideoUnchanged(path, 'f'.repeat(64), await videoFileStamp(path))).rejects.toMatchObject({ code: 'VIDEO_CHANGED' });
  });
});
