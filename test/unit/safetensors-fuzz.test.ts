// Mutates real safetensors headers thousands of times: every case must end in a typed error
// (CHECKPOINT_INVALID) or in a read that returns exactly the bytes the header points at — never a
// crash, a hang or an allocation beyond the file's size.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import { openSafetensors, writeSafetensors, type TensorToWrite } from '../../electron/engine/model/safetensors.js';
import { connectorTensors } from '../../electron/engine/model/apollo-tensor-manifest.js';
import { openCheckpointFolder } from '../../electron/engine/model/safetensors-checkpoint.js';
import { tinyModelShapes } from '../../electron/engine/model/tiny-checkpoint.js';
import { makeTempDir } from '../helpers/paths.js';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dir = makeTempDir('st-fuzz');

/** A header with the real naming and dtypes of a Qwen2 shard and a tower file. */
async function seedFile(): Promise<Buffer> {
  const r = rng(3);
  const t = (name: string, dtype: 'BF16' | 'F16' | 'F32', shape: number[]): TensorToWrite => {
    const bytes = shape.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : 2);
    const data = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) data[i] = Math.floor(r() * 256);
    return { name, dtype, shape, data };
  };
  const tensors = [
    t('model.embed_tokens.weight', 'BF16', [16, 8]),
    t('model.layers.0.self_attn.q_proj.weight', 'BF16', [8, 8]),
    t('model.layers.0.self_attn.q_proj.bias', 'BF16', [8]),
    t('model.layers.0.self_attn.k_proj.weight', 'BF16', [4, 8]),
    t('model.layers.0.mlp.down_proj.weight', 'BF16', [8, 12]),
    t('model.layers.0.input_layernorm.weight', 'F32', [8]),
    t('vision_model.embeddings.patch_embedding.weight', 'F16', [4, 3, 2, 2]),
    t('blocks.0.ls1.gamma', 'F32', [8]),
    t('cls_token', 'BF16', [1, 1, 8]),
    t('empty', 'F32', [0, 8]),
  ];
  const p = join(dir, 'seed.safetensors');
  await writeSafetensors(p, tensors, { format: 'pt' });
  return readFileSync(p);
}

type Mutator = (b: Buffer, r: () => number) => Buffer;

function headerOf(b: Buffer): { n: number; json: Record<string, unknown> } {
  const n = Number(b.readBigUInt64LE(0));
  return { n, json: JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown> };
}

function withHeader(b: Buffer, text: string, r: () => number): Buffer {
  const { n } = headerOf(b);
  const json = Buffer.from(text, 'utf8');
  const prefix = Buffer.alloc(8);
  // Mostly a consistent length; sometimes the old one, to mix both failure paths.
  prefix.writeBigUInt64LE(BigInt(r() < 0.85 ? json.length : n));
  return Buffer.concat([prefix, json, b.subarray(8 + n)]);
}

const weird = (r: () => number): unknown => {
  const choices = [-1, 0, 1, 2 ** 53, 2 ** 53 + 2, 1e300, 0.5, -0, '4', null, [], {}, true, 2 ** 31, 2 ** 32 + 1, Math.floor(r() * 4096)];
  return choices[Math.floor(r() * choices.length)];
};

