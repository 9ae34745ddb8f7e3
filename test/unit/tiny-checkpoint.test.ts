// `apollo-chat make-tiny-model`: the exact Apollo-3B-t32 layout (spec sections 1 and 10) with tiny
// sizes, the real Qwen2.5 tokenizer files, and bytes that depend only on the seed.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadChatTokenizer } from '../../electron/engine/chat/tokenizer.js';
import { loadApolloCheckpointConfig, type ApolloCheckpointConfig } from '../../electron/engine/model/apollo-config.js';
import { apolloTensorManifest } from '../../electron/engine/model/apollo-tensor-manifest.js';
import { checkWeightsAgainstManifest, openApolloCheckpoint } from '../../electron/engine/model/apollo-checkpoint.js';
import { openCheckpointFolder } from '../../electron/engine/model/safetensors-checkpoint.js';
import { openSafetensors, writeSafetensors } from '../../electron/engine/model/safetensors.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const fixture3b = join(repoRoot, 'test', 'fixtures', 'checkpoint-configs', 'apollo-3b');
const work = makeTempDir('tiny');
const dirA = join(work, 'a');

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of listFiles(dir)) out[f] = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
  return out;
}

/** Every key path of a JSON value ("a.b.c"), arrays as leaves. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => keyPaths(v, prefix === '' ? k : `${prefix}.${k}`));
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

let cliResult: Awaited<ReturnType<typeof runCli>>;
let config: ApolloCheckpointConfig;

beforeAll(async () => {
  cliResult = await runCli(['make-tiny-model', dirA, '--seed', '7', '--json', '--no-progress'], { timeoutMs: 120_000 });
  config = await loadApolloCheckpointConfig(dirA);
});

describe('make-tiny-model', () => {
  it('runs from the CLI and reports the files it wrote', () => {
    expect(cliResult.code, cliResult.stderr).toBe(0);
    const summary = JSON.parse(cliResult.stdout) as { dir: string; seed: number; files: Array<{ path: string; bytes: number }>; tensors: number; elapsedMs: number };
    expect(summary.seed).toBe(7);
    expect(summary.files.map((f) => f.path).sort()).toEqual(listFiles(dirA));
    for (const f of summary.files) expect(statSync(join(dirA, f.path)).size).toBe(f.bytes);
  });

  it('has exactly the files of the Apollo-3B-t32 checkpoint (spec 1; the .py files are omitted)', () => {
    expect(listFiles(dirA)).toEqual(
      [
        'config.json',
        'llm/added_tokens.json',
        'llm/config.json',
        'llm/generation_config.json',
        'llm/merges.txt',
        'llm/model-00001-of-00002.safetensors',
        'llm/model-00002-of-00002.safetensors',
        'llm/model.safetensors.index.json',
        'llm/special_tokens_map.json',
        'llm/tokenizer.json',
        'llm/tokenizer_config.json',
        'llm/vocab.json',
        'mm_connector/config.json',
        'mm_connector/model.safetensors',
        'vision_tower/config.json',
        'vision_tower/internvideo2/config.json',
        'vision_tower/internvideo2/model.safetensors',
        'vision_tower/internvideo2/preprocessor_config.json',
        'vision_tower/siglip-so400m-patch14-384/config.json',
        'vision_tower/siglip-so400m-patch14-384/model.safetensors',
        'vision_tower/siglip-so400m-patch14-384/preprocessor_config.json',
      ].map((p) => p.split('/').join(sep)),
    );
  });

  it('writes every config key of the real 3B files, with the real non-size values', () => {
    const configFiles = listFiles(fixture3b);
    for (const file of configFiles) {
      const real = readJson(join(fixture3b, file));
      const tiny = readJson(join(dirA, file));
      const extra = file.includes('internvideo2') && file.endsWith('config.json') && !file.endsWith('preprocessor_config.json') ? ['depth'] : [];
      expect(keyPaths(tiny).sort(), file).toEqual([...keyPaths(real), ...extra].sort());
    }
    const s = config.shapes;
    expect([s.siglip.image, s.siglip.patch, s.internvideo2.image, s.internvideo2.patch, s.framesPerClip, s.tokensPerClip, s.llm.vocab]).toEqual([384, 14, 224, 14, 4, 128, 151936]);
    expect(s.connector.tokenInputShape).toEqual([4, 27, 27]);
    expect(s.connector.visionHidden).toBe(s.siglip.hidden + s.internvideo2.width);
    expect(s.llm).toMatchObject({ hidden: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, tied: true });
    expect(config.llm.head_dim).toBeUndefined(); // head_dim comes from hidden / heads, as in the real file
  });

  it('stores every tensor of the manifest, in BF16, with its shape (spec 10)', async () => {
    const manifest = apolloTensorManifest(config.shapes);
    const parts: Array<[string, typeof manifest.llm]> = [
      ['llm', manifest.llm],
      [config.paths.siglip, manifest.siglip],
      [config.paths.internvideo2, manifest.internvideo2],
      ['mm_connector', manifest.connector],
    ];
    for (const [folder, specs] of parts) {
      const src = await openCheckpointFolder(join(dirA, folder));
      try {
        expect(src.names().sort(), folder).toEqual(specs.map((t) => t.name).sort());
        for (const t of specs) expect(src.info(t.name), t.name).toEqual({ dtype: 'BF16', shape: t.shape, byteLength: 2 * t.shape.reduce((a, b) => a * b, 1) });
      } finally {
        await src.close();
      }
    }
  });

  it('uses the same tensor names as the real 3B layout, up to layer counts', async () => {
    const real = apolloTensorManifest((await loadApolloCheckpointConfig(fixture3b)).shapes);
    const tiny = apolloTensorManifest(config.shapes);
    const pattern = (names: string[]) => [...new Set(names.map((n) => n.replace(/\.\d+\./g, '.N.')))].sort();
    for (const part of ['llm', 'siglip', 'internvideo2', 'connector'] as const) {
      expect(pattern(tiny[part].map((t) => t.name)), part).toEqual(pattern(real[part].map((t) => t.name)));
    }
    expect(tiny.llm.find((t) => t.name === 'lm_head.weight')).toMatchObject({ shape: [151936, 64], used: false });
  });

  it('opens as a whole checkpoint whose weights match the manifest of its configs', async () => {
    const checkpoint = await openApolloCheckpoint(dirA);
    expect(checkpoint.config.shapes.llm.hidden).toBe(64);
    expect(checkpoint.weights.connector.info('resampler.latents').shape).toEqual([128, 64]);
    expect((await checkpoint.weights.internvideo2.readFloat32('pos_embed')).length).toBe(1025 * 88);
    await checkpoint.close();
  });

  it.each([
    ['a missing tensor', (name: string) => name !== 'resampler.layers.0.mlp.up_proj.weight', (shape: number[]) => shape, 'TENSOR_NOT_FOUND', /no tensor resampler\.layers\.0\.mlp\.up_proj\.weight/],
    ['a wrong shape', () => true, (shape: number[]) => (shape.length === 2 && shape[0] === 128 ? [shape[1]!, shape[0]] : shape), 'CHECKPOINT_INVALID', /resampler\.latents .* \[64, 128\], but the config needs .* \[128, 64\]/],
  ])('refuses weights with %s', async (_name, keep, reshape, code, message) => {
    const specs = apolloTensorManifest(config.shapes).connector;
    const folder = join(work, `bad-${code}`);
    mkdirSync(folder, { recursive: true });
    await writeSafetensors(
      join(folder, 'model.safetensors'),
      specs.filter((t) => keep(t.name)).map((t) => ({ name: t.name, dtype: 'BF16' as const, shape: reshape(t.shape), data: new Uint16Array(t.shape.reduce((a, b) => a * b, 1)) })),
    );
    const src = await openCheckpointFolder(folder);
    expect(() => checkWeightsAgainstManifest('connector', src, specs)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
    await src.close();
  });

  it('shards the LLM in two with a consistent index (metadata.total_size, weight_map)', async () => {
    const index = readJson(join(dirA, 'llm', 'model.safetensors.index.json')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    expect(new Set(Object.values(index.weight_map))).toEqual(new Set(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']));
    expect(index.weight_map['model.embed_tokens.weight']).toBe('model-00001-of-00002.safetensors');
    expect(index.weight_map['lm_head.weight']).toBe('model-00002-of-00002.safetensors');
    const src = await openCheckpointFolder(join(dirA, 'llm'));
    expect(src.names().reduce((a, n) => a + src.info(n).byteLength, 0)).toBe(index.metadata.total_size);
    const shard = await openSafetensors(join(dirA, 'llm', 'model-00001-of-00002.safetensors'));
    expect({ ...shard.metadata }).toEqual({ format: 'pt' });
    await shard.close();
    await src.close();
  });

  it('has sane random weights: norms near 1, linear layers scaled by fan-in, tied lm_head distinct', async () => {
    const src = await openCheckpointFolder(join(dirA, 'llm'));
    const stats = async (name: string) => {
      const v = await src.readFloat32(name);
      let s = 0;
      let s2 = 0;
      for (const x of v) {
        s += x;
        s2 += x * x;
      }
      const mean = s / v.length;
      return { mean, std: Math.sqrt(s2 / v.length - mean * mean) };
    };
    const norm = await stats('model.norm.weight');
    expect(Math.abs(norm.mean - 1)).toBeLessThan(0.05);
    const q = await stats('model.layers.0.self_attn.q_proj.weight');
    expect(q.std * Math.sqrt(64)).toBeCloseTo(1, 1);
    const down = await stats('model.layers.1.mlp.down_proj.weight');
    expect(down.std * Math.sqrt(128)).toBeCloseTo(1, 1);
    const embed = await stats('model.embed_tokens.weight');
    expect(embed.std).toBeGreaterThan(0.1);
    expect(embed.std).toBeLessThan(0.5);
    expect(Buffer.from(await src.readRaw('lm_head.weight')).equals(Buffer.from(await src.readRaw('model.embed_tokens.weight')))).toBe(false);
    await src.close();
  });
});

describe('tiny checkpoint tokenizer (Qwen2.5)', () => {
  const llm = () => join(dirA, 'llm');

  it('has the 151,643 BPE tokens, the merges and exactly the 22 Qwen2.5 special tokens', () => {
    const tok = readJson(join(llm(), 'tokenizer.json')) as { added_tokens: Array<{ id: number; content: string; special: boolean }>; model: { type: string; vocab: Record<string, number>; merges: string[] } };
    expect(tok.model.type).toBe('BPE');
    const ids = Object.values(tok.model.vocab).sort((a, b) => a - b);
    expect(ids.length).toBe(151643);
    expect(ids[0]).toBe(0);
    expect(ids[ids.length - 1]).toBe(151642);
    expect(new Set(ids).size).toBe(151643);
    expect(tok.added_tokens.map((t) => t.id)).toEqual(Array.from({ length: 22 }, (_, i) => 151643 + i));
    const byContent = Object.fromEntries(tok.added_tokens.map((t) => [t.content, t.id]));
    expect(byContent['<|endoftext|>']).toBe(151643);
    expect(byContent['<|im_start|>']).toBe(151644);
    expect(byContent['<|im_end|>']).toBe(151645);
    expect(byContent['<|file_sep|>']).toBe(151664);
    expect(tok.added_tokens.filter((t) => t.special).length).toBe(14);
    expect(tok.model.merges.every((m) => typeof m === 'string' && m.split(' ').length === 2)).toBe(true);

    expect(readJson(join(llm(), 'vocab.json'))).toEqual(tok.model.vocab);
    const mergesTxt = readFileSync(join(llm(), 'merges.txt'), 'utf8').split('\n');
    expect(mergesTxt[0]).toBe('#version: 0.2');
    expect(mergesTxt.slice(1, -1)).toEqual(tok.model.merges);
    expect(readJson(join(llm(), 'added_tokens.json'))).toEqual(byContent);
    // The embedding has rows for every id the tokenizer can produce.
    expect(config.shapes.llm.vocab).toBeGreaterThan(151664);
  });

  it('encodes the known Qwen2 tokenizations (llama.cpp / transformers) through the app tokenizer', async () => {
    const known = (JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'tokenizer', 'qwen2-known-tokenizations.json'), 'utf8')) as { cases: Array<{ text: string; ids: number[] }> }).cases;
    expect(known.length).toBeGreaterThan(5);
    const tok = await loadChatTokenizer(llm());
    for (const c of known) expect(tok.encode(c.text), c.text).toEqual(c.ids);
    expect(tok.encode('<|im_start|>user\nHi<|im_end|>')[0]).toBe(151644);
  });

  it('matches the published Qwen2.5 file sizes of spec section 1', () => {
    const size = (f: string) => statSync(join(llm(), f)).size;
    expect(size('added_tokens.json')).toBe(605);
    expect(size('special_tokens_map.json')).toBe(613);
    expect(size('tokenizer.json') / 7.03e6).toBeCloseTo(1, 2);
    expect(size('vocab.json') / 2.78e6).toBeCloseTo(1, 2);
    expect(size('merges.txt') / 1.67e6).toBeCloseTo(1, 2);
    expect(size('tokenizer_config.json') / 7.35e3).toBeCloseTo(1, 1);
  });

  it('carries the Qwen2.5 chat template and special-token settings', () => {
    const cfg = readJson(join(llm(), 'tokenizer_config.json')) as Record<string, unknown> & { added_tokens_decoder: Record<string, { content: string }> };
    expect(cfg.tokenizer_class).toBe('Qwen2Tokenizer');
    expect(cfg.eos_token).toBe('<|im_end|>');
    expect(cfg.pad_token).toBe('<|endoftext|>');
    expect(cfg.bos_token).toBeNull();
    expect(Object.keys(cfg.added_tokens_decoder).length).toBe(22);
    expect(cfg.added_tokens_decoder['151645']!.content).toBe('<|im_end|>');
    const template = cfg.chat_template as string;
    expect(template).toContain("'<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n'");
    expect(template).toContain('You are Qwen, created by Alibaba Cloud. You are a helpful assistant.');
    expect(template).toContain("{{- '<|im_start|>assistant\\n' }}");
  });
});

describe('determinism', () => {
  it('gives identical bytes for the same seed and different weights for another seed', async () => {
    const dirB = join(work, 'b');
    const dirC = join(work, 'c');
    const summary = await makeTinyCheckpoint(dirB, { seed: 7 });
    await makeTinyCheckpoint(dirC, { seed: 8 });
    const a = hashes(dirA);
    const b = hashes(dirB);
    const c = hashes(dirC);
    expect(b).toEqual(a);
    for (const f of Object.keys(a)) {
      if (f.endsWith('.safetensors')) expect(c[f], f).not.toBe(a[f]);
      else if (!f.endsWith('model.safetensors.index.json')) expect(c[f], f).toBe(a[f]);
    }
    // "A few seconds" on an idle machine; this bound only catches a gross regression on a busy one.
    expect(summary.elapsedMs).toBeLessThan(60_000);
  });

  it('refuses a folder that is not empty and leaves no partial folder when cancelled', async () => {
    await expect(makeTinyCheckpoint(dirA)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const controller = new AbortController();
    const target = join(work, 'cancelled');
    const run = makeTinyCheckpoint(target, { signal: controller.signal, onProgress: (e) => e.done >= 3 && controller.abort() });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(work).filter((n) => n.includes('cancelled'))).toEqual([]);
  });
});
