// The real 1.5B / 3B / 7B configs (fixtures written from the spec's tables, no weights) parse and
// give the graph shapes and tensor names of spec sections 1, 5, 7, 9 and 10.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveModelShapes, loadApolloCheckpointConfig, type ApolloCheckpointConfig } from '../../electron/engine/model/apollo-config.js';
import { apolloTensorManifest } from '../../electron/engine/model/apollo-tensor-manifest.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'checkpoint-configs');

// Spec section 1 table (llm/config.json [V]) and section 7 (connector width = LLM width).
const sizes = [
  { name: 'apollo-1.5b', hidden: 1536, layers: 28, heads: 12, kv: 2, intermediate: 8960, vocab: 151936, tied: true },
  { name: 'apollo-3b', hidden: 2048, layers: 36, heads: 16, kv: 2, intermediate: 11008, vocab: 151936, tied: true },
  { name: 'apollo-7b', hidden: 3584, layers: 28, heads: 28, kv: 4, intermediate: 18944, vocab: 152064, tied: false },
] as const;

// Stored file sizes from spec section 1 [V], in bytes (BF16 weights, ± rounding of the listing).
const fileBytes: Record<string, { llm: number; siglip: number; internvideo2: number; connector?: number }> = {
  'apollo-3b': { llm: (4.96 + 1.84) * 1e9, siglip: 857e6, internvideo2: 2.1e9, connector: 127e6 },
  'apollo-7b': { llm: (4.88 + 4.93 + 4.33 + 1.09) * 1e9, siglip: 857e6, internvideo2: 2.1e9, connector: 355e6 },
  'apollo-1.5b': { llm: 3.55e9, siglip: 857e6, internvideo2: 2.1e9 },
};

const loaded = new Map<string, Promise<ApolloCheckpointConfig>>();
const load = (name: string) => {
  if (!loaded.has(name)) loaded.set(name, loadApolloCheckpointConfig(join(fixtures, name)));
  return loaded.get(name)!;
};

