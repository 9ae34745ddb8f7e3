// Seek-based extraction is verified (issue 13): a run whose decoder reported errors, concealment or
// a start on a frame that is not really a keyframe does not count; the retry starts earlier and
// finally from the beginning, so the frames equal a whole-file decode, and damage that even a decode
// from the beginning shows is kept and named by time instead of passed on silently.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planApolloClips } from '../../electron/engine/video/apollo-clip-plan.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { clipPictureSeconds, clipsPerRun, defaultExtractConcurrency, extractClipFrames, readDecodeLog, timestampsRepeat, type ClipRequest, type ExtractedClip } from '../../electron/engine/video/extract-clip-frames.js';
import { probeVideo, type VideoProbe } from '../../electron/engine/video/probe-video.js';
import { makeTestVideo, readFrameNumber, setMp4Rotation } from '../helpers/make-test-video.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { framesUnlikeWholeDecode, md5 } from '../helpers/whole-decode.js';
import { damagePacket, dropSyncSampleTable } from '../helpers/damage-video.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('video-extract-verified');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function extractAll(probe: VideoProbe, requests: ClipRequest[]): Promise<ExtractedClip[]> {
  const out: ExtractedClip[] = [];
  for await (const clip of extractClipFrames(probe, requests)) out.push(clip);
  return out;
}

