// `apollo-chat plan` and `apollo-chat frames` run as a user runs them (the built CLI).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planApolloClips } from '../../electron/engine/video/apollo-clip-plan.js';
import { extractClipFrames } from '../../electron/engine/video/extract-clip-frames.js';
import { probeVideo } from '../../electron/engine/video/probe-video.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { VIDEO_TOKEN } from '../../electron/engine/video/video-text.js';
import { makeTestVideo, readFrameNumber } from '../helpers/make-test-video.js';
import { cliBin, makeTempDir } from '../helpers/paths.js';
import { runPython } from '../helpers/python-oracle.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let video: string;
beforeAll(() => {
  dir = makeTempDir('video-cli');
  video = makeTestVideo(dir, { name: 'clip.mp4', frames: 150, encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-bf', '2', '-g', '24'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('apollo-chat plan', () => {
  it('--json prints video, settings, clips and the video text', async () => {
    const r = await runCli(['plan', video, '--json', '--no-progress']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['video', 'settings', 'clips', 'videoText', 'warnings']);
    expect(out.warnings).toEqual([]);
    expect(out.video).toEqual({ frameCount: 150, fps: 30, duration: 5, width: 160, height: 120, rotation: 0, codec: 'h264', variableFrameRate: false });
    expect(out.settings).toEqual({ ...DEFAULT_SAMPLING_SETTINGS, effectiveRatio: 1 });
    const plan = planApolloClips({ frameCount: 150, fps: 30 }, DEFAULT_SAMPLING_SETTINGS);
    expect(out.clips).toEqual(plan.clips.map((c) => ({ index: c.index, frameIndices: c.frameIndices, start: c.start, end: c.end, label: expect.stringMatching(/^\d+\.\d-\d+\.\d$/) })));
    expect(out.videoText.startsWith('You are provided the following series of three, 2 second clips from a 0:00:05 [H:MM:SS] video.\n0.0-1.5 seconds: ')).toBe(true);
    expect(out.videoText.split(VIDEO_TOKEN).length - 1).toBe(3 * 128);
  });

  it('--model reads the settings from the checkpoint config and --clip-sampling-ratio overrides the ratio', async () => {
    const model = join(dir, 'model');
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, 'config.json'), JSON.stringify({ clip_duration: 1, llm_cfg: { model_max_length: 256 }, mm_connector_cfg: { num_output_tokens: 64 } }));
    const r = await runCli(['plan', video, '--model', model, '--clip-sampling-ratio', '0.5', '--json', '--no-progress']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.settings).toMatchObject({ clipDuration: 1, modelMaxLength: 256, numOutputTokens: 64, clipSamplingRatio: 0.5, framesPerClip: 4 });
    // min(1, 256·0.5 / (5·64/1)) = 0.4 → ceil(5 · 0.4) = 2 clips
    expect(out.clips).toHaveLength(2);
    expect(out.videoText.split(VIDEO_TOKEN).length - 1).toBe(2 * 64);
    expect(out.videoText).toContain('series of two, 1 second clips');
  });

  it('bad input: typed error on stdout (--json) and stderr, exit 1; bad usage exits 2', async () => {
    const missing = await runCli(['plan', join(dir, 'nope.mp4'), '--json', '--no-progress']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toBe('FILE_NOT_FOUND');
    expect(missing.stderr).toMatch(/error \[FILE_NOT_FOUND\]: .*check the path/);
    const ratio = await runCli(['plan', video, '--clip-sampling-ratio', '0', '--json']);
    expect(ratio.code).toBe(2);
    expect(JSON.parse(ratio.stdout).error.code).toBe('USAGE');
  });

  // Root reads any file, so as root the CLI runs as the unprivileged user `nobody` (uid 65534),
  // which needs to be able to run the CLI from this checkout.
  const asRoot = process.getuid?.() === 0;
  const nobody = { uid: 65534, gid: 65534 };
  const nobodyCanRunCli = !asRoot || spawnSync(process.execPath, [cliBin, '--version'], { timeout: 30_000, ...nobody }).status === 0;
  it.skipIf(!nobodyCanRunCli)('an unreadable file (permissions) is FILE_UNREADABLE (skipped as root when user nobody cannot read this checkout)', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(locked, 0o755);
    const path = join(locked, 'secret.mp4');
    writeFileSync(path, readFileSync(video));
    chmodSync(path, 0o000);
    const r = spawnSync(process.execPath, [cliBin, 'plan', path, '--json', '--no-progress'], { encoding: 'utf8', timeout: 30_000, ...(asRoot ? nobody : {}) });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('FILE_UNREADABLE');
  });
});

describe('apollo-chat frames', () => {
  it('writes one PNG per planned frame (named by clip and frame) and plan.json; pixels equal extraction', async () => {
    const out = join(dir, 'frames');
    const r = await runCli(['frames', video, '--out', out, '--json', '--no-progress']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    expect(plan.clips).toHaveLength(3);
    const expectedNames = plan.clips.flatMap((c: { index: number; frameIndices: number[] }) => c.frameIndices.map((f) => `clip-${String(c.index).padStart(3, '0')}-frame-${String(f).padStart(6, '0')}.png`));
    expect(readdirSync(out).filter((f) => f.endsWith('.png')).sort()).toEqual([...new Set<string>(expectedNames)].sort());
    expect(result.files).toHaveLength(new Set(expectedNames).size);
    // decode every PNG with PIL (the oracle) and compare with in-process extraction, byte for byte
    const names = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    const pil = runPython('import sys\nfrom PIL import Image\nfor p in sys.stdin.read().split():\n    sys.stdout.buffer.write(Image.open(p).convert("RGB").tobytes())', names.map((n) => join(out, n)).join('\n'));
    const probe = await probeVideo(video);
    const frames = new Map<string, Uint8Array>();
    for await (const clip of extractClipFrames(probe, planApolloClips(probe, DEFAULT_SAMPLING_SETTINGS).clips)) {
      clip.frames.forEach((f, i) => {
        frames.set(`clip-${String(clip.clipIndex).padStart(3, '0')}-frame-${String(clip.frameIndices[i]).padStart(6, '0')}.png`, f.data);
        expect(readFrameNumber(f).index).toBe(clip.frameIndices[i]);
      });
    }
    const size = 160 * 120 * 3;
    expect(pil.length).toBe(names.length * size);
    names.forEach((n, i) => expect(Buffer.compare(pil.subarray(i * size, (i + 1) * size), Buffer.from(frames.get(n)!))).toBe(0));
  });
});
