// Preprocessing per vision tower (spec section 4): pad each frame to a centred square of the tower's
// mean colour, resize it exactly as the reference does (PIL bicubic for SigLIP, OpenCV INTER_LINEAR
// for InternVideo2), then rescale, normalise and lay out channels-first. Runs on the native addon
// when it loads, else on the TypeScript twin (with the reason available to show the user).
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { loadNativeAddon } from '../native/native-addon.js';
import type { PreprocessorConfig, Rgb, TowerPreprocessing } from './preprocessor-config.js';
import { padFillColour } from './preprocessor-config.js';
import {
  normalizationTable,
  padResizeCv2LinearTwin,
  padResizePilBicubicTwin,
  padToCanvasTwin,
  rgbToPlanesTwin,
  type CanvasPlacement,
} from './preprocess-twin.js';
import type { RgbFrame } from './rgb-frame.js';

export type { CanvasPlacement } from './preprocess-twin.js';

type PadResize = (src: Uint8Array, width: number, height: number, placement: CanvasPlacement, dst: Uint8Array, outWidth: number, outHeight: number) => void;

/** The kernels, on one backend. All write into caller-provided buffers. */
export interface FramePreprocessor {
  backend: 'native' | 'typescript';
  /** Why the TypeScript twin is used; undefined when native. */
  fallbackReason: string | undefined;
  padResizePilBicubic: PadResize;
  padResizeCv2Linear: PadResize;
  rgbToPlanes(src: Uint8Array, lut: Float32Array, dst: Float32Array, dstOffset: number, channelStride: number): void;
}

/** The addon's preprocessing entry points (native/src/preprocess.cc); positional for a cheap call. */
interface PreprocessAddon {
  padResizePilBicubic(src: Uint8Array, width: number, height: number, canvasWidth: number, canvasHeight: number, left: number, top: number, fill: Uint8Array, dst: Uint8Array, outWidth: number, outHeight: number): void;
  padResizeCv2Linear(src: Uint8Array, width: number, height: number, canvasWidth: number, canvasHeight: number, left: number, top: number, fill: Uint8Array, dst: Uint8Array, outWidth: number, outHeight: number): void;
  rgbToPlanes(src: Uint8Array, lut: Float32Array, dst: Float32Array, dstOffset: number, channelStride: number): void;
}

export const typescriptFramePreprocessor: FramePreprocessor = {
  backend: 'typescript',
  fallbackReason: 'requested',
  padResizePilBicubic: padResizePilBicubicTwin,
  padResizeCv2Linear: padResizeCv2LinearTwin,
  rgbToPlanes: rgbToPlanesTwin,
};

let cachedPreprocessor: FramePreprocessor | undefined;

/** The native kernels when the addon loads and has them, else the twin with the reason. */
export function framePreprocessor(): FramePreprocessor {
  if (cachedPreprocessor !== undefined) return cachedPreprocessor;
  const status = loadNativeAddon();
  if (!status.loaded) return (cachedPreprocessor = { ...typescriptFramePreprocessor, fallbackReason: status.reason });
  const addon = status.addon as unknown as Partial<PreprocessAddon>;
  if (typeof addon.padResizePilBicubic !== 'function' || typeof addon.padResizeCv2Linear !== 'function' || typeof addon.rgbToPlanes !== 'function') {
    return (cachedPreprocessor = { ...typescriptFramePreprocessor, fallbackReason: `the native addon at ${status.path} has no preprocessing functions (an older build); run \`npm run build:native\`` });
  }
  const a = addon as PreprocessAddon;
  return (cachedPreprocessor = {
    backend: 'native',
    fallbackReason: undefined,
    padResizePilBicubic: (src, w, h, p, dst, ow, oh) => a.padResizePilBicubic(src, w, h, p.canvasWidth, p.canvasHeight, p.left, p.top, p.fill, dst, ow, oh),
    padResizeCv2Linear: (src, w, h, p, dst, ow, oh) => a.padResizeCv2Linear(src, w, h, p.canvasWidth, p.canvasHeight, p.left, p.top, p.fill, dst, ow, oh),
    rgbToPlanes: (src, lut, dst, offset, stride) => a.rgbToPlanes(src, lut, dst, offset, stride),
  });
}

