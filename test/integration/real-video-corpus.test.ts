// Issue 13: real videos made by other people (Debian packages, fetched into the test cache by the
// set-up). For each: the plan equals the reference sampling for decord's frame count (the packet
// count) and avg_frame_rate, every planned frame equals a whole-file decode (the frame a player
// shows at that time), any damage or missing frame is named by a warning, and the filmstrip
// thumbnails are not blank.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderThumbnail } from '../../electron/host/app/clip-thumbnails.js';
import { decodeFrameIndex, planApolloClips } from '../../electron/engine/video/apollo-clip-plan.js';
import { clipPictureSeconds, extractClipFrames } from '../../electron/engine/video/extract-clip-frames.js';
import { h264PacketsReadable } from '../../electron/engine/video/h264-reference-pictures.js';
import { probeVideo } from '../../electron/engine/video/probe-video.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { buildVideoText } from '../../electron/engine/video/video-text.js';
import { type CorpusVideo, DEBIAN_VIDEO_CORPUS, fetchDebianVideoCorpus, localPathOf } from '../helpers/debian-video-corpus.js';
import { referenceSampling } from '../helpers/reference-apollo.js';
import { decoderReferencePts, md5, shownFrameMd5, wholeDecodeMd5ByPts } from '../helpers/whole-decode.js';

let unavailable: string | undefined;
let changed = new Map<CorpusVideo, string>();
beforeAll(() => {
  ({ unavailable, changed } = fetchDebianVideoCorpus());
  if (unavailable !== undefined) console.warn(`real-video corpus skipped: ${unavailable}`);
}, 900_000);

/** decord's len(VideoReader) and get_avg_fps(), asked of ffprobe independently of the probe. */
function decordView(path: string, streamIndex: number): { frameCount: number; fps: number } {
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', String(streamIndex), '-show_entries', 'stream=nb_read_packets,avg_frame_rate', '-of', 'json', path], { encoding: 'utf8' })) as { streams: { nb_read_packets: string; avg_frame_rate: string }[] };
  const [num, den] = out.streams[0]!.avg_frame_rate.split('/').map(Number) as [number, number];
  return { frameCount: Number(out.streams[0]!.nb_read_packets), fps: num / den };
}

/** Standard deviation of a thumbnail's grey levels (decoded by ffmpeg). */
function thumbnailStdev(jpeg: Buffer): number {
  const grey = execFileSync('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { input: jpeg });
  let sum = 0;
  let sq = 0;
  for (const v of grey) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / grey.length;
  return Math.sqrt(Math.max(0, sq / grey.length - mean * mean));
}

describe('real videos made by others', () => {
  for (const video of DEBIAN_VIDEO_CORPUS) {
    it(`${video.package}: ${video.path.split('/').pop()} (${video.note})`, async (ctx) => {
      if (unavailable !== undefined) ctx.skip(unavailable);
      const change = changed.get(video);
      if (change !== undefined) throw new Error(change);
      const path = localPathOf(video);
      if (video.refused !== undefined) {
        await expect(probeVideo(path)).rejects.toMatchObject({ code: video.refused, message: expect.stringMatching(/choose a video file/) });
        return;
      }
      const probe = await probeVideo(path);
      expect([probe.formatName, probe.codec]).toEqual([video.container, video.codec]);

      // the plan is the reference's for decord's N and fps; a stream without an average rate (decord's
      // fps NaN: the reference divides by it) gets the rate a player times it by, and the reference's
      // sampling for that rate
      const decord = decordView(path, probe.streamIndex);
      let fps = decord.fps;
      if (Number.isFinite(fps) && fps > 0) expect(video.derivedFps, 'the file declares an average rate').toBeUndefined();
      else {
        expect(probe.frameRateSource).not.toBe('avg_frame_rate');
        expect(probe.fps).toBeCloseTo(video.derivedFps ?? Number.NaN, 9);
        fps = probe.fps;
      }
      expect([probe.frameCount, probe.fps]).toEqual([decord.frameCount, fps]);
      const plan = planApolloClips(probe, DEFAULT_SAMPLING_SETTINGS);
      const s = DEFAULT_SAMPLING_SETTINGS;
      const reference = referenceSampling({ frameCount: decord.frameCount, fps, clipDuration: s.clipDuration, numRepeatToken: s.numOutputTokens, modelMaxLength: s.modelMaxLength, clipSamplingRatio: s.clipSamplingRatio });
      expect(plan.allIndices).toEqual(reference.allIndices);
      expect(buildVideoText(plan, s)).toBe(reference.videoText);

      // every planned frame is the whole-file decode's frame at that time; damage is named
      const whole = wholeDecodeMd5ByPts(probe);
      const damaged: number[] = [];
      const missing: number[] = [];
      let frames = 0;
      // non-reference pictures are skipped exactly for the clips whose planned pictures FFmpeg's
      // decoder itself keeps when skipping (H.264 in MP4/MOV only; in a damaged file a packet that
      // does not parse is never taken for a reference picture), and the frames are still exact
      const references = h264PacketsReadable(probe) ? decoderReferencePts(path, probe.streamIndex) : undefined;
      let skipped = 0;
      for await (const clip of extractClipFrames(probe, plan.clips)) {
        damaged.push(...clip.damagedTimes);
        missing.push(...clip.missingTimes);
        const allReference = references !== undefined && clip.frameIndices.every((i) => references.has(probe.packets.pts[decodeFrameIndex(i, probe.frameCount)]!));
        if (video.warns === undefined || !allReference) expect(clip.attempts[0]!.skippedNonReference, `clip ${clip.clipIndex} skipped non-reference pictures`).toBe(allReference);
        if (clip.attempts[0]!.skippedNonReference) skipped++;
        clip.frameIndices.forEach((index, j) => {
          const pts = probe.packets.pts[decodeFrameIndex(index, probe.frameCount)]!;
          expect(md5(clip.frames[j]!.data), `clip ${clip.clipIndex} frame ${index}`).toBe(shownFrameMd5(whole, pts));
          frames++;
        });
      }
      expect(frames).toBe(plan.allIndices.length);
      // damage and missing frames are exactly those the file really has (named, never silent)
      expect({ damaged: damaged.length > 0, missing: missing.length > 0 }).toEqual({ damaged: video.warns?.includes('damaged') ?? false, missing: video.warns?.includes('missing') ?? false });
      console.info(`${video.path.split("/").pop()}: ${probe.codec} (${probe.frameRateSource}) ${probe.width}x${probe.height} ${probe.frameCount} frames at ${probe.fps.toFixed(3)} fps, ${plan.clips.length} clips (${skipped} skipping non-reference pictures); damaged at [${damaged.join(', ')}], missing at [${missing.join(', ')}]`);

      // the filmstrip's thumbnails (first, middle and last clip) show a picture
      const picks = [...new Set([0, plan.clips.length >> 1, plan.clips.length - 1])];
      for (const i of picks) {
        const c = plan.clips[i]!;
        expect(thumbnailStdev(await renderThumbnail(path, clipPictureSeconds(probe, c.frameIndices))), `thumbnail of clip ${i}`).toBeGreaterThan(2);
      }
    }, 300_000);
  }
});
