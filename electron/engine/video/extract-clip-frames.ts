// Decodes exactly the planned frames, clip by clip, without decoding the whole file: each planned
// index is a position in the pts-sorted packet index (decord's frame order); ffmpeg seeks to the
// keyframe at or before the clip's first frame, decodes forward, and keeps the frames whose pts
// are wanted. Frames come out upright (rotation as decord and players apply it), RGB, 8-bit.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { decodeFrameIndex } from './apollo-clip-plan.js';
import { cancelled, spawnGuarded } from './child-process-run.js';
import { h264PacketsReadable, h264ReferencePictures } from './h264-reference-pictures.js';
import { resolveFfmpeg } from '../../common/platform/ffmpeg-locate.js';
import type { VideoProbe } from './probe-video.js';
import type { RgbFrame } from './rgb-frame.js';

export interface ClipRequest {
  index: number;
  /** Reference frame indices (negative ones count from the end, as decord does). */
  frameIndices: number[];
}

export interface ExtractedClip {
  clipIndex: number;
  frameIndices: number[];
  /** One frame per planned index, in order; a repeated index shares its frame's buffer. */
  frames: RgbFrame[];
  /** Times (seconds from the file start) of the planned frames that even a decode from the beginning gave with decoder errors; empty normally. */
  damagedTimes: number[];
  /**
   * Times of planned frames that the container lists but the decoder never outputs with that pts
   * (even from the beginning); the frame a player shows at that time stands in. Empty normally.
   */
  missingTimes: number[];
  /** The decode runs it took (more than one when a seek was not clean), for benchmarks and reports. */
  attempts: ExtractAttempt[];
}

export interface ExtractAttempt {
  /** Where the run started (seconds; 0 = from the beginning). */
  fromSeconds: number;
  /** The run's time (a run shared by several clips' first seeks: its time divided among them). */
  ms: number;
  /** Clips whose first seeks this run decoded (1: the clip's own run). */
  clipsInRun: number;
  /** The decoder skipped non-reference pictures (every wanted picture is a reference picture; h264-reference-pictures.ts). */
  skippedNonReference: boolean;
  /** Wanted frames the run did not deliver, and those it delivered damaged. */
  missing: number;
  damaged: number;
  /** The first decoder messages that marked damage. */
  log?: string[];
}

export interface ExtractOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Time limit per clip's ffmpeg run. */
  clipTimeoutMs?: number;
  /** ffmpeg runs at the same time (default: defaultExtractConcurrency()), each decoding a group of clips; at most this many groups + 1 clip are in memory. */
  concurrency?: number;
  /** Clips whose first seeks share one ffmpeg run (default: clipsPerRun); 1 decodes each clip in its own run. */
  clipsPerRun?: number;
  /** Decoder threads per ffmpeg (0 = ffmpeg chooses); one each decodes short runs fastest when clips run side by side. */
  decoderThreads?: number;
  /** false: never skip non-reference pictures (benchmarks compare; the frames are the same either way). */
  skipNonReference?: boolean;
}

/** decord's filter for a rotation (threaded_decoder.cc SetCodecContext), before scaling. */
export function rotationFilters(rotation: VideoProbe['rotation']): string[] {
  if (rotation === 90) return ['transpose=1'];
  if (rotation === 180) return ['transpose=1', 'transpose=1'];
  if (rotation === 270) return ['transpose=2'];
  return [];
}

