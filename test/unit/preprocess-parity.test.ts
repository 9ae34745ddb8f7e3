// The native kernels against their TypeScript twin: identical bytes and floats on many shapes,
// placements and contents; the public API's layouts, progress and cancellation; the fallback reason.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../electron/engine/native/native-addon.js';
import {
  framePreprocessor,
  preprocessClipForInternVideo,
  preprocessClipForSiglip,
  preprocessVideo,
  towerPixels,
  typescriptFramePreprocessor,
  type CanvasPlacement,
} from '../../electron/engine/video/preprocess.js';
import { normalizationTable } from '../../electron/engine/video/preprocess-twin.js';
import { DEFAULT_PREPROCESSOR_CONFIG } from '../../electron/engine/video/preprocessor-config.js';
import type { RgbFrame } from '../../electron/engine/video/rgb-frame.js';
import type { ProgressEvent } from '../../electron/shared/progress.js';
import { repoRoot } from '../helpers/paths.js';
import { mulberry32 } from '../helpers/seeded-random.js';

function randomBytes(n: number, rand: () => number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

function frameOf(width: number, height: number, seed: number): RgbFrame {
  return { width, height, data: randomBytes(width * height * 3, mulberry32(seed)) };
}

const addon = loadNativeAddon();
const native = framePreprocessor();

describe('native preprocessing', () => {
  it('is used in this checkout (CI builds the addon)', () => {
    expect(addon.loaded, addon.loaded ? '' : addon.reason).toBe(true);
    expect(native.backend, native.fallbackReason).toBe('native');
    expect(native.fallbackReason).toBeUndefined();
  });

  it.runIf(native.backend === 'native')('matches the twin byte for byte on 300 random shapes and placements', () => {
    const rand = mulberry32(99);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    for (let i = 0; i < 300; i++) {
      const width = int(1, i < 50 ? 6 : 260);
      const height = int(1, i < 50 ? 6 : 260);
      const canvasWidth = width + (rand() < 0.5 ? 0 : int(0, 80));
      const canvasHeight = height + (rand() < 0.5 ? 0 : int(0, 80));
      const p: CanvasPlacement = { canvasWidth, canvasHeight, left: int(0, canvasWidth - width), top: int(0, canvasHeight - height), fill: randomBytes(3, rand) };
      // Output sizes: up, down, equal to the canvas, exactly half (OpenCV's area path).
      const pick = () => [int(1, 400), canvasWidth, canvasHeight, Math.max(1, canvasWidth >> 1)][int(0, 3)]!;
      const outWidth = pick();
      const outHeight = rand() < 0.3 ? outWidth : pick();
      const src = randomBytes(width * height * 3, rand);
      for (const kernel of ['padResizePilBicubic', 'padResizeCv2Linear'] as const) {
        const a = new Uint8Array(outWidth * outHeight * 3);
        const b = new Uint8Array(outWidth * outHeight * 3);
        native[kernel](src, width, height, p, a, outWidth, outHeight);
        typescriptFramePreprocessor[kernel](src, width, height, p, b, outWidth, outHeight);
        if (!Buffer.from(a).equals(Buffer.from(b))) {
          throw new Error(`${kernel} differs for ${width}×${height} on ${canvasWidth}×${canvasHeight} at (${p.left},${p.top}) → ${outWidth}×${outHeight}`);
        }
      }
    }
  });

  it.runIf(native.backend === 'native')('matches the twin on 1080p and portrait frames for both towers, uint8 and float', () => {
    for (const [w, h] of [[1920, 1080], [1080, 1920], [1279, 719]] as const) {
      const frames = [frameOf(w, h, w), frameOf(w, h, h)];
      for (const tower of [DEFAULT_PREPROCESSOR_CONFIG.siglip, DEFAULT_PREPROCESSOR_CONFIG.internVideo]) {
        expect(Buffer.from(towerPixels(frames[0]!, tower, native).data).equals(Buffer.from(towerPixels(frames[0]!, tower, typescriptFramePreprocessor).data))).toBe(true);
      }
      const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      expect(bits(preprocessClipForSiglip(frames, DEFAULT_PREPROCESSOR_CONFIG, { preprocessor: native })).equals(bits(preprocessClipForSiglip(frames, DEFAULT_PREPROCESSOR_CONFIG, { preprocessor: typescriptFramePreprocessor })))).toBe(true);
      expect(bits(preprocessClipForInternVideo(frames, DEFAULT_PREPROCESSOR_CONFIG, { preprocessor: native })).equals(bits(preprocessClipForInternVideo(frames, DEFAULT_PREPROCESSOR_CONFIG, { preprocessor: typescriptFramePreprocessor })))).toBe(true);
    }
  });

  it.runIf(native.backend === 'native')('reads frames that are views into a larger Buffer (as decoders hand them out)', () => {
    const frame = frameOf(97, 55, 3);
    const backing = Buffer.alloc(frame.data.length + 13, 0xee);
    backing.set(frame.data, 7);
    const view: RgbFrame = { width: 97, height: 55, data: backing.subarray(7, 7 + frame.data.length) };
    for (const tower of [DEFAULT_PREPROCESSOR_CONFIG.siglip, DEFAULT_PREPROCESSOR_CONFIG.internVideo]) {
      expect(Buffer.from(towerPixels(view, tower, native).data).equals(Buffer.from(towerPixels(frame, tower, typescriptFramePreprocessor).data))).toBe(true);
    }
  });

  it.runIf(native.backend === 'native')('rgbToPlanes matches the twin at offsets and strides, and both reject what does not fit', () => {
    const rand = mulberry32(5);
    const src = randomBytes(7 * 5 * 3, rand);
    const lut = normalizationTable(1 / 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    const a = new Float32Array(200).fill(-9);
    const b = new Float32Array(200).fill(-9);
    native.rgbToPlanes(src, lut, a, 11, 50);
    typescriptFramePreprocessor.rgbToPlanes(src, lut, b, 11, 50);
    expect(Array.from(a)).toEqual(Array.from(b));
    for (const pre of [native, typescriptFramePreprocessor]) {
      expect(() => pre.rgbToPlanes(src, lut, a, 100, 50)).toThrow(/too small/);
      expect(() => pre.rgbToPlanes(src, lut, a, 0, 10)).toThrow(/too small/);
      expect(() => pre.rgbToPlanes(src, lut.subarray(1), a, 0, 50)).toThrow(/lut/);
    }
  });

  it.runIf(native.backend === 'native')('both backends reject frames that do not fit their canvas or buffers of the wrong size', () => {
    const src = new Uint8Array(4 * 3 * 3);
    const p: CanvasPlacement = { canvasWidth: 4, canvasHeight: 3, left: 0, top: 0, fill: new Uint8Array(3) };
    for (const pre of [native, typescriptFramePreprocessor]) {
      for (const kernel of ['padResizePilBicubic', 'padResizeCv2Linear'] as const) {
        expect(() => pre[kernel](src, 4, 3, { ...p, left: 1 }, new Uint8Array(12), 2, 2)).toThrow(/does not fit/);
        expect(() => pre[kernel](src, 4, 3, p, new Uint8Array(11), 2, 2)).toThrow(/dst length/);
        expect(() => pre[kernel](src.subarray(1), 4, 3, p, new Uint8Array(12), 2, 2)).toThrow(/src length/);
        expect(() => pre[kernel](src, 4, 3, p, new Uint8Array(0), 0, 0)).toThrow(/at least 1/);
      }
    }
  });
});

describe('the TypeScript fallback', () => {
  it('is chosen with a visible reason when the addon is disabled', () => {
    const script = "import { framePreprocessor } from './electron/engine/video/preprocess.ts'; const p = framePreprocessor(); console.log(JSON.stringify({ backend: p.backend, reason: p.fallbackReason }));";
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, env: { ...process.env, APOLLO_DISABLE_NATIVE: '1' } }).toString();
    const result = JSON.parse(out.trim().split('\n').pop()!) as { backend: string; reason: string };
    expect(result.backend).toBe('typescript');
    expect(result.reason).toMatch(/APOLLO_DISABLE_NATIVE/);
  });
});

