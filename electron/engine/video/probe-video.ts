// Probes a video the way the reference reads it through decord: frame count N = the number of
// packets of the best video stream (decord indexes every packet and sorts them by pts), fps =
// the stream's avg_frame_rate, duration = N / fps, rotation from the display matrix.
//
// A stream without an average rate (avg_frame_rate 0/0: Ogg/Theora from ffmpeg, raw elementary
// streams) makes decord's get_avg_fps() 0/0 = NaN and the reference divide by it; there the rate is
// derived as a player times frames (deriveFrameRate): the stream's r_frame_rate when it agrees with
// the packet timestamps, else the packets' own average rate, else N over the container's duration.
// The plan then samples exactly as the reference would for a file declaring that rate.
import { open, stat } from 'node:fs/promises';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { runChildProcess } from './child-process-run.js';
import { resolveFfprobe } from '../../common/platform/ffmpeg-locate.js';

/** The reference rejects files under 1 KiB (mm_utils.get_video_details). */
export const MIN_VIDEO_BYTES = 1024;

export interface Rational {
  num: number;
  den: number;
}

/** Every packet of the video stream, in presentation order: position i is decord's frame i. */
export interface PacketIndex {
  timeBase: Rational;
  /** Packet pts in stream time-base units, sorted ascending. */
  pts: number[];
  /** Positions (in `pts` order) of keyframe packets, ascending; empty when the container flags none (extraction then decodes from the start). */
  keyframes: number[];
  /** The container's start time in microseconds (ffmpeg's -ss is relative to it). */
  formatStartUs: number;
  /** Byte offset and size of each packet's data in the file (same order as `pts`); -1 where the container gives none. */
  offsets?: number[];
  sizes?: number[];
}

export interface VideoProbe {
  path: string;
  sizeBytes: number;
  hasVideo: boolean;
  /** Index of the chosen stream in the container. */
  streamIndex: number;
  codec: string;
  /** N: decord's len(VideoReader), the packet count of the stream. */
  frameCount: number;
  /** The container's own frame count (nb_frames), when it declares one. */
  containerFrameCount: number | null;
  /** decord's get_avg_fps(): avg_frame_rate as a float. */
  fps: number;
  avgFrameRate: Rational;
  /** Where fps comes from: the declared average rate (the reference's), or derived when the stream declares none (see deriveFrameRate). */
  frameRateSource: FrameRateSource;
  /** frameCount / fps, as the reference computes it. */
  duration: number;
  /** Upright size (after rotation), as frames are delivered. */
  width: number;
  height: number;
  /** Stored size, before rotation. */
  codedWidth: number;
  codedHeight: number;
  /** Degrees clockwise a player turns the stored picture: 0, 90, 180 or 270. */
  rotation: 0 | 90 | 180 | 270;
  /** Frame durations differ by more than 1% (or one tick) across the stream. */
  variableFrameRate: boolean;
  formatName: string;
  packets: PacketIndex;
}

export interface ProbeOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Return hasVideo: false instead of failing when the file has no video stream. */
  allowNoVideo?: boolean;
  /** Time limit of the header probe; the packet scan gets more on large files. */
  timeoutMs?: number;
}

const ffprobeSchema = z.object({
  streams: z.array(
    z
      .object({
        index: z.number().int(),
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        codec_tag_string: z.string().optional(),
        width: z.number().int().optional(),
        height: z.number().int().optional(),
        avg_frame_rate: z.string().optional(),
        r_frame_rate: z.string().optional(),
        nb_frames: z.string().optional(),
        disposition: z.record(z.string(), z.number()).optional(),
        tags: z.record(z.string(), z.string()).optional(),
        side_data_list: z.array(z.object({ side_data_type: z.string().optional(), rotation: z.number().optional() }).passthrough()).optional(),
      })
      .passthrough(),
  ),
  format: z.object({ format_name: z.string().optional(), start_time: z.string().optional(), duration: z.string().optional() }).passthrough().optional(),
});
type FfprobeStream = z.infer<typeof ffprobeSchema>['streams'][number];

export function parseRational(text: string | undefined): Rational {
  const m = /^(-?\d+)\/(\d+)$/.exec(text ?? '');
  return m ? { num: Number(m[1]), den: Number(m[2]) } : { num: 0, den: 0 };
}

/** decord's GetRotation: the `rotate` tag, else minus the display matrix angle, modulo 360. */
export function decordRotation(stream: Pick<FfprobeStream, 'tags' | 'side_data_list'>): 0 | 90 | 180 | 270 {
  let theta = 0;
  const tag = stream.tags?.rotate;
  if (tag !== undefined && tag !== '' && tag !== '0') theta = Number.parseFloat(tag) || 0;
  const matrix = stream.side_data_list?.find((s) => s.side_data_type === 'Display Matrix' && typeof s.rotation === 'number');
  if (matrix !== undefined && theta === 0) theta = -(matrix.rotation as number);
  theta = theta % 360;
  if (theta < 0) theta += 360;
  const whole = Math.trunc(theta); // decord casts to int and only turns by exact quarter turns
  return whole === 90 || whole === 180 || whole === 270 ? whole : 0;
}