describe('verified seek-based extraction', () => {
  it('H.264 High 4:4:4 Predictive with scene cuts, open GOPs, a B-pyramid and an edit list: every seek is clean (no needless retry) and equals a whole-file decode', async () => {
    const path = join(dir, 'h264-444-open-gop.mp4');
    const scenes = 'testsrc2=s=320x180:r=20:d=5,format=yuv444p[a];mandelbrot=s=320x180:r=20,trim=duration=5,setpts=PTS-STARTPTS,format=yuv444p[b];cellauto=s=320x180:r=20,trim=duration=5,setpts=PTS-STARTPTS,format=yuv444p[c];[a][b][c]concat=n=3:v=1';
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-filter_complex', scenes, '-c:v', 'libx264', '-profile:v', 'high444', '-pix_fmt', 'yuv444p', '-preset', 'veryfast', '-x264-params', 'open-gop=1:bframes=3:b-pyramid=normal', path]);
    const probe = await probeVideo(path);
    expect(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream=profile', '-of', 'csv=p=0', path], { encoding: 'utf8' }).trim()).toBe('High 4:4:4 Predictive');
    expect(readFileSync(path).includes('elst')).toBe(true);
    expect(probe.packets.keyframes.length).toBeGreaterThan(2); // the scene cuts
    const clips = await extractAll(probe, planApolloClips(probe, DEFAULT_SAMPLING_SETTINGS).clips);
    for (const clip of clips) {
      expect(clip.damagedTimes).toEqual([]);
      expect(clip.attempts, `clip ${clip.clipIndex}`).toHaveLength(1);
    }
    expect(framesUnlikeWholeDecode(probe, clips)).toEqual([]);
  });

  it('HEVC Main 10 with open GOPs (CRA keyframes whose leading pictures need the GOP before), B-frames and a 90° display matrix: every seek is clean and equals a whole-file decode, upright', async () => {
    // Generated (no HEVC or 10-bit file was found in Debian's packages), keyframes every 1.2 s so
    // they fall anywhere in a clip. A seek to a CRA cannot decode the leading pictures after it in
    // decode order, but those show before the CRA, so before any frame the seek was made for; the
    // ones before a later CRA of the clip come from the GOP decoded just before: no retry needed.
    const path = join(dir, 'hevc-main10-open-gop-rotated.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x192:r=25:d=12', '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-tag:v', 'hvc1', '-x265-params', 'log-level=error:keyint=30:min-keyint=30:scenecut=0:bframes=4:open-gop=1', path]);
    setMp4Rotation(path, 90);
    const probe = await probeVideo(path);
    const stream = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream=codec_name,profile,pix_fmt', '-of', 'csv=p=0', path], { encoding: 'utf8' }).trim();
    expect(stream).toMatch(/^hevc,Main 10,yuv420p10le\b/);
    expect(Math.abs(probe.rotation)).toBe(90);
    expect([probe.width, probe.height]).toEqual([192, 320]); // upright: portrait
    const clips = await extractAll(probe, planApolloClips(probe, DEFAULT_SAMPLING_SETTINGS).clips);
    for (const clip of clips) {
      expect(clip.damagedTimes, `clip ${clip.clipIndex}`).toEqual([]);
      expect(clip.missingTimes, `clip ${clip.clipIndex}`).toEqual([]);
      expect(clip.attempts, `clip ${clip.clipIndex}`).toHaveLength(1);
    }
    expect(framesUnlikeWholeDecode(probe, clips)).toEqual([]);
  });

  it('retries a seek that starts on a frame the container wrongly flags as a keyframe (the frames equal a whole-file decode)', async () => {
    const path = makeTestVideo(dir, { name: 'mpeg4-all-sync.mp4', frames: 150, fps: 25, encode: ['-c:v', 'mpeg4', '-q:v', '4', '-bf', '2', '-g', '30'] });
    dropSyncSampleTable(path);
    const probe = await probeVideo(path);
    expect(probe.packets.keyframes.length).toBe(150); // the container now claims every frame is a keyframe
    const requests: ClipRequest[] = [
      { index: 0, frameIndices: [40, 43, 46, 49] },
      { index: 1, frameIndices: [97, 100, 103, 106] },
      { index: 2, frameIndices: [0, 1, 2, 3] },
    ];
    const clips = await extractAll(probe, requests);
    for (const clip of clips) {
      expect(clip.frames.map((f) => readFrameNumber(f).index)).toEqual(clip.frameIndices);
      expect(clip.damagedTimes).toEqual([]);
    }
    // the seeks into the middle of a GOP were seen as damaged and retried
    expect(clips[0]!.attempts.length).toBeGreaterThan(1);
    expect(clips[0]!.attempts[0]!.damaged).toBeGreaterThan(0);
    expect(clips[2]!.attempts).toHaveLength(1);
    expect(framesUnlikeWholeDecode(probe, clips)).toEqual([]);
  });

  it('a timeline that starts again part-way (two recordings joined without re-timing): the frames at times only the second part has are decoded, not stood in for', async () => {
    // `cat a.ts b.ts`: the second part's timestamps start where the first part's did
    const a = makeTestVideo(dir, { name: 'restart-a.ts', frames: 40, fps: 25, encode: ['-c:v', 'mpeg4', '-q:v', '4', '-g', '12', '-f', 'mpegts'] });
    const b = makeTestVideo(dir, { name: 'restart-b.ts', frames: 100, fps: 25, encode: ['-c:v', 'mpeg4', '-q:v', '4', '-g', '12', '-f', 'mpegts'] });
    const path = join(dir, 'restart.ts');
    writeFileSync(path, Buffer.concat([readFileSync(a), readFileSync(b)]));
    const probe = await probeVideo(path);
    expect(probe.frameCount).toBe(140);
    expect(timestampsRepeat(probe.packets)).toBe(true);
    const first = probe.packets.pts[0]!;
    const step = probe.packets.pts[2]! - first; // pts 0, 0, 1, 1, …: each of the first 40 times twice
    const clips = await extractAll(probe, [
      { index: 0, frameIndices: [10, 20, 30, 40] },
      { index: 1, frameIndices: [0, 70, 90, 139] }, // times both parts have, then times only the second has
    ]);
    for (const clip of clips) {
      const shown = clip.frameIndices.map((i) => (probe.packets.pts[i]! - first) / step);
      expect(clip.frames.map((f) => readFrameNumber(f).index), `clip ${clip.clipIndex}`).toEqual(shown);
      expect(clip.missingTimes).toEqual([]);
      expect(clip.damagedTimes).toEqual([]);
    }
    expect(clips[1]!.frames.map((f) => readFrameNumber(f).index)).toEqual([0, 35, 50, 99]);
    expect(framesUnlikeWholeDecode(probe, clips)).toEqual([]);
    // the thumbnail is taken at the clip's middle planned frame's time (frame 50, 2 s into the
    // timeline), not at index / fps (up to 139 / 25 = 5.56 s, past the file's 4 s timeline)
    const startSeconds = (first * probe.packets.timeBase.num) / probe.packets.timeBase.den - probe.packets.formatStartUs / 1e6;
    expect(clipPictureSeconds(probe, [0, 70, 90, 139]) - startSeconds).toBeCloseTo(50 / 25, 6);
  });

  it('keeps damage that a decode from the beginning still shows, names its times, and leaves clean clips clean', async () => {
    const path = makeTestVideo(dir, { name: 'h264-damaged.mp4', frames: 120, fps: 20, encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x264-params', 'keyint=20:min-keyint=20:scenecut=0:bframes=0'] });
    const clean = await probeVideo(path);
    expect(clean.packets.keyframes).toEqual([0, 20, 40, 60, 80, 100]);
    damagePacket(path, clean, 40); // the keyframe at 2.0 s
    const probe = await probeVideo(path);
    const clips = await extractAll(probe, [
      { index: 0, frameIndices: [41, 44, 47, 50] },
      { index: 1, frameIndices: [81, 84, 87, 90] },
    ]);
    const [damaged, fine] = clips as [ExtractedClip, ExtractedClip];
    expect(damaged.damagedTimes).toEqual([2.05, 2.2, 2.35, 2.5]);
    expect(damaged.attempts.at(-1)!.fromSeconds).toBe(0); // accepted only from a decode from the beginning
    expect(damaged.attempts.at(-1)!.log?.join(' ')).toMatch(/h264/);
    expect(fine.damagedTimes).toEqual([]);
    expect(fine.attempts).toHaveLength(1);
    // the two clips' first seeks shared a run whose log had a decoder complaint that cannot be tied
    // to one of them: the shared run is not trusted, and each clip is decoded on its own
    expect(fine.attempts[0]!.clipsInRun).toBe(1);
    expect(framesUnlikeWholeDecode(probe, clips)).toEqual([]);

    // the CLI names the damaged times (frames 40…59 are damaged; the plan samples 50 and 55 of them)
    const out = join(dir, 'frames-out');
    const r = await runCli(['frames', path, '--out', out, '--json', '--no-progress'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { warnings: { code: string; message: string; times: number[] }[] };
    expect(report.warnings.map((w) => w.code)).toEqual(['FRAMES_DAMAGED']);
    expect(report.warnings[0]!.times.every((t) => t >= 2 && t < 3)).toBe(true);
    expect(report.warnings[0]!.message).toMatch(/damaged.*at 0:02\.\d/);
    expect(r.stderr).toMatch(/warning \[FRAMES_DAMAGED\]/);
  });
});

describe('clips decoded together', () => {
  it("several clips' first seeks share one ffmpeg run: the same frames as a run per clip and as a whole-file decode, and no temporary file is left", async () => {
    const path = makeTestVideo(dir, { name: 'h264-shared-runs.mp4', frames: 240, fps: 24, encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x264-params', 'keyint=24:min-keyint=24:scenecut=0:bframes=2:open-gop=1'] });
    const probe = await probeVideo(path);
    const requests = planApolloClips(probe, DEFAULT_SAMPLING_SETTINGS).clips;
    const scratch = join(dir, 'tmp-shared');
    mkdirSync(scratch);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      const together: ExtractedClip[] = [];
      for await (const clip of extractClipFrames(probe, requests, { clipsPerRun: 4 })) together.push(clip);
      const alone: ExtractedClip[] = [];
      for await (const clip of extractClipFrames(probe, requests, { clipsPerRun: 1 })) alone.push(clip);
      expect(together.map((c) => c.attempts.map((a) => a.clipsInRun))).toEqual(requests.map((_, i) => [Math.min(4, requests.length - 4 * Math.floor(i / 4))]));
      expect(alone.every((c) => c.attempts.length === 1 && c.attempts[0]!.clipsInRun === 1)).toBe(true);
      expect(together.map((c) => c.frames.map((f) => md5(f.data)))).toEqual(alone.map((c) => c.frames.map((f) => md5(f.data))));
      expect(framesUnlikeWholeDecode(probe, together)).toEqual([]);
      // cancelled while a shared run is under way: its folder goes too
      const controller = new AbortController();
      const run = (async () => {
        for await (const _ of extractClipFrames(probe, requests, { clipsPerRun: 4, signal: controller.signal })) controller.abort();
      })();
      await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(readdirSync(scratch)).toEqual([]);
      // no usable temporary folder: each clip through its own pipe, the same frames
      process.env.TMPDIR = join(dir, 'no-such-folder', 'tmp');
      const fallback: ExtractedClip[] = [];
      for await (const clip of extractClipFrames(probe, requests, { clipsPerRun: 4 })) fallback.push(clip);
      expect(fallback.every((c) => c.attempts.length === 1 && c.attempts[0]!.clipsInRun === 1)).toBe(true);
      expect(fallback.map((c) => c.frames.map((f) => md5(f.data)))).toEqual(alone.map((c) => c.frames.map((f) => md5(f.data))));
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });

  it('four 1080p clips of 4 frames share a run; a 4K clip or a timeline that starts again is decoded alone', () => {
    const packets = { pts: [0, 1, 2], keyframes: [0], timeBase: { num: 1, den: 25 }, formatStartUs: 0 } as unknown as VideoProbe['packets'];
    const clip = { index: 0, frameIndices: [0, 1, 2, 3] };
    expect(clipsPerRun({ width: 1920, height: 1080, packets }, [clip])).toBe(4);
    expect(clipsPerRun({ width: 3840, height: 2160, packets }, [clip])).toBe(1);
    expect(clipsPerRun({ width: 320, height: 180, packets }, [clip])).toBe(4);
    const repeated = { ...packets, pts: [0, 1, 1, 2] } as VideoProbe['packets'];
    expect(clipsPerRun({ width: 320, height: 180, packets: repeated }, [clip])).toBe(1);
  });

  it('runs side by side: half the cores, at least 2, at most 4', () => {
    expect([1, 2, 3, 4, 6, 8, 16, 64].map((cores) => defaultExtractConcurrency(cores))).toEqual([2, 2, 2, 2, 3, 4, 4, 4]);
  });
});

describe('readDecodeLog', () => {
  const names = { decoder: 'h264', allName: 'Parsed_showinfo_2', outName: 'Parsed_showinfo_9' };
  const frame = (pts: number, key: 0 | 1, name = names.allName) => `[${name} @ 0x55d0] [info] n:   0 pts:  ${pts} pts_time:1 pos: 1 fmt:yuv420p sar:1/1 s:2x2 i:P iskey:${key} type:P checksum:0A`;
  it('marks frames after a decoder error until the next clean keyframe, and a run that starts on a non-key frame', () => {
    const log = [frame(0, 0), frame(1, 1), '[h264 @ 0x55d1] [error] error while decoding MB 3 4, bytestream -5', frame(2, 1), frame(3, 0), frame(4, 1), frame(3, 0, names.outName), '[h264 @ 0x55d1] [warning] Increasing reorder buffer to 1', frame(5, 0)].join('\n');
    const read = readDecodeLog(log, names);
    expect([...read.damagedPts]).toEqual([0, 2, 3]);
    expect(read.outPts).toEqual([3]);
    expect(read.damageLines).toHaveLength(1);
  });
  it('ignores errors of other contexts (the muxer, the demuxer) and counts the parser and bare decode errors', () => {
    const log = [frame(0, 1), '[rawvideo @ 0x1] [error] Application provided invalid, non monotonically increasing dts', '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x2] [error] stream 1: bad', frame(1, 0), '[NULL @ 0x3] [error] Invalid NAL unit size (20773 > 1061).', frame(2, 0), frame(3, 1), '[error] Error while decoding stream #0:0: Invalid data found when processing input', frame(4, 1)].join('\n');
    expect([...readDecodeLog(log, names).damagedPts]).toEqual([2, 4]);
  });
  it("ignores H.264's 'mmco: unref short failure' after a seek (it names a frame from before the seek)", () => {
    const log = [frame(0, 1), '[h264 @ 0x55d1] [error] mmco: unref short failure', frame(1, 0), frame(2, 0)].join('\n');
    expect([...readDecodeLog(log, names).damagedPts]).toEqual([]);
  });
});
