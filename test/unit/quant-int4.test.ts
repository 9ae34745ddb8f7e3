import { describe, expect, it } from 'vitest';
import { f16BitsToNumber } from '../../electron/engine/native/float-convert-twin.js';
import { dequantizeInt4, errorStats } from '../../electron/engine/quant/int4-dequantize.js';
import { allocateInt4, int4Layout, type Int4Quantized, type Int4QuantizeOptions } from '../../electron/engine/quant/int4-layout.js';
import { int4Quantizer, typescriptInt4Quantizer } from '../../electron/engine/quant/int4-quantize.js';
import { roundHalfEven } from '../../electron/engine/quant/int4-quantize-twin.js';
import { runPython } from '../helpers/python-oracle.js';

/** Weights with the awkward cases: all-zero blocks, exact rounding ties, a lone outlier, tiny values. */
function testWeights(n: number, k: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const w = new Float32Array(n * k);
  for (let i = 0; i < w.length; i++) w[i] = (rand() - 0.5) * 0.2;
  for (let i = 0; i < Math.min(k, 40); i++) w[i] = 0; // row 0 starts with zero blocks
  if (n > 1) for (let i = 0; i < k; i++) w[k + i] = ((i % 17) - 8) * 0.25; // row 1: values on the grid, ties after scaling
  if (n > 2) w[2 * k + 3] = 50; // row 2: an outlier
  if (n > 3) for (let i = 0; i < k; i++) w[3 * k + i] = (rand() - 0.5) * 1e-6;
  return w;
}

const optionCases: Int4QuantizeOptions[] = [
  { blockSize: 32, symmetric: true, scaleDtype: 'float32' },
  { blockSize: 32, symmetric: false, scaleDtype: 'float32' },
  { blockSize: 128, symmetric: true, scaleDtype: 'float16' },
  { blockSize: 128, symmetric: false, scaleDtype: 'float16' },
  { blockSize: 64, symmetric: false, scaleDtype: 'float32' },
  { blockSize: 16, symmetric: true, scaleDtype: 'float32' },
];

describe('int4 layout', () => {
  it.each([
    [4, 64, 32, 2, 16, 1],
    [4, 80, 32, 3, 16, 2],
    [3, 128, 128, 1, 64, 1],
    [2, 2048, 128, 16, 64, 8],
    [1, 2050, 64, 33, 32, 17],
  ])('[%i, %i] block %i -> %i blocks of %i bytes, %i zero-point bytes per row', (n, k, bs, blocks, blob, zpBytes) => {
    expect(int4Layout(n, k, bs)).toEqual({ n, k, blockSize: bs, blocksPerCol: blocks, blobSize: blob, zeroPointBytesPerRow: zpBytes });
  });
  it('rejects block sizes MatMulNBits does not take', () => {
    expect(() => int4Layout(2, 64, 48)).toThrow(/block size/);
    expect(() => int4Layout(0, 64, 32)).toThrow(/shape/);
  });
  it('rounds half to even like C nearbyint', () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4999, -7.5, 7.5].map(roundHalfEven)).toEqual([-2, -2, -0, 0, 2, 2, 2, -8, 8]);
  });
});

// An independent reference written with numpy (float32 arithmetic, rint = round half to even).
const numpyQuantizer = `
import sys, json, numpy as np
meta = json.loads(sys.argv[1]) if len(sys.argv) > 1 else None
raw = sys.stdin.buffer.read()
hdr_len = int.from_bytes(raw[:4], 'little')
meta = json.loads(raw[4:4 + hdr_len])
w = np.frombuffer(raw[4 + hdr_len:], dtype=np.float32).reshape(meta['n'], meta['k'])
n, k, bs = meta['n'], meta['k'], meta['blockSize']
nb = -(-k // bs)
pad = np.zeros((n, nb * bs), dtype=np.float32); pad[:, :k] = w
valid = np.zeros((n, nb * bs), dtype=bool); valid[:, :k] = True
blocks = pad.reshape(n, nb, bs); vb = valid.reshape(n, nb, bs)
if meta['symmetric']:
    idx = np.argmax(np.abs(blocks), axis=2)  # first index of the largest magnitude
    m = np.take_along_axis(blocks, idx[..., None], axis=2)[..., 0]
    scale = (m / np.float32(-8)).astype(np.float32)
    lo = None
else:
    lo = np.minimum(blocks.min(axis=2), 0).astype(np.float32)
    hi = np.maximum(blocks.max(axis=2), 0).astype(np.float32)
    scale = ((hi - lo).astype(np.float32) / np.float32(15)).astype(np.float32)
if meta['scaleDtype'] == 'float16':
    scale16 = scale.astype(np.float16)
    scale = scale16.astype(np.float32)
    scale_bytes = scale16.tobytes()
else:
    scale_bytes = scale.tobytes()
safe = np.where(scale == 0, np.float32(1), scale)
if meta['symmetric']:
    zp = np.full((n, nb), 8, dtype=np.int32)
else:
    zp = np.clip(np.rint((-lo / safe).astype(np.float32)), 0, 15).astype(np.int32)
    zp = np.where(scale == 0, 8, zp)
q = np.rint((blocks / safe[..., None]).astype(np.float32)).astype(np.int32) + zp[..., None]
q = np.clip(q, 0, 15)
q = np.where(vb & (scale[..., None] != 0), q, zp[..., None]).astype(np.uint8)
data = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
out = data.tobytes() + scale_bytes
if not meta['symmetric']:
    zpp = np.full((n, -(-nb // 2) * 2), 0, dtype=np.uint8); zpp[:, :nb] = zp
    out += (zpp[:, 0::2] | (zpp[:, 1::2] << 4)).astype(np.uint8).tobytes()
sys.stdout.buffer.write(out)
`;
import { mulberry32 } from '../helpers/seeded-random.js';