function checkFrame(frame: RgbFrame): void {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || data.length !== width * height * 3) {
    throw new ApolloError('INVALID_ARGUMENT', `A video frame has an invalid size (${width}×${height}, ${data.length} bytes); the video could not be decoded correctly, try re-encoding it.`);
  }
}

/** Where a frame lands on its centred square: side = max(H, W), offsets floor((side − H)/2), floor((side − W)/2). */
export function squarePlacement(width: number, height: number, fill: Rgb): CanvasPlacement {
  const side = Math.max(width, height);
  return { canvasWidth: side, canvasHeight: side, left: Math.floor((side - width) / 2), top: Math.floor((side - height) / 2), fill: Uint8Array.from(fill) };
}

/** The frame pasted at the centre of a square of colour `fill` (the reference's pad_to_center_square). */
export function padToSquare(frame: RgbFrame, fill: Rgb): RgbFrame {
  checkFrame(frame);
  const p = squarePlacement(frame.width, frame.height, fill);
  const data = new Uint8Array(p.canvasWidth * p.canvasHeight * 3);
  padToCanvasTwin(frame.data, frame.width, frame.height, p, data);
  return { width: p.canvasWidth, height: p.canvasHeight, data };
}

function wholeFrame(frame: RgbFrame): CanvasPlacement {
  return { canvasWidth: frame.width, canvasHeight: frame.height, left: 0, top: 0, fill: new Uint8Array(3) };
}

/** PIL `Image.fromarray(frame).resize((width, height), Image.BICUBIC)`, byte for byte. */
export function resizePilBicubic(frame: RgbFrame, width: number, height: number, pre: FramePreprocessor = framePreprocessor()): RgbFrame {
  checkFrame(frame);
  const data = new Uint8Array(width * height * 3);
  pre.padResizePilBicubic(frame.data, frame.width, frame.height, wholeFrame(frame), data, width, height);
  return { width, height, data };
}

/** `cv2.resize(frame, (width, height), interpolation=cv2.INTER_LINEAR)` (OpenCV 4.x, uint8), byte for byte. */
export function resizeCv2Linear(frame: RgbFrame, width: number, height: number, pre: FramePreprocessor = framePreprocessor()): RgbFrame {
  checkFrame(frame);
  const data = new Uint8Array(width * height * 3);
  pre.padResizeCv2Linear(frame.data, frame.width, frame.height, wholeFrame(frame), data, width, height);
  return { width, height, data };
}

/** The uint8 pixels a tower sees: padded to its square and resized by its resampler (pad and resize fused). */
export function towerPixels(frame: RgbFrame, tower: TowerPreprocessing, pre: FramePreprocessor = framePreprocessor()): RgbFrame {
  checkFrame(frame);
  const p = squarePlacement(frame.width, frame.height, padFillColour(tower.mean));
  const data = new Uint8Array(tower.width * tower.height * 3);
  const resize = tower.resample === 'pil-bicubic' ? pre.padResizePilBicubic : pre.padResizeCv2Linear;
  resize(frame.data, frame.width, frame.height, p, data, tower.width, tower.height);
  return { width: tower.width, height: tower.height, data };
}

export interface ClipOptions {
  preprocessor?: FramePreprocessor;
  /** Write into this buffer (e.g. a whole video's tensor) instead of allocating one. */
  out?: Float32Array;
  /** Element offset of this clip in `out`. */
  outOffset?: number;
}

const tables = new WeakMap<TowerPreprocessing, Float32Array>();
function towerTable(tower: TowerPreprocessing): Float32Array {
  let lut = tables.get(tower);
  if (lut === undefined) tables.set(tower, (lut = normalizationTable(tower.rescaleFactor, tower.mean, tower.std)));
  return lut;
}

/** Values per clip: frames × 3 × height × width. */
export function clipTensorLength(tower: TowerPreprocessing, framesPerClip: number): number {
  return framesPerClip * 3 * tower.width * tower.height;
}

