// `apollo-chat plan` (packet-index probe, TypeScript sampling and video text) against the whole-path
// reference (frames counted by decoding the whole file, numpy sampling, num2words/timedelta/numpy
// round) over NTSC, fractional and sub-1 fps rates and both sampling branches.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/paths.js';
import { decodeWholeVideo, referenceSampling } from '../helpers/reference-apollo.js';
import { runCli } from '../helpers/run-cli.js';

// [lavfi rate, frames, clip sampling ratio]
const cases: [string, number, number][] = [
  ['30000/1001', 301, 0.65],
  ['24000/1001', 250, 0.05],
  ['60000/1001', 200, 0.65],
  ['15/2', 77, 0.65],
  ['3000/1001', 31, 0.65],
  ['9/10', 11, 0.65],
  ['3/10', 5, 0.65],
  ['30000/1001', 1799, 0.05],
];

let dir: string;
let modelDir: string;
let sizes: { clipDuration: number; numRepeatToken: number; modelMaxLength: number };

beforeAll(async () => {
  dir = makeTempDir('plan-parity');
  modelDir = join(dir, 'tiny');
  const made = await runCli(['make-tiny-model', modelDir, '--seed', '3']);
  if (made.code !== 0) throw new Error(made.stderr);
  const root = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { clip_duration: number; model_max_length: number };
  const connector = JSON.parse(readFileSync(join(modelDir, 'mm_connector', 'config.json'), 'utf8')) as { num_output_tokens: number };
  sizes = { clipDuration: root.clip_duration, numRepeatToken: connector.num_output_tokens, modelMaxLength: root.model_max_length };
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('apollo-chat plan equals the reference sampling and video text', () => {
  it.each(cases)('%s fps, %i frames, ratio %s', async (rate, frames, ratio) => {
    const path = join(dir, `v-${rate.replace('/', '_')}-${frames}.mp4`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=s=64x48:r=${rate}`, '-frames:v', String(frames), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path]);
    const video = decodeWholeVideo(path);
    expect(video.frames.length).toBe(frames);
    const ref = referenceSampling({ ...sizes, frameCount: video.frames.length, fps: video.fps, clipSamplingRatio: ratio });
    const run = await runCli(['plan', path, '--model', modelDir, '--json', '--clip-sampling-ratio', String(ratio)]);
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as { video: { frameCount: number }; clips: { frameIndices: number[] }[]; videoText: string };
    expect(plan.video.frameCount).toBe(video.frames.length);
    expect(plan.clips.flatMap((c) => c.frameIndices)).toEqual(ref.allIndices);
    expect(plan.videoText).toBe(ref.videoText);
  });
});
