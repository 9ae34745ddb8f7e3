// `serve --demo`: a tiny random Apollo checkpoint and a generated sample video, made once into the
// cache folder, so the whole app (encode, chat, time links) can be tried without downloading a
// model. Its answers are random text, and the UI says so.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ApolloError } from '../shared/errors.js';
import type { ProgressListener } from '../shared/progress.js';
import { makeTinyCheckpoint } from '../engine/model/tiny-checkpoint.js';
import { apolloCacheDir } from '../common/platform/prepare-cache-dir.js';
import { resolveFfmpeg } from '../common/platform/ffmpeg-locate.js';

export interface DemoAssets {
  modelDir: string;
  videoPath: string;
}

async function makeSampleVideo(path: string): Promise<void> {
  const temp = `${path}.partial.mp4`;
  const { ffmpeg } = resolveFfmpeg();
  // 24 s with a running clock burnt in, so time links land on visibly different moments.
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=24:duration=24', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', temp];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new ApolloError('INTERNAL', `The demo video could not be generated (${stderr.trim() || `ffmpeg exit ${code}`}).`))));
  });
  await rename(temp, path);
}

export async function ensureDemoAssets(onProgress?: ProgressListener, root = join(apolloCacheDir(), 'demo')): Promise<DemoAssets> {
  const modelDir = join(root, 'tiny-model');
  const videoPath = join(root, 'sample-clock.mp4');
  await mkdir(root, { recursive: true });
  if (!existsSync(join(modelDir, 'config.json'))) {
    await rm(modelDir, { recursive: true, force: true });
    await makeTinyCheckpoint(modelDir, { seed: 7, ...(onProgress ? { onProgress } : {}) });
  }
  if (!existsSync(videoPath)) await makeSampleVideo(videoPath);
  return { modelDir, videoPath };
}