function preprocessClip(frames: readonly RgbFrame[], tower: TowerPreprocessing, layout: 'frame-major' | 'channel-major', options: ClipOptions): Float32Array {
  if (frames.length === 0) throw new ApolloError('INVALID_ARGUMENT', 'A clip has no frames; the video could not be decoded, try re-encoding it.');
  const pre = options.preprocessor ?? framePreprocessor();
  const plane = tower.width * tower.height;
  const length = clipTensorLength(tower, frames.length);
  const offset = options.outOffset ?? 0;
  const out = options.out ?? new Float32Array(length);
  if (offset < 0 || offset + length > out.length) throw new RangeError('out is too small for this clip at this offset');
  const lut = towerTable(tower);
  frames.forEach((frame, t) => {
    const pixels = towerPixels(frame, tower, pre);
    // SigLIP: (T, C, H, W), one image after another. InternVideo2: (C, T, H, W), planes of one channel together.
    const frameOffset = layout === 'frame-major' ? offset + t * 3 * plane : offset + t * plane;
    const channelStride = layout === 'frame-major' ? plane : frames.length * plane;
    pre.rgbToPlanes(pixels.data, lut, out, frameOffset, channelStride);
  });
  return out;
}

/** SigLIP input of one clip: (T, 3, H, W) float32 with T = frames.length (4), H = W = 384 for Apollo. */
export function preprocessClipForSiglip(frames: readonly RgbFrame[], config: Pick<PreprocessorConfig, 'siglip'>, options: ClipOptions = {}): Float32Array {
  return preprocessClip(frames, config.siglip, 'frame-major', options);
}

/** InternVideo2 input of one clip: (3, T, H, W) float32 with T = frames.length (4), H = W = 224 for Apollo. */
export function preprocessClipForInternVideo(frames: readonly RgbFrame[], config: Pick<PreprocessorConfig, 'internVideo'>, options: ClipOptions = {}): Float32Array {
  return preprocessClip(frames, config.internVideo, 'channel-major', options);
}

export interface VideoTensors {
  clips: number;
  framesPerClip: number;
  /** (K, T, 3, H, W) */
  siglip: Float32Array;
  /** (K, 3, T, H, W) */
  internVideo: Float32Array;
}

/**
 * Both towers' inputs for a whole video, clip by clip (frames of earlier clips can be released by
 * the caller as soon as they are consumed). Reports progress (stage 'preprocess', unit 'clips') and
 * stops with CANCELLED when the signal aborts.
 */
export async function preprocessVideo(
  clips: AsyncIterable<readonly RgbFrame[]> | Iterable<readonly RgbFrame[]>,
  clipCount: number,
  framesPerClip: number,
  config: PreprocessorConfig,
  options: { signal?: AbortSignal; onProgress?: ProgressListener; preprocessor?: FramePreprocessor } = {},
): Promise<VideoTensors> {
  const siglip = new Float32Array(clipCount * clipTensorLength(config.siglip, framesPerClip));
  const internVideo = new Float32Array(clipCount * clipTensorLength(config.internVideo, framesPerClip));
  let k = 0;
  options.onProgress?.({ stage: 'preprocess', done: 0, total: clipCount, unit: 'clips' });
  for await (const frames of clips) {
    if (options.signal?.aborted) throw new ApolloError('CANCELLED');
    if (k >= clipCount) throw new ApolloError('INTERNAL', `More clips arrived than the ${clipCount} planned; report this with --debug output.`);
    if (frames.length !== framesPerClip) {
      throw new ApolloError('INTERNAL', `Clip ${k} has ${frames.length} frames instead of ${framesPerClip}; report this with --debug output.`);
    }
    preprocessClipForSiglip(frames, config, { preprocessor: options.preprocessor, out: siglip, outOffset: k * clipTensorLength(config.siglip, framesPerClip) });
    preprocessClipForInternVideo(frames, config, { preprocessor: options.preprocessor, out: internVideo, outOffset: k * clipTensorLength(config.internVideo, framesPerClip) });
    k++;
    options.onProgress?.({ stage: 'preprocess', done: k, total: clipCount, unit: 'clips' });
    // Let a cancel request (and other work) in between clips.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (options.signal?.aborted) throw new ApolloError('CANCELLED');
  if (k !== clipCount) throw new ApolloError('INTERNAL', `Only ${k} of ${clipCount} planned clips arrived; report this with --debug output.`);
  return { clips: clipCount, framesPerClip, siglip, internVideo };
}
