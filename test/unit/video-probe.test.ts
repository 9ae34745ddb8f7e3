// probeVideo against ffprobe's own view of generated files, and every bad input a user can drop:
// each must fail fast with its typed code, never hang or leak a child process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planApolloClips } from '../../electron/engine/video/apollo-clip-plan.js';
import { extractClipFrames } from '../../electron/engine/video/extract-clip-frames.js';
import { buildPacketIndex, decordRotation, isVariableFrameRate, probeVideo } from '../../electron/engine/video/probe-video.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { makeTestVideo, readFrameNumber } from '../helpers/make-test-video.js';
import { makeTempDir } from '../helpers/paths.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('video-probe');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
const h264 = (name: string, frames = 120, extra: string[] = []) => makeTestVideo(dir, { name, frames, encode: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '15', ...extra] });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    expect((error as Error).message).toMatch(/;|\./); // a sentence, not a raw tool message
    return (error as { code?: string }).code ?? String(error);
  }
}

/** ffmpeg/ffprobe processes whose parent is this test process (read from /proc: no `ps` needed). */
function childFfmpegs(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /ffmpeg|ffprobe/.test(comm)) out.push(`${pid} ${comm}`);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

describe('probeVideo', () => {
  it('reports the frame count, fps, size and codec as ffprobe sees them', async () => {
    const path = h264('plain.mp4', 75);
    const p = await probeVideo(path);
    const oracle = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets,avg_frame_rate,width,height,codec_name', '-of', 'json', path]).toString()).streams[0];
    expect(p.frameCount).toBe(Number(oracle.nb_read_packets));
    expect(p.frameCount).toBe(75);
    expect(p.containerFrameCount).toBe(75);
    const [num, den] = (oracle.avg_frame_rate as string).split('/').map(Number) as [number, number];
    expect(p.fps).toBe(num / den);
    expect(p.duration).toBe(75 / (num / den));
    expect([p.width, p.height, p.codec, p.rotation, p.variableFrameRate, p.hasVideo]).toEqual([oracle.width, oracle.height, oracle.codec_name, 0, false, true]);
    expect(p.packets.keyframes[0]).toBe(0);
  });

  it('counts packets when the container declares no frame count (WebM)', async () => {
    const path = makeTestVideo(dir, { name: 'count.webm', frames: 50, encode: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8'] });
    const p = await probeVideo(path);
    expect(p.containerFrameCount).toBeNull();
    expect(p.frameCount).toBe(50);
  });

  it('pure helpers: rotation as decord computes it, packet index sorted by pts, VFR detection', () => {
    expect(decordRotation({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] })).toBe(90);
    expect(decordRotation({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: 90 }] })).toBe(270);
    expect(decordRotation({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: 180 }] })).toBe(180);
    expect(decordRotation({ tags: { rotate: '90' }, side_data_list: [{ side_data_type: 'Display Matrix', rotation: 90 }] })).toBe(90);
    expect(decordRotation({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -45 }] })).toBe(0);
    const listing = ['0,-2,90,48,K_', '3,-1,30,138,__', '1,0,10,168,__', '2,1,11,N/A,__', '6,2,70,190,K_', 'N/A,3,12,260,__', 'N/A,N/A,12,272,__'].join('\n');
    const index = buildPacketIndex(listing + '\n', { num: 1, den: 30 }, 0);
    expect(index.pts).toEqual([0, 1, 2, 3, 3, 6]);
    expect(index.keyframes).toEqual([0, 5]);
    expect(index.offsets).toEqual([48, 168, -1, 138, 260, 190]);
    expect(index.sizes).toEqual([90, 10, 11, 30, 12, 70]);
    expect(isVariableFrameRate([0, 1001, 2002, 3003])).toBe(false);
    expect(isVariableFrameRate([0, 1001, 2002, 4004])).toBe(true);
  });
});

