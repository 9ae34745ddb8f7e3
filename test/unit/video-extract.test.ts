// Frame-exact extraction: generated videos show their own frame index, so every extracted frame
// must read back as the index the plan asked for, upright, in every container and codec below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { decodeFrameIndex, planApolloClips } from '../../electron/engine/video/apollo-clip-plan.js';
import { extractClipFrames, type ClipRequest } from '../../electron/engine/video/extract-clip-frames.js';
import { probeVideo } from '../../electron/engine/video/probe-video.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { makeTestVideo, readFrameNumber, type TestVideoSpec } from '../helpers/make-test-video.js';
import { makeTempDir } from '../helpers/paths.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('video-extract');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x264 = (params: string) => ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x264-params', params];

const cases: { spec: TestVideoSpec; expect: { rotation?: number; vfr?: boolean; width?: number; height?: number; startAfterZero?: boolean } }[] = [
  { spec: { name: 'h264-bframes-open-gop.mp4', frames: 150, encode: [...x264('bframes=3:b-pyramid=normal:open-gop=1:keyint=12:min-keyint=12:scenecut=0'), '-preset', 'medium'] }, expect: {} },
  { spec: { name: 'h264-vfr.mkv', frames: 120, variableFrameRate: true, encode: x264('bframes=2:keyint=20:min-keyint=20:scenecut=0') }, expect: { vfr: true } },
  { spec: { name: 'h264-portrait-rotated.mp4', frames: 90, width: 120, height: 160, rotate: 90, encode: x264('keyint=15:min-keyint=15:scenecut=0') }, expect: { rotation: 90, width: 120, height: 160 } },
  { spec: { name: 'h264-upside-down.mp4', frames: 40, rotate: 180, encode: x264('keyint=15:min-keyint=15:scenecut=0') }, expect: { rotation: 180 } },
  { spec: { name: 'h264-portrait-rotated-270.mp4', frames: 40, width: 120, height: 160, rotate: 270, encode: x264('keyint=15:min-keyint=15:scenecut=0') }, expect: { rotation: 270, width: 120, height: 160 } },
  { spec: { name: 'mpeg4-part2.mp4', frames: 120, encode: ['-c:v', 'mpeg4', '-q:v', '4', '-bf', '2', '-g', '15'] }, expect: {} },
  { spec: { name: 'mpeg4-part2.avi', frames: 90, encode: ['-c:v', 'mpeg4', '-q:v', '4', '-g', '15'] }, expect: {} },
  { spec: { name: 'vp9.webm', frames: 120, encode: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', '20', '-b:v', '200k'] }, expect: {} },
  { spec: { name: 'h264-offset-start.mp4', frames: 90, encode: [...x264('bframes=2:keyint=10:min-keyint=10:scenecut=0'), '-output_ts_offset', '3.5'] }, expect: { startAfterZero: true } },
  { spec: { name: 'h264-transport-stream.ts', frames: 90, fps: 25, encode: x264('bframes=2:keyint=25:min-keyint=25:scenecut=0') }, expect: { startAfterZero: true } },
];

function randomRequests(n: number, seed: number): ClipRequest[] {
  const out: ClipRequest[] = [];
  let s = seed;
  const rand = () => (s = (s * 48271) % 2147483647) / 2147483647;
  for (let c = 0; c < 6; c++) {
    const start = Math.floor(rand() * n);
    const step = 1 + Math.floor(rand() * 9);
    out.push({ index: c, frameIndices: [0, 1, 2, 3].map((k) => Math.min(n - 1, start + k * step)) });
  }
  out.push({ index: 6, frameIndices: [n - 1, n - 1, 0, -1] }); // last frame, a repeat, the first, and decord's -1
  return out;
}

describe('extractClipFrames is frame-exact', () => {
  for (const { spec, expect: want } of cases) {
    it(spec.name, async () => {
      const path = makeTestVideo(dir, spec);
      const probe = await probeVideo(path);
      expect(probe.frameCount).toBe(spec.frames);
      expect(probe.rotation).toBe(want.rotation ?? 0);
      expect(probe.variableFrameRate).toBe(want.vfr ?? false);
      expect([probe.width, probe.height]).toEqual([want.width ?? spec.width ?? 160, want.height ?? spec.height ?? 120]);
      if (want.startAfterZero) expect(probe.packets.pts[0]! * probe.packets.timeBase.num / probe.packets.timeBase.den).toBeGreaterThan(0.5);
      const plan = planApolloClips(probe, DEFAULT_SAMPLING_SETTINGS);
      const requests = [...plan.clips, ...randomRequests(spec.frames, spec.frames * 7 + spec.name.length)];
      const events: number[] = [];
      let seen = 0;
      for await (const clip of extractClipFrames(probe, requests, { onProgress: (e) => events.push(e.done) })) {
        expect(clip.frames).toHaveLength(clip.frameIndices.length);
        const read = clip.frames.map((f) => {
          expect([f.width, f.height, f.data.length]).toEqual([probe.width, probe.height, probe.width * probe.height * 3]);
          return readFrameNumber(f);
        });
        expect(read).toEqual(clip.frameIndices.map((i) => ({ index: decodeFrameIndex(i, probe.frameCount), upright: true })));
        seen++;
      }
      expect(seen).toBe(requests.length);
      expect(events.at(-1)).toBe(requests.length);
    });
  }
});
