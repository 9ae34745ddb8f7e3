// The engine's ask path on the tiny checkpoint through a real engine process: follow-ups reuse the
// KV cache, a crashed engine rebuilds the conversation from the history and the clip-embedding
// cache (no tower run), and a cancelled answer keeps its partial text.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient, nodeEngineLauncher } from '../../electron/host/engine-client/engine-client.js';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import type { AskResult, EngineParamsIn } from '../../electron/shared/engine-protocol.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

describe('engine ask on the tiny checkpoint', () => {
  let dir: string;
  let modelDir: string;
  let videoPath: string;
  let videoKey: string;
  let client: EngineClient;
  const settings = { device: 'cpu', precision: 'fp32', greedy: true, maxNewTokens: 10 } as const;
  const launcher = () => nodeEngineLauncher({ enginePath: join(repoRoot, 'dist', 'engine.mjs'), env: { APOLLO_CACHE_DIR: join(dir, 'cache'), APOLLO_ENGINE_TEST_HOOKS: '1' } });

  beforeAll(async () => {
    dir = makeTempDir('engine-ask');
    modelDir = join(dir, 'tiny');
    await makeTinyCheckpoint(modelDir, { seed: 3 });
    videoPath = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25:duration=5', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
    videoKey = await videoFingerprint(videoPath);
    client = new EngineClient(launcher());
  });
  afterAll(() => client.shutdown());

  const ask = (c: EngineClient, history: Array<{ question: string; answer: string }>, question: string, extra: EngineParamsIn<'ask'>['settings'] = {}, signal?: AbortSignal) =>
    c.call('ask', { videoPath, videoKey, modelDir, settings: { ...settings, ...extra }, history, question }, signal ? { signal } : {});

  it('answers, then answers a follow-up prefilling only the new turn', async () => {
    const first = await ask(client, [], 'What is in the video?');
    expect(first.tokenIds).toHaveLength(first.timings.decodeTokens);
    expect(first.plan.clips).toBe(3);
    // The first prefill holds the video's 3 × 128 clip rows.
    expect(first.timings.prefillTokens).toBeGreaterThan(3 * 128);
    const second = await ask(client, [{ question: 'What is in the video?', answer: first.answer }], 'Why?');
    expect(second.embeddingsFromCache).toBe(true);
    expect(second.timings.prefillTokens).toBeLessThan(40);
  });

  it('after a crash, rebuilds the conversation from history and the clip cache, to the same tokens', async () => {
    const history = [{ question: 'Describe it.', answer: (await ask(client, [], 'Describe it.')).answer }];
    const warm = await ask(client, history, 'And the colours?');
    await expect(client.call('test:crash', { code: 9 })).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    const rebuilt = await ask(client, history, 'And the colours?');
    expect(rebuilt.embeddingsFromCache).toBe(true);
    expect(rebuilt.tokenIds).toEqual(warm.tokenIds);
    // The video prefix's KV cache comes back from disk (saved after the first answer): only the
    // earlier turns and the question are prefilled again, not the clips' rows.
    expect(rebuilt.timings.prefillTokens).toBeGreaterThan(0);
    expect(rebuilt.timings.prefillTokens).toBeLessThan(128);
    expect(rebuilt.timings.prefillTokens).toBeGreaterThan(warm.timings.prefillTokens);
  });

  it('stops on cancel and returns the partial answer', async () => {
    const controller = new AbortController();
    const pending = ask(client, [], 'Go on and on.', { maxNewTokens: 5000 }, controller.signal);
    setTimeout(() => controller.abort(), 1500);
    const result = await pending.catch((e: unknown) => e);
    // Cancelled during decoding: a result with stopReason 'cancelled'; during prefill: CANCELLED.
    if (result instanceof Error) expect((result as { code?: string }).code).toBe('CANCELLED');
    else {
      expect((result as AskResult).stopReason).toBe('cancelled');
      expect((result as AskResult).tokenIds.length).toBeLessThan(5000);
    }
  });

  it('rejects bad requests with typed errors', async () => {
    await expect(client.call('ask', { videoPath, videoKey: 'not-hex', modelDir, settings, history: [], question: 'x' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await expect(client.call('ask', { videoPath, videoKey, modelDir: join(dir, 'nope'), settings, history: [], question: 'x' })).rejects.toMatchObject({ code: expect.stringMatching(/CHECKPOINT|FILE_NOT_FOUND|MODEL/) });
    await expect(client.call('ask', { videoPath: join(dir, 'missing.mp4'), videoKey, modelDir, settings, history: [], question: 'x' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
