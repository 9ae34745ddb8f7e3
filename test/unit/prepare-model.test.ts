import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import type { ProgressEvent } from '../../electron/shared/progress.js';
import { configFilesArtifact } from '../../electron/engine/prepare/config-files-artifact.js';
import type { PrepareArtifact } from '../../electron/engine/prepare/prepare-artifact.js';
import { apolloCacheDir } from '../../electron/common/platform/prepare-cache-dir.js';
import { MANIFEST_FILE, sha256File } from '../../electron/engine/prepare/prepare-manifest.js';
import { prepareModel, readPreparedManifest, resolvePreparedModel } from '../../electron/engine/prepare/prepare-model.js';
import { fingerprintSource } from '../../electron/engine/prepare/source-fingerprint.js';
import { makeTempDir } from '../helpers/paths.js';

const temps: string[] = [];
function temp(prefix: string): string {
  const d = makeTempDir(prefix);
  temps.push(d);
  return d;
}
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A checkpoint-shaped folder: configs, a tokenizer, and a safetensors file with a real header. */
function makeSource(): string {
  const dir = temp('prep-src');
  mkdirSync(join(dir, 'llm'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'apollo' }));
  writeFileSync(join(dir, 'llm', 'config.json'), JSON.stringify({ hidden_size: 8 }));
  writeFileSync(join(dir, 'llm', 'tokenizer.json'), JSON.stringify({ model: { vocab: { a: 0 } } }));
  writeFileSync(join(dir, 'llm', 'model.safetensors'), safetensorsBytes(new Float32Array([1, 2, 3, 4])));
  mkdirSync(join(dir, '.cache'));
  writeFileSync(join(dir, '.cache', 'ignored'), 'x');
  return dir;
}

function safetensorsBytes(values: Float32Array): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [values.length], data_offsets: [0, values.byteLength] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.from(values.buffer)]);
}

/** A real (if simple) artifact: derives a file from the source's safetensors bytes. */
function derivedArtifact(name: string, version = '1', onBuild?: () => void): PrepareArtifact {
  return {
    name,
    version,
    async build(ctx) {
      onBuild?.();
      const src = readFileSync(join(ctx.sourceDir, 'llm', 'model.safetensors'));
      writeFileSync(join(ctx.outDir, 'weights.bin'), Buffer.concat([Buffer.from(`${name}:${ctx.precision}:${ctx.int4.blockSize}:`), src]));
      ctx.progress(1, 1, 'tensors', 'w');
      return { entry: 'weights.bin', info: { tensors: 1 } };
    },
  };
}

describe('cache folder', () => {
  it.each([
    [{ APOLLO_CACHE_DIR: '/x/c' }, 'linux', '/x/c'],
    [{}, 'linux', '/home/u/.cache/apollo-desktop'],
    [{ XDG_CACHE_HOME: '/xdg' }, 'linux', '/xdg/apollo-desktop'],
    [{}, 'darwin', '/home/u/Library/Caches/apollo-desktop'],
  ] as const)('%o on %s -> %s', (env, platform, expected) => {
    expect(apolloCacheDir(env as NodeJS.ProcessEnv, platform, '/home/u')).toBe(expected);
  });
});

