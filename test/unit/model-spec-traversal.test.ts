// Model specs and revisions are checked against the Hub's grammar before any use and never joined
// raw into a path. The attack: a mirror (HF_ENDPOINT) that serves a branch named
// `../../../escaped` made `apollo-chat pull 'org/name@../../../escaped'` write the commit id into a
// file outside the cache (the revision was joined into refs/). Each entry point (CLI pull and rm,
// web mode's pull, select, delete and settings) is tried with such specs against that mirror; each
// must refuse with a typed error and a sentence, ask the mirror nothing and write nothing outside
// its folder.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRef, refFilePath, repoCachePaths, writeRef } from '../../electron/host/download/hf-cache-layout.js';
import { loadCatalog, resolveModelSource } from '../../electron/host/download/model-catalog.js';
import { isHubRevision, isModelSpec, isRepoId, parseModelSpec } from '../../electron/shared/model-spec.js';
import { apolloLikeRepo, startFakeHub, type FakeHubServer } from '../helpers/fake-hub-server.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const TRAVERSALS = ['../../../escaped', '..', 'main/../../../../escaped', '/etc/passwd', 'a\\..\\..\\escaped', '.hidden', 'refs/../../x', 'x.lock', 'bad name', 'main\0', 'a//b', 'trailing/'];