/** ffmpeg's av_find_best_stream, simplified: the first real video stream (cover art is not video). */
function pickVideoStream(streams: FfprobeStream[]): FfprobeStream | undefined {
  const video = streams.filter((s) => s.codec_type === 'video');
  return video.find((s) => !s.disposition?.attached_pic);
}

export type FrameRateSource = 'avg_frame_rate' | 'r_frame_rate' | 'packet-timestamps' | 'container-duration';

/**
 * The rate of a stream that declares no average rate, as a player times its frames: r_frame_rate
 * when it matches the packets' average rate within 1% (it is exact, e.g. 50/1), else that average
 * rate (N frames over the pts span plus one typical frame step), else N over the container's
 * duration. Undefined when nothing gives a positive rate.
 */
export function deriveFrameRate(rFrameRate: Rational, packets: Pick<PacketIndex, 'pts' | 'timeBase'>, containerDurationSeconds: number | undefined): { fps: number; source: FrameRateSource } | undefined {
  const { pts, timeBase } = packets;
  const n = pts.length;
  let fromPackets: number | undefined;
  if (n >= 2 && timeBase.num > 0 && timeBase.den > 0) {
    const steps = pts.slice(1).map((p, i) => p - pts[i]!).sort((a, b) => a - b);
    const typicalStep = steps[steps.length >> 1]!;
    const spanSeconds = ((pts[n - 1]! - pts[0]! + typicalStep) * timeBase.num) / timeBase.den;
    if (spanSeconds > 0) fromPackets = n / spanSeconds;
  }
  const r = rFrameRate.den > 0 ? rFrameRate.num / rFrameRate.den : 0;
  if (r > 0 && Number.isFinite(r) && fromPackets !== undefined && Math.abs(r - fromPackets) <= 0.01 * fromPackets) return { fps: r, source: 'r_frame_rate' };
  if (fromPackets !== undefined && Number.isFinite(fromPackets)) return { fps: fromPackets, source: 'packet-timestamps' };
  if (containerDurationSeconds !== undefined && containerDurationSeconds > 0 && n > 0) return { fps: n / containerDurationSeconds, source: 'container-duration' };
  return undefined;
}

/** ffmpeg's still-picture demuxers (image2, png_pipe, jpeg_pipe, …); animated formats (gif, apng) are videos. */
const IMAGE_FORMAT = /(^|,)(image2|[a-z0-9]+_pipe)(,|$)/;

/**
 * The packet scan's output (`-of csv=p=0`, fields in ffprobe's fixed print order: pts, dts, size,
 * pos, flags) as the pts-sorted index.
 */
export function buildPacketIndex(csv: string, timeBase: Rational, formatStartUs: number): PacketIndex {
  const entries: { pts: number; key: boolean; offset: number; size: number }[] = [];
  const number = (text: string | undefined): number => (text === undefined || text === '' || text === 'N/A' ? Number.NaN : Number(text));
  for (const line of csv.split('\n')) {
    if (line === '') continue;
    const [ptsText, dtsText, sizeText, posText, flags] = line.split(',');
    const pts = Number.isFinite(number(ptsText)) ? number(ptsText) : number(dtsText);
    if (!Number.isFinite(pts)) continue; // a packet without any timestamp cannot be addressed
    const offset = number(posText);
    const size = number(sizeText);
    entries.push({ pts, key: (flags ?? '').startsWith('K'), offset: Number.isFinite(offset) ? offset : -1, size: Number.isFinite(size) ? size : -1 });
  }
  entries.sort((a, b) => a.pts - b.pts);
  const keyframes: number[] = [];
  entries.forEach((e, i) => e.key && keyframes.push(i));
  return { timeBase, pts: entries.map((e) => e.pts), keyframes, formatStartUs, offsets: entries.map((e) => e.offset), sizes: entries.map((e) => e.size) };
}

/** VFR when frame-to-frame pts steps (the last packet excluded) differ by more than 1% or one tick. */
export function isVariableFrameRate(pts: number[]): boolean {
  if (pts.length < 3) return false;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 1; i < pts.length; i++) {
    const d = pts[i]! - pts[i - 1]!;
    if (d < min) min = d;
    if (d > max) max = d;
  }
  return max - min > Math.max(1, 0.01 * min);
}