describe.each(sizes)('$name config fixtures', (size) => {
  it('derive the LLM shapes of spec sections 1 and 9', async () => {
    const { shapes } = await load(size.name);
    expect(shapes.llm).toEqual({
      hidden: size.hidden,
      heads: size.heads,
      kvHeads: size.kv,
      headDim: 128,
      qDim: size.hidden,
      kvDim: size.kv * 128,
      intermediate: size.intermediate,
      layers: size.layers,
      vocab: size.vocab,
      tied: size.tied,
      ropeTheta: 1e6,
      rmsNormEps: 1e-6,
      maxPositions: 32768,
    });
    expect(shapes.eosTokenIds).toEqual([151645, 151643]);
    expect([shapes.modelMaxLength, shapes.tokenizerModelMaxLength]).toEqual([16384, 16384]);
    expect(shapes.bosTokenId).toBe(151643);
  });

  it('derive the vision, fusion and connector shapes of spec sections 2, 5, 6 and 7', async () => {
    const { shapes, towerOrder, paths } = await load(size.name);
    expect(towerOrder).toEqual(['siglip', 'internvideo2']);
    expect(paths.siglip).toBe(join('vision_tower', 'siglip-so400m-patch14-384'));
    expect(shapes.siglip).toMatchObject({ hidden: 1152, heads: 16, headDim: 72, intermediate: 4304, layers: 27, patch: 14, image: 384, grid: 27, tokensPerFrame: 729, channels: 3, layerNormEps: 1e-6 });
    expect(shapes.internvideo2).toMatchObject({ width: 1408, heads: 16, headDim: 88, depth: 40, mlpHidden: 6144, patch: 14, image: 224, frames: 4, tubelet: 1, grid: 16, patchTokens: 1024, tokensWithCls: 1025, imageTokensWithCls: 257, qkNormalization: true, layerScale: true, qkvBias: false });
    expect(shapes.connector).toEqual({ visionHidden: 2560, textHidden: size.hidden, heads: 16, headDim: 96, kvHeads: 4, qDim: 1536, kvDim: 384, ffHidden: 4 * size.hidden, depth: 1, latents: 128, tokenInputShape: [4, 27, 27], contextTokens: 2916, layerNormEps: 1e-5 });
    expect(shapes.fusedGrid).toEqual([4, 27, 27]);
    expect(shapes.tokensPerClip).toBe(128);
    expect(shapes.framesPerClip).toBe(4);
    expect(shapes.clipDuration).toBe(2);
    expect(shapes.selectFeature).toBe('patch');
  });

  it.each([
    [-2, 26, 39],
    [-1, 27, 40],
  ])('with mm_vision_select_layer %i, runs %i SigLIP layers and %i InternVideo2 blocks (spec 11.1)', async (selectLayer, siglipLayers, ivBlocks) => {
    const config = await load(size.name);
    const shapes = deriveModelShapes(config, { selectLayer });
    expect(shapes.siglip.layersUsed).toBe(siglipLayers);
    expect(shapes.internvideo2.blocksUsed).toBe(ivBlocks);
    const manifest = apolloTensorManifest(shapes);
    // The graphs read exactly the layers that run; the rest of the file is skipped.
    expect(manifest.siglip.filter((t) => t.used && t.name.includes('.encoder.layers.')).length).toBe(siglipLayers * 16);
    expect(manifest.internvideo2.filter((t) => t.used && t.name.startsWith('blocks.')).length).toBe(ivBlocks * 13);
  });

  it('list the tensor names and shapes of spec section 10', async () => {
    const { shapes } = await load(size.name);
    const m = apolloTensorManifest(shapes);
    const H = size.hidden;
    const I = size.intermediate;
    const shapeOf = (list: typeof m.llm, name: string) => list.find((t) => t.name === name)?.shape;
    expect(shapeOf(m.llm, 'model.embed_tokens.weight')).toEqual([size.vocab, H]);
    expect(shapeOf(m.llm, 'model.layers.0.self_attn.q_proj.weight')).toEqual([H, H]);
    expect(shapeOf(m.llm, 'model.layers.0.self_attn.q_proj.bias')).toEqual([H]);
    expect(shapeOf(m.llm, `model.layers.${size.layers - 1}.self_attn.k_proj.weight`)).toEqual([size.kv * 128, H]);
    expect(shapeOf(m.llm, 'model.layers.0.self_attn.v_proj.bias')).toEqual([size.kv * 128]);
    expect(shapeOf(m.llm, 'model.layers.0.self_attn.o_proj.weight')).toEqual([H, H]);
    expect(shapeOf(m.llm, 'model.layers.0.mlp.gate_proj.weight')).toEqual([I, H]);
    expect(shapeOf(m.llm, 'model.layers.0.mlp.down_proj.weight')).toEqual([H, I]);
    expect(shapeOf(m.llm, 'model.norm.weight')).toEqual([H]);
    expect(m.llm.find((t) => t.name === 'lm_head.weight')).toMatchObject({ shape: [size.vocab, H], used: !size.tied });
    expect(m.llm.length).toBe(12 * size.layers + 3);
    expect(m.llm.some((t) => t.name.includes('o_proj.bias') || t.name.includes('mlp.gate_proj.bias'))).toBe(false);

    expect(shapeOf(m.connector, 'proj.0.weight')).toEqual([H, 2560]);
    expect(shapeOf(m.connector, 'resampler.latents')).toEqual([128, H]);
    expect(shapeOf(m.connector, 'resampler.layers.0.self_attn.q_proj.weight')).toEqual([1536, H]);
    expect(shapeOf(m.connector, 'resampler.layers.0.self_attn.k_proj.weight')).toEqual([384, H]);
    expect(shapeOf(m.connector, 'resampler.layers.0.self_attn.o_proj.weight')).toEqual([H, 1536]);
    expect(shapeOf(m.connector, 'resampler.layers.0.mlp.up_proj.weight')).toEqual([4 * H, H]);
    expect(shapeOf(m.connector, 'resampler.layers.0.mlp.down_proj.weight')).toEqual([H, 4 * H]);
    for (const n of ['input_latents_norm', 'input_context_norm', 'post_attention_layernorm']) {
      for (const leaf of ['norm.weight', 'norm.bias', 'wheight']) expect(shapeOf(m.connector, `resampler.layers.0.${n}.${leaf}`)).toEqual([H]);
    }
    expect(shapeOf(m.connector, 'resampler.norm.wheight')).toEqual([H]);

    expect(shapeOf(m.internvideo2, 'patch_embed.proj.weight')).toEqual([1408, 3, 1, 14, 14]);
    expect(shapeOf(m.internvideo2, 'cls_token')).toEqual([1, 1, 1408]);
    expect(shapeOf(m.internvideo2, 'pos_embed')).toEqual([1, 1025, 1408]);
    expect(shapeOf(m.internvideo2, 'img_pos_embed')).toEqual([1, 257, 1408]);
    expect(shapeOf(m.internvideo2, 'blocks.39.attn.qkv.weight')).toEqual([4224, 1408]);
    expect(shapeOf(m.internvideo2, 'blocks.0.attn.q_norm.weight')).toEqual([1408]);
    expect(shapeOf(m.internvideo2, 'blocks.0.ls2.gamma')).toEqual([1408]);
    expect(shapeOf(m.internvideo2, 'blocks.0.mlp.fc1.weight')).toEqual([6144, 1408]);
    expect(shapeOf(m.internvideo2, 'blocks.0.mlp.fc2.weight')).toEqual([1408, 6144]);
    expect(m.internvideo2.some((t) => t.name.startsWith('blocks.40.'))).toBe(false);
    for (const prefix of ['clip_pos_embed', 'clip_img_pos_embed', 'clip_projector.', 'clip_decoder.5.', 'final_clip_decoder.']) {
      expect(m.internvideo2.filter((t) => t.name.startsWith(prefix)).every((t) => !t.used), prefix).toBe(true);
      expect(m.internvideo2.some((t) => t.name.startsWith(prefix)), prefix).toBe(true);
    }

    expect(shapeOf(m.siglip, 'vision_model.embeddings.patch_embedding.weight')).toEqual([1152, 3, 14, 14]);
    expect(shapeOf(m.siglip, 'vision_model.embeddings.position_embedding.weight')).toEqual([729, 1152]);
    expect(shapeOf(m.siglip, 'vision_model.encoder.layers.26.self_attn.out_proj.weight')).toEqual([1152, 1152]);
    expect(shapeOf(m.siglip, 'vision_model.encoder.layers.0.mlp.fc1.weight')).toEqual([4304, 1152]);
    expect(shapeOf(m.siglip, 'vision_model.encoder.layers.0.mlp.fc2.weight')).toEqual([1152, 4304]);
    expect(m.siglip.filter((t) => t.name.startsWith('vision_model.post_layernorm') || t.name.startsWith('vision_model.head.')).every((t) => !t.used)).toBe(true);
  });

  it('account for the published file sizes (an independent check of the name lists)', async () => {
    const { shapes } = await load(size.name);
    const m = apolloTensorManifest(shapes);
    const bf16Bytes = (list: typeof m.llm) => list.reduce((a, t) => a + 2 * t.shape.reduce((x, y) => x * y, 1), 0);
    const expected = fileBytes[size.name]!;
    // lm_head is stored for every size (spec 11.7): the shard totals only add up with it.
    expect(bf16Bytes(m.llm) / expected.llm).toBeCloseTo(1, 2);
    expect(bf16Bytes(m.siglip) / expected.siglip).toBeCloseTo(1, 2);
    expect(bf16Bytes(m.internvideo2) / expected.internvideo2).toBeCloseTo(1, 2);
    if (expected.connector !== undefined) expect(bf16Bytes(m.connector) / expected.connector).toBeCloseTo(1, 2);
  });
});