describe('bad input fails fast with a typed error', () => {
  const table: { name: string; make: () => string; code: string }[] = [
    { name: 'missing path', make: () => join(dir, 'nope.mp4'), code: 'FILE_NOT_FOUND' },
    { name: 'a directory', make: () => (mkdirSync(join(dir, 'folder.mp4'), { recursive: true }), join(dir, 'folder.mp4')), code: 'NOT_A_FILE' },
    { name: 'a file under 1 KiB', make: () => (writeFileSync(join(dir, 'tiny.mp4'), readFileSync(h264('src-tiny.mp4', 30)).subarray(0, 1000)), join(dir, 'tiny.mp4')), code: 'VIDEO_TOO_SMALL' },
    { name: 'not a media file (text)', make: () => (writeFileSync(join(dir, 'notes.mp4'), 'these are my notes, not a video\n'.repeat(200)), join(dir, 'notes.mp4')), code: 'NOT_A_VIDEO' },
    { name: 'not a media file (random bytes)', make: () => (writeFileSync(join(dir, 'noise.mkv'), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 2654435761) >>> 24))), join(dir, 'noise.mkv')), code: 'NOT_A_VIDEO' },
    { name: 'audio only', make: () => (ffmpeg('-f', 'lavfi', '-i', 'sine=d=2', '-c:a', 'aac', join(dir, 'audio.m4a')), join(dir, 'audio.m4a')), code: 'NO_VIDEO_STREAM' },
    {
      name: 'truncated download (index first, data cut)',
      make: () => {
        const full = h264('src-faststart.mp4', 150, ['-movflags', '+faststart']);
        const bytes = readFileSync(full);
        writeFileSync(join(dir, 'truncated.mp4'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
        return join(dir, 'truncated.mp4');
      },
      code: 'VIDEO_INCOMPLETE',
    },
    {
      name: 'MP4 without its moov atom',
      make: () => {
        const bytes = readFileSync(h264('src-plain.mp4', 150));
        writeFileSync(join(dir, 'no-moov.mp4'), bytes.subarray(0, Math.floor(bytes.length * 0.8)));
        return join(dir, 'no-moov.mp4');
      },
      code: 'VIDEO_INCOMPLETE',
    },
    {
      name: 'zero duration (a video track without frames)',
      make: () => (ffmpeg('-i', h264('src-empty.mp4', 30), '-f', 'lavfi', '-i', 'sine=d=2', '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-bsf:v', 'noise=drop=1', '-c:a', 'aac', join(dir, 'empty.mkv')), join(dir, 'empty.mkv')),
      code: 'VIDEO_EMPTY',
    },
    {
      name: 'unsupported codec (unknown FourCC)',
      make: () => {
        ffmpeg('-i', h264('src-avi.mp4', 30), '-c:v', 'copy', join(dir, 'src.avi'));
        const bytes = readFileSync(join(dir, 'src.avi'));
        const head = bytes.subarray(0, 8192);
        for (const tag of ['avc1', 'H264']) for (let i = head.indexOf(tag); i !== -1; i = head.indexOf(tag, i + 4)) head.write('QQQQ', i, 'latin1');
        writeFileSync(join(dir, 'unknown-codec.avi'), bytes);
        return join(dir, 'unknown-codec.avi');
      },
      code: 'UNSUPPORTED_CODEC',
    },
  ];
  for (const row of table) {
    it(row.name, async () => {
      const path = row.make();
      const t0 = Date.now();
      expect(await codeOf(probeVideo(path))).toBe(row.code);
      expect(Date.now() - t0).toBeLessThan(5000);
    });
  }

  it('corrupt frames in the middle: decodes what can be decoded (error concealment), frames away from the damage are exact', async () => {
    const clean = h264('src-corrupt.mp4', 240, ['-x264-params', 'keyint=30:min-keyint=30:scenecut=0']);
    const bytes = Buffer.from(readFileSync(clean));
    const mdat = bytes.indexOf('mdat');
    const mid = mdat + Math.floor((bytes.length - mdat) / 2);
    for (let i = 0; i < 600; i++) bytes[mid + i] = (i * 97 + 13) & 0xff;
    const path = join(dir, 'corrupt.mp4');
    writeFileSync(path, bytes);
    const p = await probeVideo(path);
    expect(p.frameCount).toBe(240);
    const plan = planApolloClips(p, DEFAULT_SAMPLING_SETTINGS);
    let exact = 0;
    let total = 0;
    for await (const clip of extractClipFrames(p, plan.clips)) {
      clip.frames.forEach((f, i) => {
        total++;
        if (readFrameNumber(f).index === clip.frameIndices[i]) exact++;
      });
    }
    expect(total).toBe(plan.allIndices.length);
    expect(exact).toBeGreaterThanOrEqual(total - 8); // at most the damaged GOP's frames differ
  });
});

describe('a planned frame that cannot be produced', () => {
  it('a frame the container lists but no decoder outputs: after retrying from earlier keyframes and the start, the frame shown at that time stands in, named in missingTimes', async () => {
    const probe = await probeVideo(h264('missing-frame.mp4', 60));
    // A packet index that claims a frame between frames 30 and 31, which no decoder will output.
    const pts = [...probe.packets.pts];
    const ghost = (pts[30]! + pts[31]!) / 2;
    pts.splice(31, 0, ghost);
    const damaged = { ...probe, frameCount: pts.length, packets: { ...probe.packets, pts } };
    const clips = [];
    for await (const clip of extractClipFrames(damaged, [{ index: 0, frameIndices: [29, 30, 31, 32] }])) clips.push(clip);
    const [clip] = clips;
    // positions 29, 30, the ghost (frame 30 is on screen then) and 32 (which is frame 31)
    expect(clip!.frames.map((f) => readFrameNumber(f).index)).toEqual([29, 30, 30, 31]);
    expect(clip!.missingTimes).toHaveLength(1);
    expect(clip!.missingTimes[0]).toBeCloseTo((ghost * probe.packets.timeBase.num) / probe.packets.timeBase.den, 6);
    expect(clip!.damagedTimes).toEqual([]);
  });
});

describe('a stream whose container flags no keyframe', () => {
  it('is decoded from the start, frame-exact', async () => {
    const probe = await probeVideo(h264('no-key-flags.mp4', 60));
    const unflagged = { ...probe, packets: { ...probe.packets, keyframes: [] } };
    for await (const clip of extractClipFrames(unflagged, [{ index: 0, frameIndices: [40, 44, 48, 59] }])) {
      expect(clip.frames.map((f) => readFrameNumber(f).index)).toEqual([40, 44, 48, 59]);
    }
  });
});

describe('cancellation', () => {
  it('an aborted signal stops extraction within a second and leaves no ffmpeg behind', async () => {
    const path = join(dir, 'long.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=640x480:r=30:d=20', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '600', path);
    const p = await probeVideo(path);
    const controller = new AbortController();
    const requests = Array.from({ length: 20 }, (_, i) => ({ index: i, frameIndices: [290 + (i % 5), 295, 298, 299] }));
    let abortedAt = 0;
    const run = (async () => {
      for await (const clip of extractClipFrames(p, requests, { signal: controller.signal })) {
        if (clip.clipIndex === 0) {
          setTimeout(() => {
            abortedAt = Date.now();
            controller.abort();
          }, 20);
        }
      }
    })();
    expect(await codeOf(run)).toBe('CANCELLED');
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(childFfmpegs()).toEqual([]);
    const pre = new AbortController();
    pre.abort();
    expect(await codeOf(probeVideo(path, { signal: pre.signal }))).toBe('CANCELLED');
  });
});