function numpyQuantize(weight: Float32Array, n: number, k: number, o: Int4QuantizeOptions): Buffer {
  const header = Buffer.from(JSON.stringify({ n, k, ...o }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return runPython(numpyQuantizer, Buffer.concat([len, header, Buffer.from(weight.buffer, weight.byteOffset, weight.byteLength)]));
}

function packedBytes(q: Int4Quantized): Buffer {
  const parts = [Buffer.from(q.data), Buffer.from(q.scales.buffer, q.scales.byteOffset, q.scales.byteLength)];
  if (q.zeroPoints) parts.push(Buffer.from(q.zeroPoints));
  return Buffer.concat(parts);
}

const native = int4Quantizer();

describe('int4 quantizer', () => {
  it.each(optionCases)('TypeScript twin equals the numpy reference byte for byte: %o', (o) => {
    const [n, k] = [6, 200]; // 200 is not a multiple of any block size: the last block is padded
    const w = testWeights(n, k, 7 + o.blockSize);
    const ts = typescriptInt4Quantizer.quantize(w, n, k, o);
    expect(packedBytes(ts).equals(numpyQuantize(w, n, k, o))).toBe(true);
  });

  it.each(optionCases)('native equals the twin byte for byte: %o', (o) => {
    expect(native.backend, native.fallbackReason).toBe('native');
    for (const [n, k, seed] of [
      [6, 200, 1],
      [33, 1024, 2],
      [5, 16, 3],
    ] as const) {
      const w = testWeights(n, k, seed);
      const a = typescriptInt4Quantizer.quantize(w, n, k, o);
      const b = native.quantize(w, n, k, o);
      expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true);
      expect(Array.from(b.scales)).toEqual(Array.from(a.scales));
      expect(b.zeroPoints === undefined ? undefined : Array.from(b.zeroPoints)).toEqual(a.zeroPoints === undefined ? undefined : Array.from(a.zeroPoints));
    }
  });

  it.each(optionCases)('dequantized error stays within one quantization step per block: %o', (o) => {
    const [n, k] = [8, 256];
    const w = testWeights(n, k, 11);
    const q = native.quantize(w, n, k, o);
    const d = dequantizeInt4(q);
    for (let row = 0; row < n; row++) {
      for (let b = 0; b < q.blocksPerCol; b++) {
        const s = q.scales[row * q.blocksPerCol + b]!;
        const scale = Math.abs(o.scaleDtype === 'float16' ? f16BitsToNumber(s) : s);
        // Symmetric can clamp the side opposite the largest magnitude (+8 -> 7): one full step; an
        // F16 scale adds its own rounding (relative 2^-11, or 2^-25 absolute when subnormal) times |q - zp|.
        const bound = (o.symmetric ? 1 : 0.5) * scale * (1 + 1e-6) + (o.scaleDtype === 'float16' ? 15 * Math.max(scale * 2 ** -11, 2 ** -25) : 0);
        for (let j = b * o.blockSize; j < Math.min(k, (b + 1) * o.blockSize); j++) {
          expect(Math.abs(d[row * k + j]! - w[row * k + j]!)).toBeLessThanOrEqual(bound);
        }
      }
    }
    // The block holding the largest magnitude reproduces it exactly when symmetric (it maps to q = 0).
    if (o.symmetric && o.scaleDtype === 'float32') expect(d[2 * k + 3]).toBe(50);
    expect(errorStats(w, d).relRms).toBeLessThan(0.2);
  });

  it('native rejects mismatched buffers instead of writing out of bounds', () => {
    const o: Int4QuantizeOptions = { blockSize: 32, symmetric: true, scaleDtype: 'float32' };
    expect(() => native.quantize(new Float32Array(10), 4, 64, o)).toThrow(RangeError);
    const out = allocateInt4(4, 64, o);
    expect(out.data.length).toBe(4 * 2 * 16);
  });
});
