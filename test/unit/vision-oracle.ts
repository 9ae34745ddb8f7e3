// Shared pieces of the vision tests: seeded random tensors and a numpy oracle run through Debian's
// python3 (float64 maths written straight from the spec, independent of the TypeScript code).
import { runPython } from '../helpers/python-oracle.js';

export function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TensorSpec {
  shape: number[];
  /** Values drawn uniformly from center ± spread. */
  center?: number;
  spread?: number;
}

export function randomTensor(shape: number[], rand: () => number, center = 0, spread = 1): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = center + (rand() * 2 - 1) * spread;
  return out;
}

export interface ShapedTensor {
  shape: number[];
  data: Float32Array;
}

export function randomWeights(specs: Record<string, TensorSpec>, seed: number): Map<string, ShapedTensor> {
  const rand = mulberry32(seed);
  const out = new Map<string, ShapedTensor>();
  for (const [name, s] of Object.entries(specs)) out.set(name, { shape: s.shape, data: randomTensor(s.shape, rand, s.center ?? 0, s.spread ?? 1) });
  return out;
}

export function flatWeights(w: Map<string, ShapedTensor>): Map<string, Float32Array> {
  return new Map([...w].map(([k, v]) => [k, v.data]));
}

const PRELUDE = `
import sys, json, math
import numpy as np
raw = sys.stdin.buffer.read()
n = int.from_bytes(raw[:8], 'little')
hdr = json.loads(raw[8:8 + n].decode())
base = 8 + n
T = {}
for k, v in hdr['tensors'].items():
    cnt = int(np.prod(v['shape'])) if v['shape'] else 1
    T[k] = np.frombuffer(raw, dtype='<f4', count=cnt, offset=base + v['offset']).reshape(v['shape']).astype(np.float64)
cfg = hdr['config']
def ln(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b
def rms(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w
def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
_erf = np.vectorize(math.erf)
def gelu_erf(x):
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
def mha(q, k, v, nh, nkv):
    N, Tq, W = q.shape
    d = W // nh
    Tk = k.shape[1]
    q = q.reshape(N, Tq, nh, d).transpose(0, 2, 1, 3)
    k = np.repeat(k.reshape(N, Tk, nkv, d).transpose(0, 2, 1, 3), nh // nkv, axis=1)
    v = np.repeat(v.reshape(N, Tk, nkv, d).transpose(0, 2, 1, 3), nh // nkv, axis=1)
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    p = p / p.sum(-1, keepdims=True)
    return (p @ v).transpose(0, 2, 1, 3).reshape(N, Tq, nh * d)
`;

/** Runs `body` (which must set `out`) with the tensors in `T` and `cfg`; returns `out` as float32. */
export function numpyOracle(body: string, tensors: Map<string, ShapedTensor>, config: Record<string, unknown>): Float32Array {
  const index: Record<string, { shape: number[]; offset: number }> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    index[name] = { shape: t.shape, offset };
    offset += t.data.byteLength;
  }
  const header = Buffer.from(JSON.stringify({ tensors: index, config }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  const parts = [len, header, ...[...tensors.values()].map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
  const code = `${PRELUDE}\n${body}\nsys.stdout.buffer.write(np.ascontiguousarray(out, dtype='<f4').tobytes())\n`;
  const result = runPython(code, Buffer.concat(parts));
  return new Float32Array(result.buffer.slice(result.byteOffset, result.byteOffset + result.byteLength));
}

/** max |a − b| / max |b|: the error relative to the tensor's scale. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
  }
  return maxDiff / (maxRef || 1);
}