describe('preprocessVideo', () => {
  const config = DEFAULT_PREPROCESSOR_CONFIG;
  const clip = (k: number) => [0, 1, 2, 3].map((t) => frameOf(64 + k, 36 + t, k * 10 + t));

  it('lays clips out as (K,T,3,H,W) and (K,3,T,H,W), reporting progress per clip', async () => {
    const events: ProgressEvent[] = [];
    const clips = [clip(0), clip(1), clip(2)];
    const out = await preprocessVideo(clips, 3, 4, config, { onProgress: (e) => events.push(e), preprocessor: typescriptFramePreprocessor });
    const s = 4 * 3 * config.siglip.width * config.siglip.height;
    const v = 3 * 4 * config.internVideo.width * config.internVideo.height;
    expect(out.siglip.length).toBe(3 * s);
    expect(out.internVideo.length).toBe(3 * v);
    expect(Array.from(out.siglip.subarray(s, 2 * s))).toEqual(Array.from(preprocessClipForSiglip(clips[1]!, config, { preprocessor: typescriptFramePreprocessor })));
    expect(Array.from(out.internVideo.subarray(2 * v))).toEqual(Array.from(preprocessClipForInternVideo(clips[2]!, config, { preprocessor: typescriptFramePreprocessor })));
    expect(events.map((e) => [e.stage, e.done, e.total])).toEqual([['preprocess', 0, 3], ['preprocess', 1, 3], ['preprocess', 2, 3], ['preprocess', 3, 3]]);
  });

  it('stops with CANCELLED between clips when the signal aborts', async () => {
    const controller = new AbortController();
    async function* clips() {
      yield clip(0);
      controller.abort();
      yield clip(1);
    }
    await expect(preprocessVideo(clips(), 2, 4, config, { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('rejects a clip with the wrong number of frames and a short video', async () => {
    await expect(preprocessVideo([clip(0).slice(0, 3)], 1, 4, config)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(preprocessVideo([clip(0)], 2, 4, config)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(() => preprocessClipForSiglip([{ width: 2, height: 2, data: new Uint8Array(11) }], config)).toThrow(/invalid size/);
  });
});
