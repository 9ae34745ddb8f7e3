// Probing files as other tools write them (issue 13): a stream without an average frame rate behind
// a data stream (Ogg/Theora with a Skeleton stream first, as ffmpeg2theora and oggz write it), and
// still pictures or single frames, which are refused with a typed error instead of becoming a
// 0-second video.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { planApolloClips, decodeFrameIndex } from '../../electron/engine/video/apollo-clip-plan.js';
import { extractClipFrames } from '../../electron/engine/video/extract-clip-frames.js';
import { deriveFrameRate, probeVideo } from '../../electron/engine/video/probe-video.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { makeTestVideo, readFrameNumber } from '../helpers/make-test-video.js';
import { prependOggSkeleton } from '../helpers/ogg-skeleton.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { md5, wholeDecodeMd5ByPts } from '../helpers/whole-decode.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('video-probe-real-world');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ffprobeJson = (path: string) => JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], { encoding: 'utf8' })) as { streams: { codec_type: string; avg_frame_rate: string; r_frame_rate: string }[] };

describe('a video stream without an average frame rate, behind a data stream', () => {
  it('Ogg/Theora with a Skeleton stream first: rate from r_frame_rate (confirmed by the timestamps), the video stream chosen, frames exact, a warning', async () => {
    const path = makeTestVideo(dir, { name: 'theora-skeleton.ogv', frames: 150, fps: 50, encode: ['-c:v', 'libtheora', '-q:v', '6', '-g', '25'] });
    prependOggSkeleton(path);
    const streams = ffprobeJson(path).streams;
    expect(streams.map((s) => s.codec_type)).toEqual(['data', 'video']); // the case of the issue
    expect([streams[1]!.avg_frame_rate, streams[1]!.r_frame_rate]).toEqual(['0/0', '50/1']);

    const probe = await probeVideo(path);
    expect(probe.streamIndex).toBe(1);
    expect([probe.codec, probe.frameCount, probe.fps, probe.duration, probe.frameRateSource]).toEqual(['theora', 150, 50, 3, 'r_frame_rate']);
    const plan = planApolloClips(probe, DEFAULT_SAMPLING_SETTINGS);
    expect(plan.clips.map((c) => c.frameIndices)).toEqual(planApolloClips({ frameCount: 150, fps: 50 }, DEFAULT_SAMPLING_SETTINGS).clips.map((c) => c.frameIndices));
    const whole = wholeDecodeMd5ByPts(probe);
    for await (const clip of extractClipFrames(probe, plan.clips)) {
      expect(clip.frames.map((f) => readFrameNumber(f).index)).toEqual(clip.frameIndices);
      clip.frameIndices.forEach((i, j) => expect(md5(clip.frames[j]!.data)).toBe(whole.get(probe.packets.pts[decodeFrameIndex(i, probe.frameCount)]!)));
    }

    const r = await runCli(['plan', path, '--json', '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { video: { fps: number; duration: number }; warnings: { code: string; message: string }[] };
    expect([report.video.fps, report.video.duration]).toEqual([50, 3]);
    expect(report.warnings.map((w) => w.code)).toEqual(['FRAME_RATE_DERIVED']);
    expect(report.warnings[0]!.message).toMatch(/no average frame rate; 50 fps was taken from the stream's own frame rate/);
  });

  it('deriveFrameRate: r_frame_rate only when the timestamps agree, else the timestamps, else the container duration', () => {
    const tb = { num: 1, den: 1000 };
    const steady = { pts: [0, 40, 80, 120, 160], timeBase: tb }; // 25 fps
    expect(deriveFrameRate({ num: 25, den: 1 }, steady, 9)).toEqual({ fps: 25, source: 'r_frame_rate' });
    // r_frame_rate of a VFR stream is the finest tick, not a rate: the timestamps win
    const vfr = { pts: [0, 10, 50, 60, 100, 110, 150, 160, 200], timeBase: tb };
    expect(deriveFrameRate({ num: 100, den: 1 }, vfr, undefined)).toEqual({ fps: 9 / 0.24, source: 'packet-timestamps' }); // 9 frames over 200 ms + the median step (40)
    expect(deriveFrameRate({ num: 0, den: 0 }, { pts: [7, 7, 7], timeBase: tb }, 1.5)).toEqual({ fps: 2, source: 'container-duration' });
    expect(deriveFrameRate({ num: 0, den: 0 }, { pts: [7, 7, 7], timeBase: tb }, undefined)).toBeUndefined();
  });
});

describe('still pictures and single frames are refused with STILL_IMAGE', () => {
  const cases: { name: string; args: string[] }[] = [
    { name: 'picture.png', args: ['-frames:v', '1'] },
    { name: 'picture.jpg', args: ['-frames:v', '1'] },
    { name: 'one-frame.mp4', args: ['-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const path = join(dir, c.name);
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25', ...c.args, path]);
      const error = await probeVideo(path).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error?.code).toBe('STILL_IMAGE');
      expect(error?.message).toMatch(/not a video; .*choose a video file/);
    });
  }

  it('the CLI prints the sentence and exits 1', async () => {
    const r = await runCli(['plan', join(dir, 'picture.png'), '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[STILL_IMAGE\]: .*picture\.png is a still picture \(png\), not a video/);
  });

  it('an animated GIF is a video', async () => {
    const path = join(dir, 'animated.gif');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=10', '-frames:v', '30', path]);
    const probe = await probeVideo(path);
    expect([probe.frameCount, probe.fps]).toEqual([30, 10]);
  });
});
