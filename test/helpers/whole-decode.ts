// The tests' oracle for extraction: the MD5 of every frame of a whole-file decode (no seek, no frame
// selection), by pts, through ffmpeg's framemd5 muxer, with the same rotation and RGB conversion
// as the frames the app delivers. Streams, so a long video costs no memory.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rotationFilters } from '../../electron/engine/video/extract-clip-frames.js';
import { resolveFfmpeg } from '../../electron/common/platform/ffmpeg-locate.js';
import type { VideoProbe } from '../../electron/engine/video/probe-video.js';
import { decodeFrameIndex } from '../../electron/engine/video/apollo-clip-plan.js';
import type { ExtractedClip } from '../../electron/engine/video/extract-clip-frames.js';

export function wholeDecodeMd5ByPts(probe: VideoProbe): Map<number, string> {
  const { ffmpeg } = resolveFfmpeg();
  const vf = [...rotationFilters(probe.rotation), `scale=${probe.width}:${probe.height}`, 'format=rgb24'].join(',');
  const run = spawnSync(ffmpeg, ['-v', 'error', '-nostdin', '-noautorotate', '-copyts', '-threads', '1', '-i', probe.path, '-map', `0:${probe.streamIndex}`, '-an', '-sn', '-dn', '-vf', vf, '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-c:v', 'rawvideo', '-pix_fmt', 'rgb24', '-f', 'framemd5', 'pipe:1'], { maxBuffer: 1 << 28, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`whole-file decode of ${probe.path} failed: ${run.stderr.slice(-500)}`);
  const byPts = new Map<number, string>();
  for (const line of run.stdout.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const cols = line.split(',').map((c) => c.trim());
    const pts = Number(cols[2]);
    if (!byPts.has(pts)) byPts.set(pts, cols[5]!);
  }
  return byPts;
}

export const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

/** The MD5 of the frame a player shows at `pts`: the decoded frame with that pts, else the last one before it, else the first after. */
export function shownFrameMd5(whole: Map<number, string>, pts: number): string | undefined {
  const exact = whole.get(pts);
  if (exact !== undefined) return exact;
  let before: number | undefined;
  let after: number | undefined;
  for (const p of whole.keys()) {
    if (p <= pts && (before === undefined || p > before)) before = p;
    if (p > pts && (after === undefined || p < after)) after = p;
  }
  const at = before ?? after;
  return at === undefined ? undefined : whole.get(at);
}

/**
 * The pts of the pictures FFmpeg's own decoder keeps when told to skip non-reference ones (whole
 * file, no seek): the oracle for h264-reference-pictures.ts.
 */
export function decoderReferencePts(path: string, streamIndex = 0): Set<number> {
  const { ffmpeg } = resolveFfmpeg();
  const run = spawnSync(ffmpeg, ['-v', 'error', '-nostdin', '-copyts', '-threads', '1', '-skip_frame', 'noref', '-i', path, '-map', `0:${streamIndex}`, '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-f', 'framemd5', 'pipe:1'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`decode of ${path} skipping non-reference pictures failed: ${run.stderr.slice(-500)}`);
  return new Set(
    run.stdout
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => Number(l.split(',')[2])),
  );
}

/** The planned frames of these clips that differ from a whole-file decode's frame with their pts ("clip C frame I"); empty when all are equal. */
export function framesUnlikeWholeDecode(probe: VideoProbe, clips: readonly ExtractedClip[]): string[] {
  const whole = wholeDecodeMd5ByPts(probe);
  const unlike: string[] = [];
  for (const clip of clips) {
    clip.frameIndices.forEach((index, j) => {
      const pts = probe.packets.pts[decodeFrameIndex(index, probe.frameCount)]!;
      if (md5(clip.frames[j]!.data) !== whole.get(pts)) unlike.push(`clip ${clip.clipIndex} frame ${index}`);
    });
  }
  return unlike;
}