describe('the model spec grammar', () => {
  it('accepts repository ids, catalog names and revisions as the Hub names them', () => {
    for (const id of ['FreedomIntelligence/Apollo-7B', 'a/b', 'org_1/name.v2', 'GoodiesHere/Apollo-LMMs-Apollo-3B-t32']) expect(isRepoId(id), id).toBe(true);
    for (const rev of ['main', 'v1.0', 'refs/pr/1', 'refs/convert/parquet', 'release_2024-01', 'a'.repeat(40), '0123456789abcdef0123456789abcdef01234567', 'v1.0+cu118']) expect(isHubRevision(rev), rev).toBe(true);
    expect(parseModelSpec('apollo-3b')).toEqual({ name: 'apollo-3b' });
    expect(parseModelSpec('org/name@refs/pr/1')).toEqual({ name: 'org/name', revision: 'refs/pr/1' });
  });

  it('refuses ids and revisions that could leave their folder or collide', () => {
    for (const id of ['../x', 'org/..', 'org/.', 'org/name/../../x', '.org/name', 'org/name.', '-org/name', 'org/-name', 'a--b/c', 'org/na..me', 'org\\name', '/org/name', 'org/name ', 'o/' + 'n'.repeat(97), 'org/ná']) {
      expect(isRepoId(id), id).toBe(false);
      expect(isModelSpec(id), id).toBe(false);
    }
    for (const rev of [...TRAVERSALS, '', 'x'.repeat(256), 'a/b/c/d/e/f/g/h/i', 'main.', '@{1}', 'na~me', 'na:me', 'na^me', 'na?me', 'na*me', 'na[me']) {
      expect(isHubRevision(rev), rev).toBe(false);
      expect(isModelSpec(`org/name@${rev}`), rev).toBe(false);
      expect(isModelSpec(`apollo-3b@${rev}`), rev).toBe(false);
    }
  });

  it('resolveModelSource refuses them with a typed error and a sentence', () => {
    const catalog = loadCatalog();
    for (const spec of ['org/name@../../../escaped', 'apollo-3b@../../x', 'org/name@']) {
      expect(() => resolveModelSource(catalog, spec), spec).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/is not a branch, tag or commit id/) }));
    }
    for (const spec of ['../../x', 'org/name/../../x', 'a--b/c']) {
      expect(() => resolveModelSource(catalog, spec), spec).toThrow(expect.objectContaining({ code: 'MODEL_UNKNOWN' }));
    }
  });

  it('the cache layout never joins a revision raw: refs outside the grammar are not read, written or located', async () => {
    const cache = makeTempDir('spec-layout');
    const paths = repoCachePaths(cache, 'org/name');
    for (const rev of TRAVERSALS) {
      expect(refFilePath(paths, rev), rev).toBeUndefined();
      expect(await readRef(paths, rev)).toBeUndefined();
      await expect(writeRef(paths, rev, 'a'.repeat(40))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(readdirSync(cache)).toEqual([]);
    expect(refFilePath(paths, 'refs/pr/1')).toBe(join(paths.refsDir, 'refs', 'pr', '1'));
    expect(() => repoCachePaths(cache, '../x')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('every entry point refuses a traversal spec, against a mirror that would serve it', () => {
  let hub: FakeHubServer;
  let work: string;
  let cache: string;
  const branch = '../../../escaped';
  const repo = { ...apolloLikeRepo('evil-org/evil', 7, 2_000), branch };

  const env = (): NodeJS.ProcessEnv => ({ HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: cache, APOLLO_CACHE_DIR: join(work, 'apollo-cache'), HF_TOKEN_PATH: join(work, 'no-token'), NO_PROXY: '127.0.0.1' });
  /** Every name under `work` other than the folders the app may write in. */
  const strayFiles = () => readdirSync(work, { recursive: true }).map(String).filter((p) => !/^(hf-cache|apollo-cache|data|home)(\/|$)/.test(p));

  beforeAll(async () => {
    work = makeTempDir('spec-traversal');
    // The cache sits three levels down, so `refs/../../../escaped` lands in `work`.
    cache = join(work, 'hf-cache');
    mkdirSync(cache);
    hub = await startFakeHub([repo]);
  });
  afterAll(() => hub.stop());

  it('CLI pull: INVALID_ARGUMENT before any request, nothing written outside the cache', async () => {
    const before = hub.requests.length;
    for (const spec of [`evil-org/evil@${branch}`, 'evil-org/evil@..', 'evil-org/evil@main/../../../../escaped']) {
      const r = await runCli(['pull', spec, '--no-prepare', '--json'], { env: env() });
      expect(r.code, spec).toBe(2);
      expect(JSON.parse(r.stdout).error.code, spec).toBe('INVALID_ARGUMENT');
      expect(r.stderr).toMatch(/error \[INVALID_ARGUMENT\]: .* is not a branch, tag or commit id/);
    }
    const name = await runCli(['pull', 'evil-org/../../escaped', '--no-prepare', '--json'], { env: env() });
    expect(name.code).toBe(2);
    expect(JSON.parse(name.stdout).error.code).toBe('MODEL_UNKNOWN');
    expect(hub.requests.length).toBe(before);
    expect(existsSync(join(work, 'escaped'))).toBe(false);
    expect(strayFiles()).toEqual([]);
  });

  it('CLI rm: INVALID_ARGUMENT for a traversal spec or commit, nothing removed', async () => {
    for (const args of [['rm', `evil-org/evil@${branch}`], ['rm', 'evil-org/evil', '--commit', '../../escaped'], ['rm', 'evil-org/evil@../../../hf-cache']]) {
      const r = await runCli([...args, '--json'], { env: env() });
      expect(r.code, args.join(' ')).toBe(2);
      expect(JSON.parse(r.stdout).error.code).toBe('INVALID_ARGUMENT');
    }
    expect(existsSync(cache)).toBe(true);
  });

  describe('web mode', () => {
    let serve: ServeProcess;
    beforeAll(async () => {
      serve = await startServe(['--data-dir', join(work, 'data')], { ...process.env, ...env(), HOME: join(work, 'home') });
    });
    afterAll(() => void serve?.child.kill('SIGTERM'));

    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${serve.origin}/api/${path}`, { method, headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: r.status, body: (await r.json()) as { error?: { code: string; message: string } } };
    };

    it('pull, select and delete refuse traversal specs and paths with a 400 and a sentence', async () => {
      const before = hub.requests.length;
      const specs = [`evil-org/evil@${branch}`, '../../escaped', '/etc', join(work, 'hf-cache'), 'evil-org/evil@main/../../x'];
      for (const spec of specs) {
        const enc = encodeURIComponent(spec);
        for (const [method, path, body] of [['POST', `models/${enc}/pull`, { precision: 'int4' }], ['POST', `models/${enc}/select`, undefined], ['DELETE', `models/${enc}`, undefined]] as const) {
          const r = await call(method, path, body);
          expect(r.status, `${method} ${path}`).toBe(400);
          expect(r.body.error?.message, `${method} ${path}`).toMatch(/is not a model name/);
        }
      }
      expect(hub.requests.length).toBe(before);
      expect(existsSync(join(work, 'escaped'))).toBe(false);
      expect(strayFiles()).toEqual([]);
    });

    it('settings refuse a path as the model', async () => {
      const r = await call('PUT', 'settings', { model: join(work, 'hf-cache') });
      expect(r.status).toBe(400);
      expect(r.body.error?.code).toBe('INVALID_ARGUMENT');
      expect((await call('GET', 'settings')).body).not.toHaveProperty('model');
    });
  });
});