/** Position (in pts order) of the last keyframe at or before `position`, or -1 if none. */
export function keyframeAtOrBefore(keyframes: number[], position: number): number {
  let lo = 0;
  let hi = keyframes.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (keyframes[mid]! <= position) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** `-ss` value that makes ffmpeg seek to the keyframe with this pts (relative to the file start). */
export function seekSeconds(pts: number, probe: Pick<VideoProbe, 'packets'>): number {
  const { timeBase, formatStartUs } = probe.packets;
  const us = Math.ceil((pts * timeBase.num * 1e6) / timeBase.den) - formatStartUs;
  return us / 1e6;
}

/** A decode attempt's frames by pts, and the pts of frames the decoder marked as damaged. */
interface DecodedFrames {
  byPts: Map<number, Uint8Array>;
  /** Frames decoded after a decoder error, concealment or a start on a non-key frame, until the next clean keyframe. */
  damagedPts: Set<number>;
}

/**
 * H.264's complaint, after a seek, that a memory-management op names a reference decoded before
 * the seek point: it changes no picture (frames that really lack a reference log their own errors
 * or concealment), and counting it would send every seek into an open-GOP B-pyramid stream back to
 * a decode from the beginning.
 */
const HARMLESS_AFTER_SEEK = /mmco: unref short failure/;

/** Decoder messages that mean a picture was concealed, decoded from missing references, or dropped. */
const DAMAGE_WARNING = /conceal|no keyframe|reference|corrupt|damaged|error|missing|invalid|overread|out of range|truncat/i;

/**
 * Reads an ffmpeg run's log (`-loglevel level+info`, two showinfo filters: `allName` on every
 * decoded frame, `outName` on the delivered ones) in order. A frame is damaged when the decoder
 * reported an error (or a warning of concealment, missing references, …) since the previous frame,
 * or when a damaged frame came before it with no clean keyframe in between; the run starts damaged
 * until its first clean keyframe, so a decode that starts mid-GOP never counts as clean.
 */
export function readDecodeLog(stderr: string, names: { decoder: string; allName: string; outName: string }): { outPts: number[]; decodedPts: number[]; damagedPts: Set<number>; damageLines: string[] } {
  const decoderContext = new RegExp(`^\\[(?:${escapeRegExp(names.decoder)}|NULL) @ 0x[0-9a-f]+\\] \\[(error|fatal|panic|warning)\\] (.*)$`);
  const bareError = /^\[(error|fatal)\] Error while decoding stream/;
  const info = /^\[(\S+) @ 0x[0-9a-f]+\] \[info\] n:\s*\d+\s+pts:\s*(-?\d+)\b.*?\biskey:(\d)/;
  const outPts: number[] = [];
  const decodedPts: number[] = [];
  const damagedPts = new Set<number>();
  const damageLines: string[] = [];
  let pending = false; // a damage message since the previous frame
  let damaged = true; // until the first clean keyframe
  for (const line of stderr.split(/\r?\n/)) {
    const m = info.exec(line);
    if (m !== null) {
      const pts = Number(m[2]);
      if (m[1] === names.allName) {
        decodedPts.push(pts);
        if (pending) damaged = true;
        else if (m[3] === '1') damaged = false;
        pending = false;
        if (damaged) damagedPts.add(pts);
      } else if (m[1] === names.outName) outPts.push(pts);
      continue;
    }
    const d = decoderContext.exec(line);
    if ((d !== null && !HARMLESS_AFTER_SEEK.test(d[2]!) && (d[1] !== 'warning' || DAMAGE_WARNING.test(d[2]!))) || bareError.test(line)) {
      pending = true;
      if (damageLines.length < 20) damageLines.push(line);
    }
  }
  return { outPts, decodedPts, damagedPts, damageLines };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The decoder ffmpeg chose, from its stream mapping line (`h264 (native)` → h264, `av1 (libdav1d)` → libdav1d). */
export function decoderNameFromLog(stderr: string): string | undefined {
  const m = /Stream #\d+:\d+ -> #\d+:\d+ \((\S+) \((\S+)\) ->/.exec(stderr);
  if (m === null) return undefined;
  return m[2] === 'native' ? m[1] : m[2];
}

const repeatsMemo = new WeakMap<VideoProbe['packets'], boolean>();

/**
 * Whether two packets share a pts: a stream whose timestamps start again part-way (two recordings
 * joined without re-timing them, as in a Matroska file made that way). Decode order then does not
 * follow the timeline, so neither a seek by time nor "stop after the last wanted time" can be
 * trusted: such a file is decoded from the start to its end, and a time that occurs twice gives the
 * first frame decoded with it (what a whole-file decode, the tests' oracle, shows first).
 */
export function timestampsRepeat(packets: VideoProbe['packets']): boolean {
  let known = repeatsMemo.get(packets);
  if (known === undefined) {
    known = packets.pts.some((p, i) => i > 0 && p === packets.pts[i - 1]);
    repeatsMemo.set(packets, known);
  }
  return known;
}

/**
 * One seek-and-select decode: the pts wanted, from the keyframe with pts `keyPts` (undefined: from
 * the beginning), skipping non-reference pictures when every wanted one is a reference picture.
 */
interface DecodeJob {
  wantedPts: number[];
  keyPts: number | undefined;
  skipNonReference: boolean;
}

/** What one job's decode gave: its frames by pts, what the log says of them, and the run's time. */
interface DecodeRun extends DecodedFrames {
  fromStart: boolean;
  damageLines: string[];
  decodedPts: number[];
  ms: number;
  clipsInRun: number;
  skippedNonReference: boolean;
}

/**
 * ffmpeg's arguments for job `i` of a run: its input (seek) and its output, whose filter graph is
 * the job's own (a simple graph per output: when the output has its frames, ffmpeg stops reading
 * that input). The two showinfo filters carry the job's number in their names, so one run's log
 * tells its jobs apart.
 */
function jobArgs(probe: VideoProbe, job: DecodeJob, i: number, options: ExtractOptions, target: string): { input: string[]; output: string[]; fromStart: boolean; allName: string; outName: string } {
  const last = job.wantedPts[job.wantedPts.length - 1]!;
  const select = `select='${job.wantedPts.map((p) => `eq(pts,${p})`).join('+')}'`;
  // a timeline that starts again: decode to the end (a wanted time may come again, or only later)
  const toEnd = timestampsRepeat(probe.packets);
  const allName = `showinfo@all${i}`;
  const outName = `showinfo@out${i}`;
  // Every decoded frame passes a 4×4 crop (no copy; 4 keeps 4:1:0 chroma whole) into a showinfo, so the log says which frames
  // were decoded after a decoder error and whether each is a keyframe; the wanted ones go on.
  // (showinfo without its checksums: they are not read, and on the 6 MB of a 1080p frame they cost time)
  const watch = ['crop=4:4:0:0', `${allName}=checksum=0`, 'nullsink'];
  const filters = [...(toEnd ? [] : [`trim=end_pts=${last + 1}`]), select, ...rotationFilters(probe.rotation), `scale=${probe.width}:${probe.height}`, 'format=rgb24', `${outName}=checksum=0`];
  const graph = `split[watch][out];[watch]${watch.join(',')};[out]${filters.join(',')}`;
  const input = ['-noautorotate', '-threads', String(options.decoderThreads ?? 1), ...(job.skipNonReference ? ['-skip_frame', 'noref'] : [])];
  let fromStart = true;
  if (job.keyPts !== undefined && !toEnd) {
    const ss = seekSeconds(job.keyPts, probe);
    if (ss > 0) {
      input.push('-noaccurate_seek', '-ss', ss.toFixed(6));
      fromStart = false;
    }
  }
  input.push('-i', probe.path);
  const output = ['-map', `${i}:${probe.streamIndex}`, '-an', '-sn', '-dn', '-vf', graph, '-fps_mode', 'passthrough', ...(toEnd ? [] : ['-frames:v', String(job.wantedPts.length)]), '-f', 'rawvideo', '-pix_fmt', 'rgb24', target];
  return { input, output, fromStart, allName, outName };
}

/**
 * One run's output, cut into its frames by pts. The frames are views of the clip's own buffer (a
 * clip's frames are used together; copying them cost a tenth of the extraction's own CPU time), so
 * a buffer shared with anything else (Node's small-buffer pool) is copied first.
 */
function framesByPts(data: Uint8Array, outPts: number[], frameBytes: number): Map<number, Uint8Array> {
  const byPts = new Map<number, Uint8Array>();
  const count = Math.min(outPts.length, Math.floor(data.length / frameBytes));
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : new Uint8Array(data.subarray(0, count * frameBytes));
  for (let i = 0; i < count; i++) if (!byPts.has(outPts[i]!)) byPts.set(outPts[i]!, own.subarray(i * frameBytes, (i + 1) * frameBytes));
  return byPts;
}

function decodeFailure(probe: VideoProbe, stderr: string): ApolloError {
  const tail = stderr.trim().split('\n').slice(-3).join(' ');
  if (/Decoder \(codec .*\) not found|decoder .* not found|Unsupported codec/i.test(stderr)) {
    return new ApolloError('UNSUPPORTED_CODEC', `This ffmpeg cannot decode the ${probe.codec} video in ${probe.path}; convert it (e.g. \`ffmpeg -i IN -c:v libx264 OUT.mp4\`) or install a full ffmpeg build.`, { details: { ffmpeg: tail } });
  }
  return new ApolloError('VIDEO_DECODE_FAILED', `ffmpeg could not decode ${probe.path} (${tail.slice(0, 300)}); re-encode it or download it again.`, { details: { ffmpeg: tail } });
}

/** One ffmpeg run, one job: frames come through stdout. */
async function decodeWanted(probe: VideoProbe, decode: DecodeJob, options: ExtractOptions): Promise<DecodeRun> {
  const { ffmpeg } = resolveFfmpeg();
  const started = performance.now();
  const job = jobArgs(probe, decode, 0, options, 'pipe:1');
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', '-copyts', ...job.input, ...job.output];
  const { child, done } = spawnGuarded(ffmpeg, args, { signal: options.signal, timeoutMs: options.clipTimeoutMs ?? 120_000, maxStderr: 4 << 20 });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  const { code, stderr } = await done;
  if (code !== 0) throw decodeFailure(probe, stderr);
  const { outPts, decodedPts, damagedPts, damageLines } = readDecodeLog(stderr, { decoder: decoderNameFromLog(stderr) ?? probe.codec, allName: job.allName, outName: job.outName });
  const byPts = framesByPts(Buffer.concat(chunks), outPts, probe.width * probe.height * 3);
  return { byPts, damagedPts, fromStart: job.fromStart, damageLines, decodedPts, ms: performance.now() - started, clipsInRun: 1, skippedNonReference: decode.skipNonReference };
}

/**
 * Several clips' first seeks in one ffmpeg run (one process start, one input each), each job's
 * frames written to its own file in a private temporary folder (a file, not a pipe: 25 MB of
 * 1080p frames through a 64 KiB pipe cost a fifth of a clip's time). The run is trusted only when
 * its log holds no decoder complaint at all, since a message from one of several decoders cannot
 * be tied to its job: otherwise, or if the run or its folder fails (no writable or a full
 * temporary folder), this gives undefined and each clip is decoded on its own, through a pipe,
 * where every message is its own.
 */
async function decodeTogether(probe: VideoProbe, jobs: DecodeJob[], options: ExtractOptions): Promise<DecodeRun[] | undefined> {
  const { ffmpeg } = resolveFfmpeg();
  const started = performance.now();
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), 'apollo-frames-'));
  } catch {
    return undefined; // no writable temporary folder: each clip through its own pipe
  }
  try {
    const parts = jobs.map((job, i) => jobArgs(probe, job, i, options, join(dir, `${i}.rgb`)));
    const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', '-copyts', ...parts.flatMap((p) => p.input), ...parts.flatMap((p) => p.output)];
    let result: { code: number | null; stderr: string };
    try {
      result = await spawnGuarded(ffmpeg, args, { signal: options.signal, timeoutMs: (options.clipTimeoutMs ?? 120_000) * jobs.length, maxStderr: 4 << 20 }).done;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return undefined;
    }
    if (result.code !== 0) return undefined;
    const decoder = decoderNameFromLog(result.stderr) ?? probe.codec;
    const logs = parts.map((p) => readDecodeLog(result.stderr, { decoder, allName: p.allName, outName: p.outName }));
    if (logs.some((l) => l.damageLines.length > 0)) return undefined;
    const ms = (performance.now() - started) / jobs.length;
    const frameBytes = probe.width * probe.height * 3;
    const runs: DecodeRun[] = [];
    for (const [i, log] of logs.entries()) {
      let data: Uint8Array;
      try {
        data = await readFile(join(dir, `${i}.rgb`));
      } catch {
        return undefined;
      }
      runs.push({ byPts: framesByPts(data, log.outPts, frameBytes), damagedPts: log.damagedPts, fromStart: parts[i]!.fromStart, damageLines: [], decodedPts: log.decodedPts, ms, clipsInRun: jobs.length, skippedNonReference: jobs[i]!.skipNonReference });
    }
    return runs;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Seconds from the file start of a pts (what the player's time shows). */
export function ptsSeconds(pts: number, probe: Pick<VideoProbe, 'packets'>): number {
  const { timeBase, formatStartUs } = probe.packets;
  return (pts * timeBase.num) / timeBase.den - formatStartUs / 1e6;
}

/**
 * The player's time of a clip's middle planned frame (its pts, from the file start): where the
 * filmstrip's thumbnail is taken, so that it shows a frame the model sees even where index / fps
 * (the clip's start and end) is not the time of that frame, as in a variable-rate file.
 */
export function clipPictureSeconds(probe: Pick<VideoProbe, 'packets' | 'frameCount'>, frameIndices: readonly number[]): number {
  const middle = frameIndices[frameIndices.length >> 1]!;
  return Math.max(0, ptsSeconds(probe.packets.pts[decodeFrameIndex(middle, probe.frameCount)]!, probe));
}

/** Where one attempt starts (a position in `keyframes`; -1 = from the beginning), and whether it skips non-reference pictures. */
interface AttemptPlan {
  start: number;
  skipNonReference: boolean;
}

/**
 * A clip's planned positions, its distinct wanted pts in order, and its attempts in the order they
 * are tried. `allReference`: every wanted picture is known to be a reference picture, so the first
 * attempt skips the non-reference ones (and, should a frame be missing, the same start is tried
 * again without skipping).
 */
function clipJob(probe: VideoProbe, clip: ClipRequest, allReference = false): { positions: number[]; wanted: number[]; attempts: AttemptPlan[] } {
  const { pts, keyframes } = probe.packets;
  const positions = clip.frameIndices.map((i) => decodeFrameIndex(i, probe.frameCount));
  for (const p of positions) {
    if (!(p >= 0 && p < probe.frameCount)) throw new ApolloError('INVALID_ARGUMENT', `Frame index ${p} is outside the video (0…${probe.frameCount - 1}).`);
  }
  const wanted = [...new Set(positions.map((p) => pts[p]!))].sort((a, b) => a - b);
  const first = Math.min(...positions);
  const k = timestampsRepeat(probe.packets) ? -1 : keyframeAtOrBefore(keyframes, first);
  // Seek to the clip's keyframe. An attempt fails when a wanted frame is missing (a container whose
  // seek lands late) or was decoded damaged (the decoder reported errors or concealment, or the run
  // started on a frame that is not a real keyframe); the next starts one and two keyframes earlier,
  // then decodes from the beginning. Damage that a decode from the beginning still shows is real:
  // the frames are kept and named in `damagedTimes`.
  const starts = [k, k - 1, k - 2, -1].filter((v, i, a) => (v >= 0 || v === -1) && a.indexOf(v) === i);
  const attempts = starts.map((start) => ({ start, skipNonReference: false }));
  if (allReference) attempts.unshift({ start: starts[0]!, skipNonReference: true });
  return { positions, wanted, attempts };
}

/** The decode job of one attempt. */
function attemptJob(probe: VideoProbe, wanted: number[], attempt: AttemptPlan): DecodeJob {
  const { pts, keyframes } = probe.packets;
  return { wantedPts: wanted, keyPts: attempt.start >= 0 ? pts[keyframes[attempt.start]!] : undefined, skipNonReference: attempt.skipNonReference };
}

/**
 * For each clip, whether every wanted picture is a reference picture (H.264 in MP4 only; false
 * elsewhere): the packets of the wanted frames are read from the file, a few kB each.
 */
async function clipsAllReference(probe: VideoProbe, clips: readonly ClipRequest[]): Promise<boolean[]> {
  if (!h264PacketsReadable(probe) || timestampsRepeat(probe.packets)) return clips.map(() => false);
  const perClip = clips.map((c) => [...new Set(c.frameIndices.map((i) => decodeFrameIndex(i, probe.frameCount)))]);
  const known = await h264ReferencePictures(probe, perClip.flat());
  let at = 0;
  return perClip.map((positions) => {
    const all = positions.every((_, j) => known[at + j]);
    at += positions.length;
    return all;
  });
}

/**
 * `allReference`: every wanted picture is a reference picture (clipsAllReference); `firstRun`: the
 * clip's first attempt, already decoded with other clips' (decodeTogether).
 */
async function extractOne(probe: VideoProbe, clip: ClipRequest, options: ExtractOptions, allReference: boolean, firstRun?: DecodeRun): Promise<ExtractedClip> {
  const { pts } = probe.packets;
  const { positions, wanted, attempts } = clipJob(probe, clip, allReference);
  let missing: number[] = wanted;
  let decodedFromStart: number[] = [];
  const tries: ExtractAttempt[] = [];
  for (const [n, attempt] of attempts.entries()) {
    const job = attemptJob(probe, wanted, attempt);
    const { byPts, damagedPts, fromStart, damageLines, decodedPts, ms, clipsInRun, skippedNonReference } = n === 0 && firstRun !== undefined ? firstRun : await decodeWanted(probe, job, options);
    // (a run that skipped pictures did not decode them all: only a full one says what a player shows)
    if (fromStart && !skippedNonReference) decodedFromStart = decodedPts;
    missing = wanted.filter((p) => !byPts.has(p));
    const damaged = wanted.filter((p) => byPts.has(p) && damagedPts.has(p));
    tries.push({ fromSeconds: job.keyPts === undefined || fromStart ? 0 : ptsSeconds(job.keyPts, probe), ms, clipsInRun, skippedNonReference, missing: missing.length, damaged: damaged.length, ...(damageLines.length > 0 ? { log: damageLines.slice(0, 3) } : {}) });
    if (missing.length === 0 && (damaged.length === 0 || (fromStart && !skippedNonReference))) {
      const frames = positions.map((p) => ({ width: probe.width, height: probe.height, data: byPts.get(pts[p]!)! }));
      const damagedTimes = damaged.map((p) => ptsSeconds(p, probe));
      return { clipIndex: clip.index, frameIndices: clip.frameIndices, frames, damagedTimes, missingTimes: [], attempts: tries };
    }
    if (fromStart && !skippedNonReference) break; // a decode from the beginning that still misses frames: nothing earlier to try
  }
  // The container lists frames the decoder never outputs with that pts (DivX packed B-frames and
  // their placeholder packets, a damaged frame the decoder dropped): take the frame a player shows
  // at that time (the last decoded one at or before it, else the first after), and say so.
  const shown = new Map<number, number>();
  const decoded = [...new Set(decodedFromStart)].sort((a, b) => a - b);
  for (const p of missing) {
    let s: number | undefined;
    for (const d of decoded) {
      if (d <= p) s = d;
      else {
        s ??= d;
        break;
      }
    }
    if (s !== undefined) shown.set(p, s);
  }
  if (decoded.length > 0 && shown.size === missing.length) {
    const present = wanted.filter((p) => !shown.has(p));
    const stand = [...new Set([...present, ...shown.values()])].sort((a, b) => a - b);
    const { byPts, damagedPts, damageLines, ms } = await decodeWanted(probe, { wantedPts: stand, keyPts: undefined, skipNonReference: false }, options);
    const still = stand.filter((p) => !byPts.has(p));
    tries.push({ fromSeconds: 0, ms, clipsInRun: 1, skippedNonReference: false, missing: still.length, damaged: stand.filter((p) => damagedPts.has(p)).length, ...(damageLines.length > 0 ? { log: damageLines.slice(0, 3) } : {}) });
    if (still.length === 0) {
      const source = (p: number) => shown.get(p) ?? p;
      const frames = positions.map((i) => ({ width: probe.width, height: probe.height, data: byPts.get(source(pts[i]!))! }));
      const damagedTimes = wanted.filter((p) => damagedPts.has(source(p))).map((p) => ptsSeconds(p, probe));
      const missingTimes = [...shown.keys()].map((p) => ptsSeconds(p, probe));
      return { clipIndex: clip.index, frameIndices: clip.frameIndices, frames, damagedTimes, missingTimes, attempts: tries };
    }
  }
  const at = ptsSeconds(missing[0]!, probe);
  throw new ApolloError('VIDEO_DECODE_FAILED', `The frame at ${at.toFixed(3)} s of ${probe.path} could not be decoded (the file may be damaged there); re-encode it or download it again.`, { details: { clip: clip.index, missingPts: missing } });
}

/**
 * ffmpeg runs at the same time: each decodes on one core, so half the cores, at least 2 (on two
 * cores two runs keep both busy; a third gained 0–5% when measured, within the noise) and at most
 * 4 (each run of four 1080p clips holds ~270 MB).
 */
export function defaultExtractConcurrency(cores = availableParallelism()): number {
  return Math.max(2, Math.min(4, Math.floor(cores / 2)));
}

/** Frames of one run's clips held at once: 128 MiB, e.g. four 1080p clips of 4 frames. */
const RUN_FRAME_BYTES = 128 << 20;
const MAX_CLIPS_PER_RUN = 4;

/**
 * Clips whose first seeks share one ffmpeg run: as many as fit RUN_FRAME_BYTES, at most 4 (more
 * decoders alive at once gained nothing when measured), and 1 for a timeline that starts again
 * (each such run decodes the whole file).
 */
export function clipsPerRun(probe: Pick<VideoProbe, 'width' | 'height' | 'packets'>, clips: readonly ClipRequest[]): number {
  if (timestampsRepeat(probe.packets)) return 1;
  const frames = Math.max(1, ...clips.map((c) => c.frameIndices.length));
  return Math.max(1, Math.min(MAX_CLIPS_PER_RUN, Math.floor(RUN_FRAME_BYTES / (frames * probe.width * probe.height * 3))));
}

/** A group of clips: their first seeks in one run, then each clip's retries (if any) on its own. */
async function extractGroup(probe: VideoProbe, group: readonly ClipRequest[], options: ExtractOptions): Promise<ExtractedClip[]> {
  const allReference = options.skipNonReference === false ? group.map(() => false) : await clipsAllReference(probe, group);
  const firstJobs = group.map((clip, i) => {
    const { wanted, attempts } = clipJob(probe, clip, allReference[i]);
    return attemptJob(probe, wanted, attempts[0]!);
  });
  const runs = group.length > 1 ? await decodeTogether(probe, firstJobs, options) : undefined;
  const out: ExtractedClip[] = [];
  for (const [i, clip] of group.entries()) out.push(await extractOne(probe, clip, options, allReference[i]!, runs?.[i]));
  return out;
}

/**
 * Streams the clips' frames in order. Clips are decoded in groups (clipsPerRun: one ffmpeg run
 * for their first seeks), at most `concurrency` groups at a time, while the consumer holds the
 * current clip. Progress: stage 'extract', counted in clips. Aborting the signal kills the running
 * ffmpeg processes and rejects with CANCELLED.
 */
export async function* extractClipFrames(probe: VideoProbe, clips: readonly ClipRequest[], options: ExtractOptions = {}): AsyncGenerator<ExtractedClip> {
  if (!probe.hasVideo) throw new ApolloError('NO_VIDEO_STREAM', `${probe.path} has no video stream; choose a file that contains video.`);
  const concurrency = Math.max(1, options.concurrency ?? defaultExtractConcurrency());
  const perRun = Math.max(1, Math.floor(options.clipsPerRun ?? clipsPerRun(probe, clips)));
  options.onProgress?.({ stage: 'extract', done: 0, total: clips.length, unit: 'clips' });
  // Decode ahead by up to `concurrency` groups; an abandoned or failed run aborts the rest.
  const inner = new AbortController();
  const onAbort = () => inner.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const pending: Promise<ExtractedClip[]>[] = [];
  let next = 0;
  const launch = () => {
    while (pending.length < concurrency && next < clips.length) {
      const group = clips.slice(next, next + perRun);
      next += group.length;
      const p = extractGroup(probe, group, { ...options, signal: inner.signal });
      p.catch(() => {}); // observed when awaited below
      pending.push(p);
    }
  };
  try {
    let done = 0;
    while (done < clips.length) {
      if (options.signal?.aborted) throw cancelled(options.signal);
      launch();
      const group = await pending.shift()!;
      launch();
      for (const clip of group) {
        if (options.signal?.aborted) throw cancelled(options.signal);
        done++; // not inside the optional call below: without a listener its arguments are never evaluated
        options.onProgress?.({ stage: 'extract', done, total: clips.length, unit: 'clips' });
        yield clip;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (next < clips.length || pending.length > 0) inner.abort(new ApolloError('CANCELLED'));
    await Promise.allSettled(pending);
  }
}
