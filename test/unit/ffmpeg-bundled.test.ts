// Issue 13, deliver 5: with no ffmpeg or ffprobe on PATH, `plan` probes with the ffprobe that
// @ffprobe-installer/ffprobe carries inside its npm tarball (when that optional dependency
// installed), and commands that decode (`frames`, `ask` on the tiny checkpoint) say
// FFMPEG_NOT_FOUND with a sentence to act on unless ffmpeg-static's binary is there.
import { createRequire } from 'node:module';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, resolveFfmpeg } from '../../electron/common/platform/ffmpeg-locate.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { makeTestVideo } from '../helpers/make-test-video.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const require = createRequire(import.meta.url);
const installed = (name: string): boolean => {
  try {
    const found: unknown = require(name);
    return typeof found === 'string' || (typeof found === 'object' && found !== null && 'path' in found);
  } catch {
    return false;
  }
};
const bundledFfprobe = installed('@ffprobe-installer/ffprobe');
const bundledFfmpeg = installed('ffmpeg-static') && require('ffmpeg-static') !== null;

let dir: string;
let video: string;
let modelDir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  dir = makeTempDir('ffmpeg-bundled');
  video = makeTestVideo(dir, { name: 'clip.mp4', frames: 60, encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] });
  const emptyBin = join(dir, 'bin');
  mkdirSync(emptyBin);
  env = { PATH: emptyBin, APOLLO_FFMPEG_PATH: '', APOLLO_FFPROBE_PATH: '', APOLLO_CACHE_DIR: join(dir, 'cache') };
  modelDir = join(dir, 'tiny');
  await makeTinyCheckpoint(modelDir, { seed: 5 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('no ffmpeg or ffprobe on PATH', () => {
  it(`plan ${bundledFfprobe ? 'works with the bundled ffprobe' : 'says how to get ffprobe (the bundled one did not install here)'}`, async () => {
    const r = await runCli(['plan', video, '--json', '--no-progress'], { env });
    if (bundledFfprobe) {
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { video: { frameCount: number } }).video.frameCount).toBe(60);
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error \[FFMPEG_NOT_FOUND\]: ffprobe \(part of ffmpeg\) was not found; install the full ffmpeg package .* or set APOLLO_FFPROBE_PATH/);
    }
  });

  it(`frames ${bundledFfmpeg && bundledFfprobe ? 'works with the bundled binaries' : 'fails with FFMPEG_NOT_FOUND and a sentence to act on'}`, async () => {
    const r = await runCli(['frames', video, '--out', join(dir, 'frames'), '--json', '--no-progress'], { env });
    if (bundledFfmpeg && bundledFfprobe) expect(r.code, r.stderr).toBe(0);
    else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error \[FFMPEG_NOT_FOUND\]: (ffmpeg was not found; install it|ffprobe \(part of ffmpeg\) was not found; install)/);
    }
  });

  it(`ask ${bundledFfmpeg && bundledFfprobe ? 'answers with the bundled binaries' : 'fails with FFMPEG_NOT_FOUND and a sentence to act on'}`, async () => {
    const args = ['ask', video, 'What is shown?', '--model', modelDir, '--device', 'cpu', '--precision', 'fp32', '--greedy', '--max-new-tokens', '4', '--json', '--no-progress'];
    const r = await runCli(args, { env, timeoutMs: 120_000 });
    if (bundledFfmpeg && bundledFfprobe) {
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { plan: { clips: number }; turns: Array<{ answer: string; tokenIds: number[]; timings: { decodeTokens: number; prefillTokens: number } }> };
      expect(out.plan.clips).toBeGreaterThan(0);
      expect(out.turns).toHaveLength(1);
      const turn = out.turns[0]!;
      expect(turn.tokenIds.length).toBeGreaterThan(0);
      expect(turn.tokenIds).toHaveLength(turn.timings.decodeTokens);
      // The prefill held the clips' rows (128 per clip on the tiny checkpoint): the video was decoded.
      expect(turn.timings.prefillTokens).toBeGreaterThan(out.plan.clips * 128);
    } else {
      expect(r.code).toBe(1);
      // --json: the error comes as JSON on stdout too, never as an answer.
      expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe('FFMPEG_NOT_FOUND');
      expect(r.stderr).toMatch(/error \[FFMPEG_NOT_FOUND\]: (ffmpeg was not found; install it .* or set APOLLO_FFMPEG_PATH|ffprobe \(part of ffmpeg\) was not found; install .* or set APOLLO_FFPROBE_PATH)/);
    }
  });

  // The tests above set APOLLO_FFPROBE_PATH to '' (unset): where an ffmpeg is found (ffmpeg-static's,
  // or here one alone on PATH) its ffprobe must still be looked for, not taken to be ''.
  it.runIf(bundledFfprobe && findOnPath('ffmpeg') !== undefined)('takes an empty APOLLO_FFPROBE_PATH as unset', () => {
    const onlyFfmpeg = join(dir, 'only-ffmpeg');
    mkdirSync(onlyFfmpeg);
    symlinkSync(findOnPath('ffmpeg')!, join(onlyFfmpeg, 'ffmpeg'));
    const found = resolveFfmpeg({ PATH: onlyFfmpeg, APOLLO_FFMPEG_PATH: '', APOLLO_FFPROBE_PATH: '' });
    if (found.source === 'system') expect(found.ffmpeg).toBe(join(onlyFfmpeg, 'ffmpeg'));
    expect(found.ffprobe).toBe((require('@ffprobe-installer/ffprobe') as { path: string }).path);
  });
});