const mutators: Array<[string, Mutator]> = [
  [
    'bit flips',
    (b, r) => {
      const c = Buffer.from(b);
      const { n } = headerOf(b);
      const flips = 1 + Math.floor(r() * 6);
      for (let i = 0; i < flips; i++) {
        const at = Math.floor(r() * (8 + n));
        c[at]! ^= 1 << Math.floor(r() * 8);
      }
      return c;
    },
  ],
  ['truncation', (b, r) => b.subarray(0, Math.floor(r() * b.length))],
  [
    'length field',
    (b, r) => {
      const c = Buffer.from(b);
      const { n } = headerOf(b);
      const values = [0n, 1n, 2n, BigInt(n - 1), BigInt(n + 1), BigInt(n + 8), BigInt(b.length), BigInt(b.length - 8), 2n ** 63n, 2n ** 64n - 1n, BigInt(100 * 1024 * 1024 + 1), BigInt(Math.floor(r() * 2 ** 40))];
      c.writeBigUInt64LE(values[Math.floor(r() * values.length)]!);
      return c;
    },
  ],
  [
    'json field edits',
    (b, r) => {
      const { json } = headerOf(b);
      const names = Object.keys(json).filter((k) => k !== '__metadata__');
      const name = names[Math.floor(r() * names.length)]!;
      const entry = json[name] as Record<string, unknown>;
      const kind = Math.floor(r() * 9);
      if (kind === 0) (entry.data_offsets as unknown[])[Math.floor(r() * 2)] = weird(r);
      else if (kind === 1) (entry.shape as unknown[])[Math.floor(r() * Math.max(1, (entry.shape as unknown[]).length))] = weird(r);
      else if (kind === 2) entry.dtype = ['F32', 'F16', 'BF16', 'I64', 'U8', 'F64', 'bf16', 'Q4', 7][Math.floor(r() * 9)];
      else if (kind === 3) delete entry[['dtype', 'shape', 'data_offsets'][Math.floor(r() * 3)]!];
      else if (kind === 4) entry.extra = weird(r);
      else if (kind === 5) json[name] = weird(r);
      else if (kind === 6) json.__metadata__ = r() < 0.5 ? { a: weird(r) } : weird(r);
      else if (kind === 7) {
        const other = json[names[Math.floor(r() * names.length)]!] as Record<string, unknown>;
        [entry.data_offsets, other.data_offsets] = [other.data_offsets, entry.data_offsets];
      } else entry.shape = (entry.shape as number[]).slice().reverse().concat(r() < 0.5 ? [1] : []);
      return withHeader(b, JSON.stringify(json), r);
    },
  ],
  [
    'json text edits',
    (b, r) => {
      const { n } = headerOf(b);
      let text = b.subarray(8, 8 + n).toString('utf8');
      const kind = Math.floor(r() * 5);
      const at = Math.floor(r() * text.length);
      if (kind === 0) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 8));
      else if (kind === 1) text = text.slice(0, at) + '{}[]",:0-e.\\u'[Math.floor(r() * 14)] + text.slice(at);
      else if (kind === 2) {
        // duplicate one tensor entry textually (JSON.parse would silently keep the last)
        const m = /"[^"]+":\{"dtype"[^}]*\}/.exec(text.slice(at)) ?? /"[^"]+":\{"dtype"[^}]*\}/.exec(text);
        if (m !== null) text = text.replace('{', `{${m[0]},`);
      } else if (kind === 3) text = '['.repeat(Math.floor(r() * 100000)) + text;
      else text = text.replace(/\d+/g, (d) => (r() < 0.1 ? String(Number(d) + Math.floor(r() * 5) - 2) : d));
      return withHeader(b, text, r);
    },
  ],
];

