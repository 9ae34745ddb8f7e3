// Cancel means the work leaves the page: an engine report of the cancelled encode that was still on
// its way when the user cancelled is not passed on (it brought the progress panel back, with no
// "cancelled" line, for good). The real engine runs on the tiny checkpoint; the report in transit
// is delivered, as the engine connection would, just after the abort.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppService } from '../../electron/host/app/app-service.js';
import { EngineClient, nodeEngineLauncher } from '../../electron/host/engine-client/engine-client.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import type { AppEvent } from '../../electron/shared/app-api.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

describe('Cancel of the background encode', () => {
  let dir: string;
  let modelDir: string;
  let videoPath: string;
  let client: EngineClient;

  beforeAll(async () => {
    dir = makeTempDir('app-cancel-progress');
    modelDir = join(dir, 'tiny');
    await makeTinyCheckpoint(modelDir, { seed: 5 });
    videoPath = join(dir, 'long.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=24:duration=120', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '24', videoPath]);
    client = new EngineClient(nodeEngineLauncher({ enginePath: join(repoRoot, 'dist', 'engine.mjs'), env: { APOLLO_CACHE_DIR: join(dir, 'cache') } }));
  });
  afterAll(() => client.shutdown());

  it('passes on no report of the cancelled encode, even one that arrives after the Cancel', async () => {
    // the engine connection, with one more encode report delivered right after the abort
    const engine = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'call') return Reflect.get(target, prop, receiver);
        return (method: string, params: unknown, options?: { signal?: AbortSignal; onEvent?: (e: unknown) => void }) => {
          if (method === 'encode' && options?.signal !== undefined && options.onEvent !== undefined) {
            const { signal, onEvent } = options;
            signal.addEventListener('abort', () => queueMicrotask(() => onEvent({ type: 'progress', progress: { stage: 'encode', done: 3, total: 60, unit: 'clips' } })), { once: true });
          }
          return (target.call as (...a: unknown[]) => unknown)(method, params, options);
        };
      },
    });
    const app = new AppService({ dataDir: join(dir, 'data'), engine, mediaUrlFor: (id) => `apollo-media://video/${id}`, modelDir });
    await app.init();
    await app.settings.update({ device: 'cpu', precision: 'fp32' });
    const events: AppEvent[] = [];
    app.subscribe((e) => events.push(e));
    const video = await app.openVideo(videoPath);
    await app.analyzeVideo(video.id);
    const encodeReport = (e: AppEvent) => e.type === 'progress' && e.id === video.id && e.progress.stage === 'encode';
    // the background encode is under way (its first report has arrived)
    for (let t = 0; t < 600 && !events.some(encodeReport); t++) await new Promise((r) => setTimeout(r, 100));
    expect(events.some(encodeReport)).toBe(true);
    const seen = events.length;
    app.cancelVideoWork(video.id);
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.slice(seen).filter(encodeReport)).toEqual([]);
  }, 180_000);
});
