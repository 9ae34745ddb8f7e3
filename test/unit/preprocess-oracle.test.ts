// Byte-exact checks of both towers' preprocessing against the reference libraries (Debian's PIL,
// OpenCV and numpy), run on both backends: the native addon (when built) and the TypeScript twin.
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../electron/engine/native/native-addon.js';
import {
  framePreprocessor,
  padToSquare,
  preprocessClipForInternVideo,
  preprocessClipForSiglip,
  resizeCv2Linear,
  resizePilBicubic,
  towerPixels,
  typescriptFramePreprocessor,
  type FramePreprocessor,
} from '../../electron/engine/video/preprocess.js';
import { DEFAULT_PREPROCESSOR_CONFIG } from '../../electron/engine/video/preprocessor-config.js';
import type { RgbFrame } from '../../electron/engine/video/rgb-frame.js';
import { runPython } from '../helpers/python-oracle.js';
import { mulberry32 } from '../helpers/seeded-random.js';

type Pattern = 'random' | 'gradient' | 'checker' | 'edges';

/** Random noise (worst case for rounding), smooth gradients, hard-edged checkers, and near-0/255 extremes (clipping). */
function makeFrame(width: number, height: number, pattern: Pattern, seed: number): RgbFrame {
  const rand = mulberry32(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        if (pattern === 'random') data[i] = Math.floor(rand() * 256);
        else if (pattern === 'gradient') data[i] = Math.floor(((x * (c + 1) + y * (3 - c)) * 255) / Math.max(1, width * (c + 1) + height * (3 - c) - 2)) & 255;
        else if (pattern === 'checker') data[i] = ((x >> 2) + (y >> 2) + c) % 2 === 0 ? 255 : 0;
        else data[i] = rand() < 0.5 ? Math.floor(rand() * 4) : 255 - Math.floor(rand() * 4);
      }
    }
  }
  return { width, height, data };
}

interface OracleCase {
  frame: RgbFrame;
  /** Output size of the plain resizes. */
  outW: number;
  outH: number;
}

interface OracleResult {
  pil: Uint8Array;
  cv2: Uint8Array;
  siglipPad: Uint8Array;
  siglipPixels: Uint8Array;
  ivPixels: Uint8Array;
}

/** One Python run for all cases: plain resizes, the reference padding from the means, each tower's pixels. */
function oracle(cases: OracleCase[]): OracleResult[] {
  const { siglip, internVideo } = DEFAULT_PREPROCESSOR_CONFIG;
  const header = JSON.stringify({
    cases: cases.map((c) => [c.frame.width, c.frame.height, c.outW, c.outH]),
    siglip: { mean: siglip.mean, size: [siglip.width, siglip.height] },
    iv: { mean: internVideo.mean, size: internVideo.width },
  });
  const input = Buffer.concat([Buffer.from(header + '\n'), ...cases.map((c) => Buffer.from(c.frame.data))]);
  const code = `
import sys, json, numpy as np, cv2
from PIL import Image
data = sys.stdin.buffer.read()
nl = data.index(b"\\n")
h = json.loads(data[:nl]); pos = nl + 1
out = sys.stdout.buffer
def pad(img, mean):
    hh, ww = img.shape[:2]; side = max(hh, ww)
    canvas = np.empty((side, side, 3), np.uint8); canvas[:] = [int(m * 255) for m in mean]
    top, left = (side - hh) // 2, (side - ww) // 2
    canvas[top:top + hh, left:left + ww] = img
    return canvas
for (w, hgt, ow, oh) in h["cases"]:
    n = w * hgt * 3
    img = np.frombuffer(data[pos:pos + n], np.uint8).reshape(hgt, w, 3); pos += n
    out.write(np.asarray(Image.fromarray(img).resize((ow, oh), Image.BICUBIC)).tobytes())
    out.write(cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR).tobytes())
    sq = pad(img, h["siglip"]["mean"])
    out.write(sq.tobytes())
    out.write(np.asarray(Image.fromarray(sq).resize(tuple(h["siglip"]["size"]), Image.BICUBIC)).tobytes())
    sq = pad(img, h["iv"]["mean"])
    s = h["iv"]["size"]
    out.write((sq if sq.shape[0] == s else cv2.resize(sq, (s, s), interpolation=cv2.INTER_LINEAR)).tobytes())
`;
  const bytes = runPython(code, input);
  let pos = 0;
  const take = (n: number) => {
    const v = new Uint8Array(bytes.buffer, bytes.byteOffset + pos, n);
    pos += n;
    return v;
  };
  const results = cases.map((c) => {
    const side = Math.max(c.frame.width, c.frame.height);
    return {
      pil: take(c.outW * c.outH * 3),
      cv2: take(c.outW * c.outH * 3),
      siglipPad: take(side * side * 3),
      siglipPixels: take(siglip.width * siglip.height * 3),
      ivPixels: take(internVideo.width * internVideo.height * 3),
    };
  });
  expect(pos).toBe(bytes.length);
  return results;
}