/** Refuses a missing, unreadable, non-regular or too-small file with a typed error; cheap (a stat and 12 bytes). */
export async function checkVideoFile(path: string): Promise<{ size: number; isoMedia: boolean }> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new ApolloError('NOT_A_FILE', `${path} is a folder, not a file; choose a video file.`);
    if (!st.isFile()) throw new ApolloError('NOT_A_FILE', `${path} is not a regular file; choose a video file.`);
    size = st.size;
  } catch (error) {
    if (error instanceof ApolloError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ApolloError('FILE_NOT_FOUND', `${path} does not exist; check the path.`, { cause: error });
    if (code === 'EACCES' || code === 'EPERM') throw new ApolloError('FILE_UNREADABLE', `${path} cannot be read; check its permissions.`, { cause: error });
    throw error;
  }
  const head = Buffer.alloc(12);
  try {
    const handle = await open(path, 'r');
    try {
      await handle.read(head, 0, 12, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ApolloError('FILE_UNREADABLE', `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check its permissions.`, { cause: error });
  }
  if (size < MIN_VIDEO_BYTES) throw new ApolloError('VIDEO_TOO_SMALL', `${path} is ${size} bytes, too small to be a video (at least 1 KiB); choose the complete video file.`);
  return { size, isoMedia: ISO_BOX_TYPES.has(head.subarray(4, 8).toString('latin1')) };
}

/** First box types of MP4/MOV files: a file that starts with one but has no moov is incomplete. */
const ISO_BOX_TYPES = new Set(['ftyp', 'mdat', 'moov', 'free', 'skip', 'wide', 'pnot', 'uuid']);

function headerFailure(path: string, stderr: string, looksLikeIsoMedia = false): ApolloError {
  const text = stderr.trim().split('\n').slice(-3).join(' ');
  if (/moov atom not found/i.test(stderr) && looksLikeIsoMedia) return new ApolloError('VIDEO_INCOMPLETE', `${path} is incomplete (its index, the moov atom, is missing: a truncated download or an unfinished recording); download or export it again.`, { details: { ffprobe: text } });
  if (/Permission denied/i.test(stderr)) return new ApolloError('FILE_UNREADABLE', `${path} cannot be read; check its permissions.`, { details: { ffprobe: text } });
  return new ApolloError('NOT_A_VIDEO', `${path} is not a video Apollo can read; choose a video file (for example MP4, MOV, MKV or WebM).`, { details: { ffprobe: text } });
}

export async function probeVideo(path: string, options: ProbeOptions = {}): Promise<VideoProbe> {
  const { signal, onProgress } = options;
  onProgress?.({ stage: 'probe', done: 0, total: 2, unit: 'steps', detail: path });
  const { size: sizeBytes, isoMedia } = await checkVideoFile(path);
  const ffprobe = resolveFfprobe();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const header = await runChildProcess(ffprobe, ['-v', 'error', '-hide_banner', '-print_format', 'json', '-show_format', '-show_streams', '--', path], { signal, timeoutMs });
  if (header.code !== 0) throw headerFailure(path, header.stderr, isoMedia);
  let info: z.infer<typeof ffprobeSchema>;
  try {
    info = ffprobeSchema.parse(JSON.parse(header.stdout.toString('utf8')));
  } catch (error) {
    throw new ApolloError('NOT_A_VIDEO', `${path} is not a video Apollo can read; choose a video file.`, { cause: error });
  }
  const formatName = info.format?.format_name ?? '';
  if (formatName === 'tty' || info.streams.length === 0) throw headerFailure(path, header.stderr);
  const stream = pickVideoStream(info.streams);
  if (stream === undefined || stream.codec_name === 'ansi') {
    if (stream === undefined && options.allowNoVideo && info.streams.length > 0) return noVideo(path, sizeBytes, formatName);
    if (stream?.codec_name === 'ansi') throw headerFailure(path, '');
    throw new ApolloError('NO_VIDEO_STREAM', `${path} has no video stream (${info.streams.map((s) => s.codec_type ?? 'unknown').join(', ')} only); choose a file that contains video.`);
  }
  const codec = stream.codec_name ?? 'none';
  if (codec === 'none' || codec === 'unknown') {
    throw new ApolloError('UNSUPPORTED_CODEC', `${path} uses a video codec this ffmpeg does not know (${stream.codec_tag_string ?? 'unknown tag'}); convert it (e.g. \`ffmpeg -i IN -c:v libx264 OUT.mp4\`) or install a full ffmpeg build.`);
  }
  const timeBase = parseRational(String((stream as Record<string, unknown>).time_base ?? ''));
  const avgFrameRate = parseRational(stream.avg_frame_rate);
  const formatStartUs = info.format?.start_time !== undefined && info.format.start_time !== 'N/A' ? Math.round(Number(info.format.start_time) * 1e6) : 0;
  onProgress?.({ stage: 'probe', done: 1, total: 2, unit: 'steps', detail: path });

  // decord's IndexKeyframes: read every packet of the stream; N is their count.
  const scanTimeoutMs = Math.max(timeoutMs * 2, 60_000 + sizeBytes / 20_000); // ~20 MB/s worst case
  const scan = await runChildProcess(ffprobe, ['-v', 'error', '-hide_banner', '-select_streams', String(stream.index), '-show_entries', 'packet=pts,dts,size,pos,flags', '-of', 'csv=p=0', '--', path], { signal, timeoutMs: scanTimeoutMs });
  const truncated = /partial file|truncat/i.test(scan.stderr);
  if (scan.code !== 0 || truncated) {
    if (!truncated) throw headerFailure(path, scan.stderr);
    throw new ApolloError('VIDEO_INCOMPLETE', `${path} is incomplete (the data ends early: a truncated download or an unfinished recording); download or export it again.`, { details: { ffprobe: scan.stderr.trim().split('\n').slice(-3).join(' ') } });
  }
  const packets = buildPacketIndex(scan.stdout.toString('latin1'), timeBase, formatStartUs);
  const frameCount = packets.pts.length;
  if (frameCount === 0) throw new ApolloError('VIDEO_EMPTY', `${path} has a video stream without any frames (zero duration); choose another file.`);
  if (IMAGE_FORMAT.test(formatName) || frameCount === 1) {
    const what = frameCount === 1 ? (IMAGE_FORMAT.test(formatName) ? `a still picture (${codec})` : 'a video of a single frame') : `a series of ${frameCount} still pictures (${codec})`;
    throw new ApolloError('STILL_IMAGE', `${path} is ${what}, not a video; Apollo answers questions about videos, so choose a video file (MP4, MOV, MKV, WebM…), or make a video of the picture first (e.g. \`ffmpeg -loop 1 -i IN -t 4 -pix_fmt yuv420p OUT.mp4\`).`);
  }
  let fps = avgFrameRate.num / avgFrameRate.den;
  let frameRateSource: FrameRateSource = 'avg_frame_rate';
  if (!(fps > 0) || !Number.isFinite(fps)) {
    const containerDuration = Number(info.format?.duration);
    const derived = deriveFrameRate(parseRational(stream.r_frame_rate), packets, Number.isFinite(containerDuration) ? containerDuration : undefined);
    if (derived === undefined) throw new ApolloError('VIDEO_EMPTY', `${path} declares no frame rate and its frames carry no timestamps, so its duration is unknown; re-encode it (e.g. \`ffmpeg -i IN -c:v libx264 OUT.mp4\`).`);
    fps = derived.fps;
    frameRateSource = derived.source;
  }
  const rotation = decordRotation(stream);
  const codedWidth = stream.width ?? 0;
  const codedHeight = stream.height ?? 0;
  const swap = rotation === 90 || rotation === 270;
  const containerFrames = Number(stream.nb_frames);
  onProgress?.({ stage: 'probe', done: 2, total: 2, unit: 'steps', detail: path });
  return {
    path,
    sizeBytes,
    hasVideo: true,
    streamIndex: stream.index,
    codec,
    frameCount,
    containerFrameCount: Number.isInteger(containerFrames) && containerFrames > 0 ? containerFrames : null,
    fps,
    avgFrameRate,
    frameRateSource,
    duration: frameCount / fps,
    width: swap ? codedHeight : codedWidth,
    height: swap ? codedWidth : codedHeight,
    codedWidth,
    codedHeight,
    rotation,
    variableFrameRate: isVariableFrameRate(packets.pts),
    formatName,
    packets,
  };
}

function noVideo(path: string, sizeBytes: number, formatName: string): VideoProbe {
  return { path, sizeBytes, hasVideo: false, streamIndex: -1, codec: 'none', frameCount: 0, containerFrameCount: null, fps: 0, avgFrameRate: { num: 0, den: 0 }, frameRateSource: 'avg_frame_rate', duration: 0, width: 0, height: 0, codedWidth: 0, codedHeight: 0, rotation: 0, variableFrameRate: false, formatName, packets: { timeBase: { num: 0, den: 1 }, pts: [], keyframes: [], formatStartUs: 0 } };
}

/** The JSON-friendly summary the CLI prints. */
export function summarizeProbe(p: VideoProbe): { frameCount: number; fps: number; duration: number; width: number; height: number; rotation: number; codec: string; variableFrameRate: boolean } {
  return { frameCount: p.frameCount, fps: p.fps, duration: p.duration, width: p.width, height: p.height, rotation: p.rotation, codec: p.codec, variableFrameRate: p.variableFrameRate };
}
