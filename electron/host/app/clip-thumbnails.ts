// A small JPEG per clip for the filmstrip: ffmpeg seeks to the clip's middle frame time (decoding
// from the beginning when the seek gives decoder errors) and scales it down. Cached in memory per
// (video, clip); ffmpeg runs with a timeout.
import { spawn } from 'node:child_process';
import { ApolloError } from '../../shared/errors.js';
import { resolveFfmpeg } from '../../common/platform/ffmpeg-locate.js';

/**
 * The frame at `seconds`, scaled to `width`, as JPEG. ffmpeg first seeks in the container (fast);
 * when that decode reports errors or gives no picture (a keyframe index that points at a frame
 * which is not one, as some WebM files have), it decodes from the beginning up to that time instead,
 * so the filmstrip never shows a grey or broken picture that the file itself does not have.
 */
export async function renderThumbnail(path: string, seconds: number, width = 192, timeoutMs = 15_000): Promise<Buffer> {
  const at = seconds.toFixed(3);
  const output = ['-frames:v', '1', '-vf', `scale=${width}:-2`, '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '5', 'pipe:1'];
  const seeked = await runThumbnail(['-v', 'error', '-ss', at, '-i', path, ...output], timeoutMs);
  if (seeked.code === 0 && seeked.image.length > 0 && seeked.stderr.trim() === '') return seeked.image;
  const decoded = await runThumbnail(['-v', 'error', '-i', path, '-ss', at, ...output], Math.max(timeoutMs, 60_000));
  if (decoded.code === 0 && decoded.image.length > 0) return decoded.image;
  if (seeked.code === 0 && seeked.image.length > 0) return seeked.image;
  throw new ApolloError('VIDEO_DECODE_FAILED', `A preview image could not be made from this video (${decoded.stderr.trim().split('\n').pop() ?? `ffmpeg exit ${decoded.code}`}).`);
}

function runThumbnail(args: string[], timeoutMs: number): Promise<{ code: number | null; image: Buffer; stderr: string }> {
  const { ffmpeg } = resolveFfmpeg();
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, image: Buffer.concat(chunks), stderr });
    });
  });
}

export class ThumbnailCache {
  private readonly cache = new Map<string, Promise<Buffer>>();

  get(videoKey: string, path: string, clipIndex: number, seconds: number): Promise<Buffer> {
    // The time is part of the key: another sampling ratio puts clip N elsewhere.
    const key = `${videoKey}:${clipIndex}:${seconds.toFixed(3)}`;
    let entry = this.cache.get(key);
    if (entry === undefined) {
      entry = renderThumbnail(path, seconds);
      entry.catch(() => this.cache.delete(key));
      this.cache.set(key, entry);
      if (this.cache.size > 2000) this.cache.delete(this.cache.keys().next().value!);
    }
    return entry;
  }
}