describe('config validation', () => {
  function copyFixture(): string {
    const dir = join(makeTempDir('cfg'), 'model');
    cpSync(join(fixtures, 'apollo-3b'), dir, { recursive: true });
    return dir;
  }
  function edit(dir: string, file: string, change: (json: Record<string, unknown>) => void): void {
    const path = join(dir, file);
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    change(json);
    writeFileSync(path, JSON.stringify(json));
  }

  it('keeps unknown keys and applies the configuration_internvideo2.py defaults', async () => {
    const dir = copyFixture();
    edit(dir, 'config.json', (j) => (j.some_future_key = { a: 1 }));
    const config = await loadApolloCheckpointConfig(dir);
    expect(config.root.some_future_key).toEqual({ a: 1 });
    expect(config.internvideo2).toMatchObject({ depth: 40, init_values: 1e-5, qk_normalization: true });
    expect(config.internvideo2.mlp_ratio).toBe(48 / 11);
    expect(config.generation).toMatchObject({ temperature: 0.7, top_p: 0.8, top_k: 20, repetition_penalty: 1.05, do_sample: true });
    expect(config.root.encode_batch_size).toBe(25);
  });

  it('falls back to llm_cfg for a missing top-level model_max_length, and refuses when both are missing', async () => {
    const dir = copyFixture();
    edit(dir, 'config.json', (j) => {
      delete j.model_max_length;
      (j.llm_cfg as Record<string, unknown>).model_max_length = 8192;
    });
    expect((await loadApolloCheckpointConfig(dir)).shapes.modelMaxLength).toBe(8192);
    edit(dir, 'config.json', (j) => delete (j.llm_cfg as Record<string, unknown>).model_max_length);
    edit(dir, 'llm/config.json', (j) => delete j.model_max_length);
    await expect(loadApolloCheckpointConfig(dir)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID', message: expect.stringMatching(/no model_max_length/) });
  });

  it.each([
    ['a missing mm_vision_select_layer', 'config.json', (j: Record<string, unknown>) => delete j.mm_vision_select_layer, /config\.json has an unexpected value at key "mm_vision_select_layer"/],
    ['a null mm_vision_select_layer', 'config.json', (j: Record<string, unknown>) => (j.mm_vision_select_layer = null), /mm_vision_select_layer/],
    ['a select layer outside SigLIP', 'config.json', (j: Record<string, unknown>) => (j.mm_vision_select_layer = -40), /outside SigLIP's 27 layers/],
    ['a connector narrower than the LLM', 'mm_connector/config.json', (j: Record<string, unknown>) => (j.text_hidden_size = 1536), /text_hidden_size 1536 but the LLM's hidden_size is 2048/],
    ['a vision width that does not add up', 'mm_connector/config.json', (j: Record<string, unknown>) => (j.vision_hidden_size = 2048), /vision towers give 2560 channels/],
    ['heads that do not divide', 'llm/config.json', (j: Record<string, unknown>) => (j.num_key_value_heads = 3), /num_key_value_heads/],
    ['rope scaling', 'llm/config.json', (j: Record<string, unknown>) => (j.rope_scaling = { type: 'yarn' }), /rope_scaling/],
    ['an unknown tower', 'vision_tower/internvideo2/config.json', (j: Record<string, unknown>) => (j.model_type = 'clip'), /model_type "clip"/],
    ['a tower path escaping the folder', 'vision_tower/config.json', (j: Record<string, unknown>) => (j.vision_towers = ['../x', 'internvideo2']), /vision_towers/],
    ['a wrong token grid', 'vision_tower/config.json', (j: Record<string, unknown>) => (j.token_output_shape = [4, 16, 16]), /token_output_shape \[4, 16, 16\]/],
  ])('refuses %s with CHECKPOINT_CONFIG_INVALID naming the file', async (_name, file, change, message) => {
    const dir = copyFixture();
    edit(dir, file, change);
    const error = await loadApolloCheckpointConfig(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID', message: expect.stringMatching(message) });
    expect((error as Error).message).toMatch(/download the model again/);
  });

  it('names a missing or broken file', async () => {
    const dir = copyFixture();
    writeFileSync(join(dir, 'llm', 'generation_config.json'), '{"top_k": ');
    await expect(loadApolloCheckpointConfig(dir)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID', message: expect.stringContaining(join(dir, 'llm', 'generation_config.json')) });
    await expect(loadApolloCheckpointConfig(join(dir, 'nope'))).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID', message: expect.stringMatching(/config\.json is missing/) });
  });
});