async function fuzz(seed: Buffer, cases: number, rngSeed: number): Promise<void> {
  const r = rng(rngSeed);
  const path = join(dir, `case-${rngSeed}.safetensors`);
  const outcomes: Record<string, { ok: number; invalid: number }> = {};
  const rssBefore = process.memoryUsage().rss;
  let slowest = 0;
  for (let i = 0; i < cases; i++) {
    const [kind, mutate] = mutators[i % mutators.length]!;
    const bytes = mutate(seed, r);
    writeFileSync(path, bytes);
    const start = performance.now();
    const tally = (outcomes[kind] ??= { ok: 0, invalid: 0 });
    try {
      const file = await openSafetensors(path);
      try {
        // An independent look at the same header decides which bytes each tensor must return.
        const n = Number(bytes.readBigUInt64LE(0));
        const json = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
        for (const name of file.names()) {
          const [begin, end] = json[name]!.data_offsets;
          const raw = await file.readRaw(name);
          expect(Buffer.from(raw).equals(bytes.subarray(8 + n + begin, 8 + n + end)), `case ${i} (${kind}) tensor ${name}`).toBe(true);
          expect(raw.byteLength).toBeLessThanOrEqual(bytes.length);
          const info = file.info(name);
          if (info.dtype === 'F32' || info.dtype === 'F16' || info.dtype === 'BF16') expect((await file.readFloat32(name)).length).toBe(info.shape.reduce((a, b) => a * b, 1));
        }
      } finally {
        await file.close();
      }
      tally.ok++;
    } catch (error) {
      if (!(error instanceof ApolloError) || error.code !== 'CHECKPOINT_INVALID') {
        throw new Error(`case ${i} (${kind}) ended in an untyped error: ${String(error)}`, { cause: error });
      }
      expect(error.message).toContain(path);
      tally.invalid++;
    }
    slowest = Math.max(slowest, performance.now() - start);
  }
  // Every mutator produced failures, and the gentle ones also produced valid reads.
  for (const [kind] of mutators) expect(outcomes[kind]!.invalid, kind).toBeGreaterThan(0);
  expect(outcomes['bit flips']!.ok + outcomes['json text edits']!.ok + outcomes['json field edits']!.ok).toBeGreaterThan(0);
  expect(slowest).toBeLessThan(2000);
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
}

describe('safetensors header fuzzing', () => {
  it('ends every mutated file in CHECKPOINT_INVALID or an exact read (3000 cases, mixed names and dtypes)', async () => {
    await fuzz(await seedFile(), 3000, 20241215);
  });

  it('does the same on the header of a connector file with the real tensor names (1500 cases)', async () => {
    const specs = connectorTensors(tinyModelShapes().connector);
    const p = join(dir, 'connector.safetensors');
    await writeSafetensors(
      p,
      specs.map((t) => ({ name: t.name, dtype: 'BF16' as const, shape: t.shape, data: new Uint16Array(t.shape.reduce((a, b) => a * b, 1)).fill(0x3f80) })),
      { format: 'pt' },
    );
    await fuzz(readFileSync(p), 1500, 77);
  });
});

describe('sharded index fuzzing', () => {
  it('ends every mutated model.safetensors.index.json in a typed error or a consistent folder (400 cases)', async () => {
    const folder = join(dir, 'sharded');
    mkdirSync(folder, { recursive: true });
    await writeSafetensors(join(folder, 'model-00001-of-00002.safetensors'), [
      { name: 'a', dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0x4000]) },
      { name: 'b', dtype: 'F32', shape: [1], data: new Float32Array([3]) },
    ]);
    await writeSafetensors(join(folder, 'model-00002-of-00002.safetensors'), [{ name: 'c', dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) }]);
    const index = JSON.stringify({ metadata: { total_size: 14 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } });
    const r = rng(5);
    let ok = 0;
    for (let i = 0; i < 400; i++) {
      const chars = [...index];
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * chars.length);
        const kind = Math.floor(r() * 3);
        if (kind === 0) chars.splice(at, 1);
        else if (kind === 1) chars.splice(at, 0, '{}[]",:0-1./\\ab'[Math.floor(r() * 16)]!);
        else chars[at] = String.fromCharCode(chars[at]!.charCodeAt(0) ^ (1 << Math.floor(r() * 7)));
      }
      writeFileSync(join(folder, 'model.safetensors.index.json'), chars.join(''));
      try {
        const src = await openCheckpointFolder(folder);
        for (const name of src.names()) expect((await src.readRaw(name)).byteLength).toBe(src.info(name).byteLength);
        expect(src.names().sort()).toEqual(['a', 'b', 'c']);
        await src.close();
        ok++;
      } catch (error) {
        if (!(error instanceof ApolloError) || !['CHECKPOINT_INVALID', 'FILE_NOT_FOUND', 'TENSOR_NOT_FOUND', 'FILE_UNREADABLE'].includes(error.code)) {
          throw new Error(`index case ${i} ended in an untyped error: ${String(error)}`, { cause: error });
        }
      }
    }
    expect(ok).toBeGreaterThan(0);
  });
});
