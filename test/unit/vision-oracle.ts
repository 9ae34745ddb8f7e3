// Shared pieces of the vision tests: seeded random tensors and a numpy oracle run through Debian's
// python3 (float64 maths written straight from the spec, independent of the TypeScript code).
import { runPython } from '../helpers/python-oracle.js';

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

/** numpy helpers the oracles share (LayerNorm, RMSNorm, GELUs, grouped attention). */
export const NUMPY_HELPERS = `
import sys, json, math
import numpy as np
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
` + NUMPY_HELPERS;
export { mulberry32 } from '../helpers/seeded-random.js';
import { mulberry32 } from '../helpers/seeded-random.js';

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

// numpy transcriptions of the spec, one per part; each reads its input from T and sets `out`.

export const SIGLIP_ORACLE = `
x = T['pixels']
N, ch, S, _ = x.shape
P = cfg['patch']; G = S // P; L = cfg['layers']; nh = cfg['heads']; eps = cfg['eps']
pre = 'vision_model.'
xc = x[:, :, :G * P, :G * P].reshape(N, ch, G, P, G, P)
h = np.einsum('ncrysx,ocyx->nrso', xc, T[pre + 'embeddings.patch_embedding.weight']).reshape(N, G * G, -1)
h = h + T[pre + 'embeddings.patch_embedding.bias'] + T[pre + 'embeddings.position_embedding.weight']
hs = [h]
for l in range(L):
    w = lambda n: T[pre + 'encoder.layers.%d.' % l + n]
    a = ln(h, w('layer_norm1.weight'), w('layer_norm1.bias'), eps)
    q = a @ w('self_attn.q_proj.weight').T + w('self_attn.q_proj.bias')
    k = a @ w('self_attn.k_proj.weight').T + w('self_attn.k_proj.bias')
    v = a @ w('self_attn.v_proj.weight').T + w('self_attn.v_proj.bias')
    h = h + mha(q, k, v, nh, nh) @ w('self_attn.out_proj.weight').T + w('self_attn.out_proj.bias')
    m = gelu_tanh(ln(h, w('layer_norm2.weight'), w('layer_norm2.bias'), eps) @ w('mlp.fc1.weight').T + w('mlp.fc1.bias'))
    h = h + m @ w('mlp.fc2.weight').T + w('mlp.fc2.bias')
    hs.append(h)
out = hs[cfg['select']].reshape(N, G, G, -1)
`;

export const INTERNVIDEO_ORACLE = `
x = T['pixels']
N, ch, F, S, _ = x.shape
P = cfg['patch']; U = cfg['tubelet']; G = S // P; Tg = F // U; depth = cfg['depth']; nh = cfg['heads']; eps = cfg['eps']
xc = x[:, :, :, :G * P, :G * P].reshape(N, ch, Tg, U, G, P, G, P)
h = np.einsum('nctuaybx,ocuyx->ntabo', xc, T['patch_embed.proj.weight']).reshape(N, Tg * G * G, -1) + T['patch_embed.proj.bias']
C = h.shape[-1]
h = np.concatenate([np.broadcast_to(T['cls_token'], (N, 1, C)), h], axis=1) + T['pos_embed']
sel = cfg['select']
for idx in range(depth):
    w = lambda n: T['blocks.%d.' % idx + n]
    a = rms(h, w('norm1.weight'), eps)
    qkv = a @ w('attn.qkv.weight').T
    q, k, v = qkv[..., :C], qkv[..., C:2 * C], qkv[..., 2 * C:]
    q = rms(q, w('attn.q_norm.weight'), eps)
    k = rms(k, w('attn.k_norm.weight'), eps)
    h = h + w('ls1.gamma') * (mha(q, k, v, nh, nh) @ w('attn.proj.weight').T + w('attn.proj.bias'))
    m = gelu_erf(rms(h, w('norm2.weight'), eps) @ w('mlp.fc1.weight').T + w('mlp.fc1.bias'))
    h = h + w('ls2.gamma') * (m @ w('mlp.fc2.weight').T + w('mlp.fc2.bias'))
    if idx == (depth + sel if sel < 0 else sel):
        break
out = h[:, 1:].reshape(N, Tg, G, G, C)
`;

