// Issue 13: what the user must know about a video reaches the engine protocol: frames that even a
// decode from the beginning gives with errors (FRAMES_DAMAGED, with their times), kept in the clip
// cache so a new engine process answering from the cache still warns, and a derived frame rate
// (FRAME_RATE_DERIVED) from analyze-video and ask.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppService } from '../../electron/host/app/app-service.js';
import { EngineClient, nodeEngineLauncher } from '../../electron/host/engine-client/engine-client.js';
import type { AppEvent } from '../../electron/shared/app-api.js';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { probeVideo } from '../../electron/engine/video/probe-video.js';
import { damagePacket } from '../helpers/damage-video.js';
import { makeTestVideo } from '../helpers/make-test-video.js';
import { prependOggSkeleton } from '../helpers/ogg-skeleton.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

describe('video warnings over the engine protocol (tiny checkpoint)', () => {
  let dir: string;
  let modelDir: string;
  const clients: EngineClient[] = [];
  const settings = { device: 'cpu', precision: 'fp32', greedy: true, maxNewTokens: 2 } as const;
  const engine = () => {
    const c = new EngineClient(nodeEngineLauncher({ enginePath: join(repoRoot, 'dist', 'engine.mjs'), env: { APOLLO_CACHE_DIR: join(dir, 'cache') } }));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = makeTempDir('engine-video-warnings');
    modelDir = join(dir, 'tiny');
    await makeTinyCheckpoint(modelDir, { seed: 5 });
  });
  afterAll(async () => {
    for (const c of clients) await c.shutdown();
  });

  it('damaged frames: encode and ask name their times, and a new engine answering from the clip cache still does', async () => {
    const videoPath = makeTestVideo(dir, { name: 'damaged.mp4', frames: 120, fps: 20, encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x264-params', 'keyint=20:min-keyint=20:scenecut=0:bframes=0'] });
    damagePacket(videoPath, await probeVideo(videoPath), 40); // the keyframe at 2.0 s
    const videoKey = await videoFingerprint(videoPath);
    const first = engine();
    const encoded = await first.call('encode', { videoPath, videoKey, modelDir, settings });
    expect(encoded.fromCache).toBe(false);
    expect(encoded.videoWarnings.map((w) => w.code)).toEqual(['FRAMES_DAMAGED']);
    // frames 40…59 (2.0–2.95 s) are damaged; which of them are planned depends on the checkpoint's sampling
    const times = encoded.videoWarnings[0]!.times!;
    expect(times.length).toBeGreaterThan(0);
    expect(times.every((t) => t >= 2 && t < 3)).toBe(true);
    expect(encoded.videoWarnings[0]!.message).toMatch(/The video is damaged: \d+ of the frames Apollo looks at \(at 0:02\.\d/);
    await first.shutdown();

    const second = engine();
    const answer = await second.call('ask', { videoPath, videoKey, modelDir, settings, history: [], question: 'What happens?' });
    expect(answer.embeddingsFromCache).toBe(true);
    expect(answer.videoWarnings).toEqual(encoded.videoWarnings);

    // the app shows it once as a warning notice (the renderer lists notices)
    const app = new AppService({ dataDir: join(dir, 'data'), engine: second, mediaUrlFor: (id) => `apollo-media://video/${id}`, modelDir });
    await app.init();
    await app.settings.update({ device: 'cpu', precision: 'fp32', maxNewTokens: 2 });
    const events: AppEvent[] = [];
    app.subscribe((e) => events.push(e));
    const video = await app.openVideo(videoPath);
    await app.analyzeVideo(video.id);
    expect((await (await app.startTurn(video.id, 'What happens?')).finished).status).toBe('done');
    expect((await (await app.startTurn(video.id, 'And then?')).finished).status).toBe('done');
    const notices = events.filter((e) => e.type === 'notice');
    expect(notices).toEqual([{ type: 'notice', level: 'warning', message: encoded.videoWarnings[0]!.message }]);
  });

  it('a clean video has no warnings; an Ogg/Theora without an average rate warns from analyze-video and ask', async () => {
    const clean = makeTestVideo(dir, { name: 'clean.mp4', frames: 60, encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] });
    const c = engine();
    const ok = await c.call('ask', { videoPath: clean, videoKey: await videoFingerprint(clean), modelDir, settings, history: [], question: 'What is it?' });
    expect(ok.videoWarnings).toEqual([]);

    const ogv = makeTestVideo(dir, { name: 'theora.ogv', frames: 100, fps: 50, encode: ['-c:v', 'libtheora', '-q:v', '6'] });
    prependOggSkeleton(ogv);
    const videoKey = await videoFingerprint(ogv);
    const analysis = await c.call('analyze-video', { path: ogv, videoKey, clipSamplingRatio: 0.65 });
    expect(analysis.probe.fps).toBe(50);
    expect(analysis.warnings?.map((w) => w.code)).toEqual(['FRAME_RATE_DERIVED']);
    const answer = await c.call('ask', { videoPath: ogv, videoKey, modelDir, settings, history: [], question: 'What is it?' });
    expect(answer.videoWarnings.map((w) => w.code)).toEqual(['FRAME_RATE_DERIVED']);
  });
});
