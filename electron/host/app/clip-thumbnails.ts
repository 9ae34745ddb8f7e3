// A small JPEG per clip for the filmstrip: ffmpeg seeks to the clip's middle frame time and
// scales it down. Cached in memory per (video, clip); ffmpeg runs with a timeout.
import { spawn } from 'node:child_process';
import { ApolloError } from '../../shared/errors.js';
import { resolveFfmpeg } from '../../common/platform/ffmpeg-locate.js';

export async function renderThumbnail(path: string, seconds: number, width = 192, timeoutMs = 15_000): Promise<Buffer> {
  const { ffmpeg } = resolveFfmpeg();
  const args = ['-v', 'error', '-ss', seconds.toFixed(3), '-i', path, '-frames:v', '1', '-vf', `scale=${width}:-2`, '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '5', 'pipe:1'];
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
      const image = Buffer.concat(chunks);
      if (code === 0 && image.length > 0) resolve(image);
      else reject(new ApolloError('VIDEO_DECODE_FAILED', `A preview image could not be made from this video (${stderr.trim().split('\n').pop() ?? `ffmpeg exit ${code}`}).`));
    });
  });
}

export class ThumbnailCache {
  private readonly cache = new Map<string, Promise<Buffer>>();

  get(videoKey: string, path: string, clipIndex: number, seconds: number): Promise<Buffer> {
    const key = `${videoKey}:${clipIndex}`;
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
