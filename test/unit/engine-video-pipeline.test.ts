// One video pipeline in the engine: a video opened in the app, encoded in the background and asked
// about is scanned by ffprobe exactly once (analyze-video, encode and ask share the engine's plan
// memo), and the user's cache-size setting is the clip-embedding cache's limit in the engine.
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppService } from '../../electron/host/app/app-service.js';
import { EngineClient, nodeEngineLauncher } from '../../electron/host/engine-client/engine-client.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { resolveFfmpeg } from '../../electron/common/platform/ffmpeg-locate.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

describe('the engine video pipeline', () => {
  let dir: string;
  let modelDir: string;
  let videoPath: string;
  let probeLog: string;
  let client: EngineClient;

  beforeAll(async () => {
    dir = makeTempDir('engine-pipeline');
    modelDir = join(dir, 'tiny');
    await makeTinyCheckpoint(modelDir, { seed: 3 });
    videoPath = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25:duration=5', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
    // ffprobe behind a wrapper that logs the arguments of each run
    probeLog = join(dir, 'ffprobe-runs.log');
    const wrapper = join(dir, 'ffprobe-counting');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${probeLog}'\nexec '${resolveFfmpeg().ffprobe}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    client = new EngineClient(nodeEngineLauncher({ enginePath: join(repoRoot, 'dist', 'engine.mjs'), env: { APOLLO_CACHE_DIR: join(dir, 'cache'), APOLLO_FFPROBE_PATH: wrapper } }));
  });
  afterAll(() => client.shutdown());

  /** ffprobe runs so far: one probe of a video is a header read (-show_streams) and a packet scan. */
  const probeRuns = () => {
    const runs = existsSync(probeLog) ? readFileSync(probeLog, 'utf8').split('\n').filter((l) => l !== '') : [];
    return { headers: runs.filter((r) => r.includes('-show_streams')).length, packetScans: runs.filter((r) => r.includes('packet=')).length, all: runs.length };
  };

  it('probes an opened video once for analyze, encode and ask, and trims the clip cache to the cache-size setting', async () => {
    // An old 200 MiB entry (sparse): over a 0.1 GiB limit, under the 2 GiB default.
    const clipCacheDir = join(dir, 'cache', 'clip-embeddings');
    mkdirSync(clipCacheDir, { recursive: true });
    const oldEntry = join(clipCacheDir, `${'a'.repeat(64)}.clipemb`);
    const fd = openSync(oldEntry, 'w');
    ftruncateSync(fd, 200 * 1024 ** 2);
    closeSync(fd);
    utimesSync(oldEntry, new Date(2020, 0, 1), new Date(2020, 0, 1));

    const app = new AppService({ dataDir: join(dir, 'data'), engine: client, mediaUrlFor: (id) => `apollo-media://video/${id}`, modelDir });
    await app.init();
    await app.settings.update({ device: 'cpu', precision: 'fp32', maxNewTokens: 4, cacheSizeGiB: 0.1 });
    const video = await app.openVideo(videoPath);
    const analysis = await app.analyzeVideo(video.id);
    expect(analysis.clips.length).toBeGreaterThan(0);
    // analyze-video started the background encode; the question follows it
    const turn = await (await app.startTurn(video.id, 'What is in the video?')).finished;
    expect(turn.status).toBe('done');
    // one more encode request runs after any still queued, so every request has been served
    const key = app.videos.get(video.id).key;
    const encoded = await client.call('encode', { videoPath, videoKey: key, modelDir, settings: { device: 'cpu', precision: 'fp32', clipSamplingRatio: app.settings.get().clipSamplingRatio } });
    expect(encoded.fromCache).toBe(true);
    // one probe: its header read and its packet scan, nothing else
    expect(probeRuns()).toEqual({ headers: 1, packetScans: 1, all: 2 });

    // the engine trimmed its cache to 0.1 GiB when it stored the new entry: the old one is gone
    expect(existsSync(oldEntry)).toBe(false);
    expect(readdirSync(clipCacheDir).filter((n) => n.endsWith('.clipemb'))).toHaveLength(1);
  }, 180_000);
});