export const CONNECTOR_ORACLE = `
x = T['fused']
eps = cfg['eps']; nh = cfg['heads']; nkv = cfg['kv_heads']
def wn(x, p):
    return ln(x, T[p + '.norm.weight'], T[p + '.norm.bias'], eps) * T[p + '.wheight']
c = x @ T['proj.0.weight'].T + T['proj.0.bias']
N = c.shape[0]
lat = np.broadcast_to(T['resampler.latents'], (N,) + T['resampler.latents'].shape).copy()
for l in range(cfg['depth']):
    p = 'resampler.layers.%d.' % l
    a = wn(lat, p + 'input_latents_norm')
    b = wn(c, p + 'input_context_norm')
    kv_in = np.concatenate([b, a], axis=1)
    q = a @ T[p + 'self_attn.q_proj.weight'].T
    k = kv_in @ T[p + 'self_attn.k_proj.weight'].T
    v = kv_in @ T[p + 'self_attn.v_proj.weight'].T
    lat = lat + mha(q, k, v, nh, nkv) @ T[p + 'self_attn.o_proj.weight'].T
    z = wn(lat, p + 'post_attention_layernorm')
    g = z @ T[p + 'mlp.gate_proj.weight'].T
    lat = lat + ((g / (1 + np.exp(-g))) * (z @ T[p + 'mlp.up_proj.weight'].T)) @ T[p + 'mlp.down_proj.weight'].T
out = wn(lat, 'resampler.norm')
`;

export const TRILINEAR_ORACLE = `
x = T['x'].astype(np.float32)  # (N, T, H, W, C) channels-last, as the towers emit it
x = np.ascontiguousarray(x.transpose(0, 4, 1, 2, 3))  # (N, C, T, H, W), as Apollo permutes it
def taps(n_in, n_out):
    scale = np.float32(n_in) / np.float32(n_out)
    dst = np.arange(n_out).astype(np.float32)
    src = (scale * (dst + np.float32(0.5)) - np.float32(0.5)).astype(np.float32)
    src = np.where(src < 0, np.float32(0), src).astype(np.float32)
    i0 = src.astype(np.int64)
    i1 = i0 + (i0 < n_in - 1).astype(np.int64)
    l1 = (src - i0.astype(np.float32)).astype(np.float32)
    l0 = (np.float32(1) - l1).astype(np.float32)
    return i0, i1, l0, l1
ot, oh, ow = cfg['out']
t0, t1, lt0, lt1 = taps(x.shape[2], ot)
h0, h1, lh0, lh1 = taps(x.shape[3], oh)
w0, w1, lw0, lw1 = taps(x.shape[4], ow)
def g(ti, hi, wi):
    return x[:, :, ti][:, :, :, hi][:, :, :, :, wi]
LT0 = lt0[:, None, None]; LT1 = lt1[:, None, None]
LH0 = lh0[None, :, None]; LH1 = lh1[None, :, None]
LW0 = lw0[None, None, :]; LW1 = lw1[None, None, :]
y = (LT0 * (LH0 * (LW0 * g(t0, h0, w0) + LW1 * g(t0, h0, w1)) + LH1 * (LW0 * g(t0, h1, w0) + LW1 * g(t0, h1, w1)))
     + LT1 * (LH0 * (LW0 * g(t1, h0, w0) + LW1 * g(t1, h0, w1)) + LH1 * (LW0 * g(t1, h1, w0) + LW1 * g(t1, h1, w1))))
out = y.astype(np.float32).transpose(0, 2, 3, 4, 1)
`;
