// The naive reference forwards against numpy oracles written independently from the spec
// (float64, vectorised, with Python's own negative indexing for hidden_states).
import { describe, expect, it } from 'vitest';
import { connectorReference, connectorWeightNames } from '../../electron/core/vision/connector-reference.js';
import { internVideoReference, internVideoWeightNames } from '../../electron/core/vision/internvideo-reference.js';
import { siglipReference, siglipWeightNames } from '../../electron/core/vision/siglip-reference.js';
import { internVideoBlocksToRun, siglipLayersToRun } from '../../electron/core/vision/vision-shapes.js';
import { flatWeights, mulberry32, numpyOracle, randomTensor, randomWeights, relativeError, type ShapedTensor } from './vision-oracle.js';
import { connectorSpecs, internVideoSpecs, siglipSpecs, tinyConnector, tinyInternVideo, tinySiglip } from './vision-shapes-fixtures.js';

const SIGLIP_ORACLE = `
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

const INTERNVIDEO_ORACLE = `
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

const CONNECTOR_ORACLE = `
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

function withInput(weights: Map<string, ShapedTensor>, name: string, input: ShapedTensor): Map<string, ShapedTensor> {
  return new Map([...weights, [name, input]]);
}

describe('SigLIP reference forward', () => {
  it.each([
    { name: 'select −2 at the real 384/14 grid', shape: tinySiglip, n: 2 },
    { name: 'select −1 (all layers, no post-layernorm)', shape: { ...tinySiglip, selectLayer: -1 }, n: 1 },
    { name: 'select 1 on a 4×4 grid with unused edge pixels', shape: { ...tinySiglip, imageSize: 30, patchSize: 7, selectLayer: 1 }, n: 3 },
  ])('matches the numpy oracle: $name', ({ shape, n }) => {
    const weights = randomWeights(siglipSpecs(shape), 11);
    const pixels = { shape: [n, 3, shape.imageSize, shape.imageSize], data: randomTensor([n, 3, shape.imageSize, shape.imageSize], mulberry32(5)) };
    const ours = siglipReference(shape, flatWeights(weights), pixels.data, n);
    const oracle = numpyOracle(SIGLIP_ORACLE, withInput(weights, 'pixels', pixels), { patch: shape.patchSize, layers: shape.numLayers, heads: shape.numHeads, eps: shape.layerNormEps, select: shape.selectLayer });
    expect(relativeError(ours, oracle)).toBeLessThan(1e-5);
  });

  it('reads only the layers up to the selected one', () => {
    expect(siglipLayersToRun({ ...tinySiglip, selectLayer: -2 })).toBe(tinySiglip.numLayers - 1);
    expect(siglipLayersToRun({ ...tinySiglip, selectLayer: -1 })).toBe(tinySiglip.numLayers);
    expect(siglipLayersToRun({ ...tinySiglip, selectLayer: 0 })).toBe(0);
    expect(siglipWeightNames(tinySiglip).some((n) => n.includes(`layers.${tinySiglip.numLayers - 1}.`))).toBe(false);
    expect(() => siglipLayersToRun({ ...tinySiglip, selectLayer: -(tinySiglip.numLayers + 2) })).toThrow(RangeError);
  });
});

describe('InternVideo2 reference forward', () => {
  it.each([
    { name: 'select −2 (depth − 1 blocks)', shape: tinyInternVideo, n: 2 },
    { name: 'select −1 (all blocks)', shape: { ...tinyInternVideo, selectLayer: -1 }, n: 1 },
    { name: 'tubelet 2, select 0, small grid', shape: { ...tinyInternVideo, imageSize: 30, patchSize: 7, tubeletSize: 2, selectLayer: 0 }, n: 2 },
  ])('matches the numpy oracle: $name', ({ shape, n }) => {
    const weights = randomWeights(internVideoSpecs(shape), 21);
    const dims = [n, 3, shape.numFrames, shape.imageSize, shape.imageSize];
    const pixels = { shape: dims, data: randomTensor(dims, mulberry32(6)) };
    const ours = internVideoReference(shape, flatWeights(weights), pixels.data, n);
    const oracle = numpyOracle(INTERNVIDEO_ORACLE, withInput(weights, 'pixels', pixels), { patch: shape.patchSize, tubelet: shape.tubeletSize, depth: shape.depth, heads: shape.numHeads, eps: shape.normEps, select: shape.selectLayer });
    expect(relativeError(ours, oracle)).toBeLessThan(1e-5);
  });

  it('runs depth + idx + 1 blocks for a negative index', () => {
    expect(internVideoBlocksToRun({ ...tinyInternVideo, depth: 40, selectLayer: -2 })).toBe(39);
    expect(internVideoBlocksToRun({ ...tinyInternVideo, depth: 40, selectLayer: -1 })).toBe(40);
    expect(internVideoWeightNames(tinyInternVideo).some((n) => n.startsWith(`blocks.${tinyInternVideo.depth - 1}.`))).toBe(false);
  });
});

describe('connector reference forward', () => {
  it.each([
    { name: 'depth 1, GQA 4/2, real token count', shape: tinyConnector, n: 2, tokens: 4 * 27 * 27 },
    { name: 'depth 2, MHA', shape: { ...tinyConnector, depth: 2, numKvHeads: 4 }, n: 1, tokens: 50 },
  ])('matches the numpy oracle: $name', ({ shape, n, tokens }) => {
    const weights = randomWeights(connectorSpecs(shape), 31);
    const dims = [n, tokens, shape.visionHiddenSize];
    const fused = { shape: dims, data: randomTensor(dims, mulberry32(7)) };
    const ours = connectorReference(shape, flatWeights(weights), fused.data, n, tokens);
    const oracle = numpyOracle(CONNECTOR_ORACLE, withInput(weights, 'fused', fused), { eps: shape.layerNormEps, heads: shape.numHeads, kv_heads: shape.numKvHeads, depth: shape.depth });
    expect(relativeError(ours, oracle)).toBeLessThan(1e-5);
    expect(connectorWeightNames(shape).every((name) => weights.has(name))).toBe(true);
  });
});
