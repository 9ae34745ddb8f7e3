// Issue 4 benchmark (b): native vs TypeScript preprocessing of 336 1080p frames (84 clips of 4,
// Apollo's clip cap) for both towers: pad, resize, rescale/normalise into the float tensors.
// The backends alternate clip by clip so that a busy machine slows both alike; wall-clock and
// this process's CPU time are both reported (CPU time is steadier on a shared machine).
import { framePreprocessor, preprocessClipForInternVideo, preprocessClipForSiglip, typescriptFramePreprocessor, clipTensorLength, type FramePreprocessor } from '../electron/engine/video/preprocess.js';
import { DEFAULT_PREPROCESSOR_CONFIG } from '../electron/engine/video/preprocessor-config.js';
import type { RgbFrame } from '../electron/engine/video/rgb-frame.js';
import { machineFacts, writeResult, type Measurement } from './bench-harness.js';

const width = Number(process.env.BENCH_WIDTH ?? 1920);
const height = Number(process.env.BENCH_HEIGHT ?? 1080);
const clips = Number(process.env.BENCH_CLIPS ?? 84);
const framesPerClip = 4;
const config = DEFAULT_PREPROCESSOR_CONFIG;

const native = framePreprocessor();
if (native.backend !== 'native') throw new Error(`native preprocessing unavailable: ${native.fallbackReason}`);

// A few distinct frames (a gradient with noise), reused across clips to keep memory small.
function syntheticFrame(seed: number): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) | 0;
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / width + (s & 15);
      data[i + 1] = (y * 255) / height + ((s >> 4) & 15);
      data[i + 2] = ((x + y) * 127) / (width + height) + ((s >> 8) & 15);
    }
  }
  return { width, height, data };
}
const pool = Array.from({ length: 8 }, (_, i) => syntheticFrame(i + 1));
const clipFrames = (k: number) => Array.from({ length: framesPerClip }, (_, t) => pool[(k * framesPerClip + t) % pool.length]!);

type Tower = 'siglip' | 'internVideo';
const run = (tower: Tower, pre: FramePreprocessor, frames: RgbFrame[], out: Float32Array) =>
  tower === 'siglip' ? preprocessClipForSiglip(frames, config, { preprocessor: pre, out }) : preprocessClipForInternVideo(frames, config, { preprocessor: pre, out });

const outs = {
  siglip: [new Float32Array(clipTensorLength(config.siglip, framesPerClip)), new Float32Array(clipTensorLength(config.siglip, framesPerClip))],
  internVideo: [new Float32Array(clipTensorLength(config.internVideo, framesPerClip)), new Float32Array(clipTensorLength(config.internVideo, framesPerClip))],
};
// Warm-up (JIT, addon scratch buffers), and a check that both backends give the same tensors.
for (const tower of ['siglip', 'internVideo'] as const) {
  const a = run(tower, native, clipFrames(0), outs[tower][0]!);
  const b = run(tower, typescriptFramePreprocessor, clipFrames(0), outs[tower][1]!);
  if (!Buffer.from(a.buffer).equals(Buffer.from(b.buffer))) throw new Error(`${tower}: native and TypeScript tensors differ`);
}

const totals = new Map<string, { wall: number; cpu: number }>();
const timed = (name: string, fn: () => void) => {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const t = totals.get(name) ?? { wall: 0, cpu: 0 };
  totals.set(name, { wall: t.wall + wall, cpu: t.cpu + (c.user + c.system) / 1e6 });
};
for (let k = 0; k < clips; k++) {
  const frames = clipFrames(k);
  for (const tower of ['siglip', 'internVideo'] as const) {
    timed(`${tower} native`, () => run(tower, native, frames, outs[tower][0]!));
    timed(`${tower} typescript`, () => run(tower, typescriptFramePreprocessor, frames, outs[tower][1]!));
  }
  if ((k + 1) % 21 === 0) console.error(`${k + 1}/${clips} clips`);
}

const frames = clips * framesPerClip;
const measurements: Measurement[] = [...totals].map(([name, t]) => ({
  name,
  seconds: t.wall,
  runs: 1,
  frames,
  msPerFrame: (t.wall / frames) * 1000,
  cpuSeconds: t.cpu,
  cpuMsPerFrame: (t.cpu / frames) * 1000,
}));
const get = (name: string) => totals.get(name)!;
const both = (backend: string, key: 'wall' | 'cpu') => get(`siglip ${backend}`)[key] + get(`internVideo ${backend}`)[key];
const path = writeResult({
  bench: 'preprocess',
  date: new Date().toISOString(),
  machine: machineFacts(),
  measurements,
  summary: {
    frames: `${frames} × ${width}×${height}`,
    siglipSpeedup: get('siglip typescript').wall / get('siglip native').wall,
    internVideoSpeedup: get('internVideo typescript').wall / get('internVideo native').wall,
    bothTowersSpeedup: both('typescript', 'wall') / both('native', 'wall'),
    bothTowersCpuSpeedup: both('typescript', 'cpu') / both('native', 'cpu'),
    nativeMsPerFrameBothTowers: (both('native', 'wall') / frames) * 1000,
    typescriptMsPerFrameBothTowers: (both('typescript', 'wall') / frames) * 1000,
    goal: 'bothTowersSpeedup >= 5',
  },
});
console.log(JSON.stringify({ path, measurements }, null, 2));