describe('source fingerprint', () => {
  it('is stable, ignores hidden folders, and changes with content, size, header or mtime', async () => {
    const dir = makeSource();
    const a = await fingerprintSource(dir);
    expect(a.files.map((f) => f.path)).toEqual(['config.json', 'llm/config.json', 'llm/model.safetensors', 'llm/tokenizer.json']);
    expect((await fingerprintSource(dir)).digest).toBe(a.digest);
    writeFileSync(join(dir, '.cache', 'ignored'), 'changed');
    expect((await fingerprintSource(dir)).digest).toBe(a.digest);
    const cfg = join(dir, 'llm', 'config.json');
    const before = statSync(cfg);
    writeFileSync(cfg, JSON.stringify({ hidden_size: 9 })); // same size, new content
    utimesSync(cfg, before.atime, before.mtime);
    const b = await fingerprintSource(dir);
    expect(b.digest).not.toBe(a.digest);
    const st = join(dir, 'llm', 'model.safetensors');
    const t = statSync(st);
    utimesSync(st, t.atime, new Date(t.mtimeMs + 5000));
    expect((await fingerprintSource(dir)).digest).not.toBe(b.digest);
  });

  it('fails with a typed error for a missing folder', async () => {
    await expect(fingerprintSource('/nonexistent/apollo')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('prepareModel', () => {
  it('builds a folder with a verified manifest, reports progress, and reuses it', async () => {
    const src = makeSource();
    const cacheDir = temp('prep-cache');
    const events: ProgressEvent[] = [];
    const artifacts = [configFilesArtifact, derivedArtifact('decoder')];
    const r = await prepareModel(src, { precision: 'int4', blockSize: 128, cacheDir, artifacts, onProgress: (e) => events.push(e) });
    expect(r.reused).toBe(false);
    expect(r.preparedDir.startsWith(cacheDir)).toBe(true);
    expect(r.preparedDir).toMatch(/-int4-b128/);
    const m = r.manifest;
    expect(m.options).toEqual({ precision: 'int4', int4: { blockSize: 128, symmetric: expect.any(Boolean), accuracyLevel: 4 } });
    expect(m.builderVersion).toBe('prepare-1+config-1+decoder-1');
    expect(m.artifacts.decoder!.entry).toBe('decoder/weights.bin');
    expect(m.artifacts.config!.files.map((f) => f.path)).toEqual(['config/config.json', 'config/llm/config.json', 'config/llm/tokenizer.json']);
    for (const a of Object.values(m.artifacts)) for (const f of a.files) expect(await sha256File(join(r.preparedDir, f.path))).toBe(f.sha256);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('.'))).toEqual([]); // no partial, lock or aside folder left
    expect(events.map((e) => e.stage)).toEqual(expect.arrayContaining(['fingerprint', 'prepare:config', 'prepare:decoder', 'hash:decoder']));
    expect(await readPreparedManifest(r.preparedDir, true)).toEqual(m);

    // A stale folder a killed publish moved aside (and never deleted) is freed by a reuse too.
    const aside = join(cacheDir, `.${basename(r.preparedDir)}.old-0badf00d`);
    mkdirSync(join(aside, 'decoder'), { recursive: true });
    writeFileSync(join(aside, 'decoder', 'weights.bin'), 'stale');
    const again = await prepareModel(src, { precision: 'int4', blockSize: 128, cacheDir, artifacts });
    expect(again.reused).toBe(true);
    expect(again.preparedDir).toBe(r.preparedDir);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('.'))).toEqual([]);
    // Other options get their own folder.
    const fp32 = await prepareModel(src, { precision: 'fp32', cacheDir, artifacts });
    expect(fp32.preparedDir).not.toBe(r.preparedDir);
    expect(fp32.manifest.options).toEqual({ precision: 'fp32' });
  });

  it('rebuilds when the source or a builder version changes', async () => {
    const src = makeSource();
    const cacheDir = temp('prep-cache');
    let builds = 0;
    const first = await prepareModel(src, { precision: 'fp16', cacheDir, artifacts: [derivedArtifact('decoder', '1', () => builds++)] });
    const bumped = await prepareModel(src, { precision: 'fp16', cacheDir, artifacts: [derivedArtifact('decoder', '2', () => builds++)] });
    expect(bumped.reused).toBe(false);
    expect(builds).toBe(2);
    expect(bumped.preparedDir).toBe(first.preparedDir); // same source and options: replaced in place
    expect(bumped.manifest.builderVersion).toBe('prepare-1+decoder-2');
    writeFileSync(join(src, 'llm', 'model.safetensors'), safetensorsBytes(new Float32Array([5, 6, 7, 8, 9])));
    const changed = await prepareModel(src, { precision: 'fp16', cacheDir, artifacts: [derivedArtifact('decoder', '2', () => builds++)] });
    expect(changed.reused).toBe(false);
    expect(changed.preparedDir).not.toBe(first.preparedDir);
    expect(changed.manifest.source.fingerprint).not.toBe(first.manifest.source.fingerprint);
  });

  it('resumes after an interruption, keeping finished artifacts, and never publishes a partial folder', async () => {
    const src = makeSource();
    const cacheDir = temp('prep-cache');
    const controller = new AbortController();
    const artifacts = [derivedArtifact('first'), { ...derivedArtifact('second'), build: async () => { controller.abort(new ApolloError('CANCELLED')); throw new ApolloError('CANCELLED'); } }];
    await expect(prepareModel(src, { precision: 'fp32', cacheDir, artifacts, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    const visible = readdirSync(cacheDir).filter((n) => !n.startsWith('.'));
    expect(visible).toEqual([]);
    let secondBuilds = 0;
    const r = await prepareModel(src, { precision: 'fp32', cacheDir, artifacts: [derivedArtifact('first'), derivedArtifact('second', '1', () => secondBuilds++)] });
    expect(r.resumedArtifacts).toEqual(['first']);
    expect(secondBuilds).toBe(1);
    expect(existsSync(join(r.preparedDir, MANIFEST_FILE))).toBe(true);
  });

  it('does not reuse a finished artifact whose files were damaged while interrupted', async () => {
    const src = makeSource();
    const cacheDir = temp('prep-cache');
    const artifacts = [derivedArtifact('first'), { ...derivedArtifact('second'), build: async () => Promise.reject(new ApolloError('CANCELLED')) }];
    await expect(prepareModel(src, { precision: 'fp32', cacheDir, artifacts })).rejects.toMatchObject({ code: 'CANCELLED' });
    const partial = readdirSync(cacheDir).find((n) => n.endsWith('.partial'))!;
    writeFileSync(join(cacheDir, partial, 'first', 'weights.bin'), 'torn');
    const r = await prepareModel(src, { precision: 'fp32', cacheDir, artifacts: [derivedArtifact('first'), derivedArtifact('second')] });
    expect(r.resumedArtifacts).toEqual([]);
    expect(await readPreparedManifest(r.preparedDir, true)).toBeTruthy();
  });

  it('refuses to run beside a live preparer, and takes over a dead one’s lock', async () => {
    const src = makeSource();
    const cacheDir = temp('prep-cache');
    const fp = await fingerprintSource(src);
    const name = `${fp.digest.slice(0, 16)}-fp32`;
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, `.${name}.lock`), String(process.ppid)); // a live process
    await expect(prepareModel(src, { precision: 'fp32', cacheDir, artifacts: [derivedArtifact('a')] })).rejects.toMatchObject({ code: 'PREPARE_BUSY' });
    writeFileSync(join(cacheDir, `.${name}.lock`), '2147483646'); // no such process
    const r = await prepareModel(src, { precision: 'fp32', cacheDir, artifacts: [derivedArtifact('a')] });
    expect(r.reused).toBe(false);
  });

  it('resolvePreparedModel accepts a prepared folder or a checkpoint, and detects damage', async () => {
    const src = makeSource();
    const cacheDir = temp('prep-cache');
    const artifacts = [derivedArtifact('decoder')];
    await expect(resolvePreparedModel(src, { precision: 'fp32', cacheDir, artifacts, prepareIfMissing: false })).rejects.toMatchObject({ code: 'PREPARED_MODEL_INVALID' });
    const r = await resolvePreparedModel(src, { precision: 'fp32', cacheDir, artifacts });
    expect(r.reused).toBe(false);
    const direct = await resolvePreparedModel(r.preparedDir, { precision: 'fp32' });
    expect(direct.manifest).toEqual(r.manifest);
    expect((await resolvePreparedModel(src, { precision: 'fp32', cacheDir, artifacts, prepareIfMissing: false })).reused).toBe(true);
    writeFileSync(join(r.preparedDir, 'decoder', 'weights.bin'), 'short');
    await expect(resolvePreparedModel(r.preparedDir, { precision: 'fp32' })).rejects.toMatchObject({ code: 'PREPARED_MODEL_INVALID' });
  });
});