/** Index of the first differing byte, or -1: a readable failure instead of a 400 kB diff. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const addon = loadNativeAddon();
const backends: Array<[string, FramePreprocessor]> = [['typescript', typescriptFramePreprocessor]];
if (addon.loaded && framePreprocessor().backend === 'native') backends.push(['native', framePreprocessor()]);

// Sizes: down- and upscales, odd sizes, portrait and landscape, tiny, exact 2× (OpenCV's area path), already the target size.
const shapes: Array<[number, number, number, number, Pattern]> = [
  [1, 1, 1, 1, 'random'],
  [2, 3, 5, 7, 'random'],
  [3, 2, 384, 384, 'random'],
  [17, 9, 8, 13, 'checker'],
  [31, 47, 224, 224, 'random'],
  [101, 67, 50, 33, 'edges'],
  [150, 259, 384, 384, 'gradient'],
  [259, 150, 97, 61, 'random'],
  [384, 216, 384, 384, 'random'],
  [448, 252, 224, 224, 'random'],
  [224, 126, 224, 224, 'checker'],
  [640, 360, 321, 179, 'edges'],
  [333, 500, 1000, 777, 'random'],
  [720, 1280, 123, 457, 'random'],
  [1920, 1080, 384, 384, 'random'],
];

describe('resizing and padding match PIL, OpenCV and numpy byte for byte', () => {
  const cases: OracleCase[] = shapes.map(([w, h, ow, oh, pattern], i) => ({ frame: makeFrame(w, h, pattern, 1000 + i), outW: ow, outH: oh }));
  const expected = oracle(cases);

  it.each(backends)('%s backend', (_name, pre) => {
    const { siglip, internVideo } = DEFAULT_PREPROCESSOR_CONFIG;
    cases.forEach((c, i) => {
      const e = expected[i]!;
      const label = `${c.frame.width}×${c.frame.height}`;
      expect(firstDifference(resizePilBicubic(c.frame, c.outW, c.outH, pre).data, e.pil), `PIL resize ${label} → ${c.outW}×${c.outH}`).toBe(-1);
      expect(firstDifference(resizeCv2Linear(c.frame, c.outW, c.outH, pre).data, e.cv2), `cv2 resize ${label} → ${c.outW}×${c.outH}`).toBe(-1);
      expect(firstDifference(padToSquare(c.frame, [127, 127, 127]).data, e.siglipPad), `padding ${label}`).toBe(-1);
      expect(firstDifference(towerPixels(c.frame, siglip, pre).data, e.siglipPixels), `SigLIP pixels ${label}`).toBe(-1);
      expect(firstDifference(towerPixels(c.frame, internVideo, pre).data, e.ivPixels), `InternVideo2 pixels ${label}`).toBe(-1);
    });
  });
});

describe('normalised clip tensors match numpy', () => {
  const frames = [makeFrame(96, 54, 'random', 1), makeFrame(54, 96, 'gradient', 2), makeFrame(61, 61, 'edges', 3), makeFrame(1920, 1080, 'random', 4)];
  const { siglip, internVideo } = DEFAULT_PREPROCESSOR_CONFIG;

  // The oracle normalises the reference-resized pixels as transformers and torchvision-style code do:
  // float64 rescale cast to float32, then (x - mean) / std in float32, laid out channels-first.
  const expected = (() => {
    const header = JSON.stringify({ sizes: frames.map((f) => [f.width, f.height]), sig: siglip, iv: internVideo });
    const input = Buffer.concat([Buffer.from(header + '\n'), ...frames.map((f) => Buffer.from(f.data))]);
    const code = `
import sys, json, numpy as np, cv2
from PIL import Image
data = sys.stdin.buffer.read(); nl = data.index(b"\\n"); h = json.loads(data[:nl]); pos = nl + 1
def pad(img, mean):
    hh, ww = img.shape[:2]; side = max(hh, ww)
    canvas = np.empty((side, side, 3), np.uint8); canvas[:] = [int(m * 255) for m in mean]
    top, left = (side - hh) // 2, (side - ww) // 2
    canvas[top:top + hh, left:left + ww] = img
    return canvas
def norm(px, cfg):
    x = (px.astype(np.float64) * cfg["rescaleFactor"]).astype(np.float32)
    return (x - np.array(cfg["mean"], np.float32)) / np.array(cfg["std"], np.float32)
sig, iv = [], []
for (w, hgt) in h["sizes"]:
    n = w * hgt * 3; img = np.frombuffer(data[pos:pos + n], np.uint8).reshape(hgt, w, 3); pos += n
    s = h["sig"]; px = np.asarray(Image.fromarray(pad(img, s["mean"])).resize((s["width"], s["height"]), Image.BICUBIC))
    sig.append(norm(px, s).transpose(2, 0, 1))
    v = h["iv"]; sq = pad(img, v["mean"]); px = sq if sq.shape[0] == v["width"] else cv2.resize(sq, (v["width"], v["height"]), interpolation=cv2.INTER_LINEAR)
    iv.append(norm(px, v).transpose(2, 0, 1))
sys.stdout.buffer.write(np.stack(sig).astype("<f4").tobytes())
sys.stdout.buffer.write(np.stack(iv, axis=1).astype("<f4").tobytes())
`;
    const bytes = runPython(code, input);
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const n = frames.length * 3 * siglip.width * siglip.height;
    return { siglip: all.subarray(0, n), internVideo: all.subarray(n) };
  })();

  it.each(backends)('%s backend: SigLIP (T,3,384,384) and InternVideo2 (3,T,224,224)', (_name, pre) => {
    const s = preprocessClipForSiglip(frames, DEFAULT_PREPROCESSOR_CONFIG, { preprocessor: pre });
    const v = preprocessClipForInternVideo(frames, DEFAULT_PREPROCESSOR_CONFIG, { preprocessor: pre });
    expect(s.length).toBe(expected.siglip.length);
    expect(v.length).toBe(expected.internVideo.length);
    const bits = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    expect(firstDifference(bits(s), bits(expected.siglip))).toBe(-1);
    expect(firstDifference(bits(v), bits(expected.internVideo))).toBe(-1);
  });

  it('writes a clip at an offset of a larger video tensor without touching the rest', () => {
    const len = expected.internVideo.length;
    const out = new Float32Array(len * 2 + 5).fill(7);
    preprocessClipForInternVideo(frames, DEFAULT_PREPROCESSOR_CONFIG, { preprocessor: typescriptFramePreprocessor, out, outOffset: len + 3 });
    expect(out.subarray(0, len + 3).every((x) => x === 7)).toBe(true);
    expect(Array.from(out.subarray(len + 3, 2 * len + 3))).toEqual(Array.from(expected.internVideo));
    expect(out.subarray(2 * len + 3).every((x) => x === 7)).toBe(true);
  });
});
