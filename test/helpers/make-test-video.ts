// Generated test videos whose frames show their own index as a 4×4 grid of black/white cells
// (cell 0 always white and cell 15 always black, so a wrong rotation is caught too; cells 1…14
// hold the index's bits). Big flat cells survive any codec's compression.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbFrame } from '../../electron/engine/video/rgb-frame.js';

export interface TestVideoSpec {
  /** File name inside the directory, with its extension. */
  name: string;
  frames: number;
  fps?: number;
  /** Upright size. */
  width?: number;
  height?: number;
  /** Output (encoder and muxer) arguments. */
  encode: string[];
  /** MP4 only: store the picture turned this much counter-clockwise and flag it (display matrix) to be shown turned back clockwise, as phones do. */
  rotate?: 90 | 180 | 270;
  /** Irregular frame durations (pts = (3n + n mod 3) / (3·fps)). */
  variableFrameRate?: boolean;
}

const cell = 'floor(X*4/W)+4*floor(Y*4/H)';
/** geq luma: 255 for cell 0, 0 for cell 15, otherwise bit (cell-1) of the frame number. */
const pattern = `if(eq(${cell},0),255,if(eq(${cell},15),0,255*mod(floor(N/pow(2,${cell}-1)),2)))`;

export function makeTestVideo(dir: string, spec: TestVideoSpec): string {
  const path = join(dir, spec.name);
  if (existsSync(path)) return path;
  const fps = spec.fps ?? 30;
  const w = spec.width ?? 160;
  const h = spec.height ?? 120;
  const filters = [`format=gray`, `geq=lum='${pattern}'`, 'format=yuv420p'];
  if (spec.rotate !== undefined) filters.push(...{ 90: ['transpose=2'], 180: ['hflip', 'vflip'], 270: ['transpose=1'] }[spec.rotate]);
  if (spec.variableFrameRate) filters.push(`settb=1/${3 * fps}`, `setpts='3*N+mod(N,3)'`);
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=gray:s=${w}x${h}:r=${fps}:d=${spec.frames / fps}`, '-vf', filters.join(','), '-frames:v', String(spec.frames)];
  if (spec.variableFrameRate) args.push('-fps_mode', 'passthrough', '-enc_time_base', `1/${3 * fps}`);
  execFileSync('ffmpeg', [...args, ...spec.encode, path], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (spec.rotate !== undefined) setMp4Rotation(path, spec.rotate);
  return path;
}

/** A 90° clockwise display matrix (kept for callers that only rotate by a quarter turn). */
export function setMp4Rotation90(path: string): void {
  setMp4Rotation(path, 90);
}

/**
 * Writes a clockwise display rotation into an MP4's (single) tkhd box, as phones do; ffmpeg 5.1
 * has no muxer option for it. Matrix [cos sin 0; -sin cos 0; 0 0 1] in 16.16 / 2.30 fixed point.
 */
export function setMp4Rotation(path: string, degrees: 90 | 180 | 270): void {
  const buf = readFileSync(path);
  const at = buf.indexOf('tkhd');
  if (at < 4 || buf.indexOf('tkhd', at + 4) !== -1) throw new Error(`${path}: expected exactly one tkhd box`);
  const version = buf[at + 4];
  const matrix = at + 4 + 4 + (version === 1 ? 8 + 8 + 4 + 4 + 8 : 4 + 4 + 4 + 4 + 4) + 8 + 8;
  const [cos, sin] = ({ 90: [0, 1], 180: [-1, 0], 270: [0, -1] } as const)[degrees];
  const values = [cos * 0x10000, sin * 0x10000, 0, -sin * 0x10000, cos * 0x10000, 0, 0, 0, 0x40000000];
  values.forEach((v, i) => buf.writeInt32BE(v, matrix + 4 * i));
  writeFileSync(path, buf);
}

/** Reads the index a frame shows; `upright` is false when the orientation markers are wrong. */
export function readFrameNumber(frame: RgbFrame): { index: number; upright: boolean } {
  const lum = (c: number): number => {
    const cx = Math.floor(((c % 4) + 0.5) * (frame.width / 4));
    const cy = Math.floor((Math.floor(c / 4) + 0.5) * (frame.height / 4));
    let sum = 0;
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) sum += frame.data[((cy + dy) * frame.width + cx + dx) * 3]!;
    return sum / 25;
  };
  let index = 0;
  for (let c = 1; c <= 14; c++) if (lum(c) > 128) index += 2 ** (c - 1);
  return { index, upright: lum(0) > 128 && lum(15) < 128 };
}
