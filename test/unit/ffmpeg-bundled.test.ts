// Issue 13, deliver 5: with no ffmpeg or ffprobe on PATH, `plan` probes with the ffprobe that
// @ffprobe-installer/ffprobe carries inside its npm tarball (when that optional dependency
// installed), and commands that decode say FFMPEG_NOT_FOUND with a sentence to act on unless
// ffmpeg-static's binary is there.
import { createRequire } from 'node:module';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = makeTempDir('ffmpeg-bundled');
  video = makeTestVideo(dir, { name: 'clip.mp4', frames: 60, encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] });
  const emptyBin = join(dir, 'bin');
  mkdirSync(emptyBin);
  env = { PATH: emptyBin, APOLLO_FFMPEG_PATH: '', APOLLO_FFPROBE_PATH: '' };
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
});
