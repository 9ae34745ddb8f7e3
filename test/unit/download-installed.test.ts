// What is on disk after pulls: a cache filled by another tool is reused, installed models resolve
// without the hub, `rm` of one snapshot frees only blobs no other snapshot uses; and the transfer
// honours the proxy variables and the hub's 401-for-missing-repo answer.
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApolloError } from '../../electron/shared/errors.js';
import { repoCachePaths } from '../../electron/host/download/hf-cache-layout.js';
import { listInstalledModels, removeModel, resolveInstalledModel } from '../../electron/host/download/installed-models.js';
import { loadCatalog } from '../../electron/host/download/model-catalog.js';
import { pullModel } from '../../electron/host/download/model-pull.js';
import { apolloLikeRepo, fakeBytes, startFakeHub, type FakeHubServer, type FakeRepo } from '../helpers/fake-hub-server.js';
import { makeTempDir } from '../helpers/paths.js';

const catalog = loadCatalog();
const fastRetry = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
let hub: FakeHubServer;
const v1 = apolloLikeRepo('someone/apollo-finetune', 11);
// v2 changes one shard and keeps every other file: their blobs are shared between the snapshots.
const v2: FakeRepo = { ...v1, commit: 'b'.repeat(40), files: v1.files.map((f, i) => (i === 3 ? { ...f, content: fakeBytes(f.content.length, 99) } : f)) };

beforeAll(async () => {
  hub = await startFakeHub([v1]);
});
afterAll(async () => {
  await hub.stop();
});

const envFor = (cache: string, extra: NodeJS.ProcessEnv = {}) => ({ HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: cache, HF_TOKEN_PATH: join(cache, 'none'), APOLLO_CACHE_DIR: join(cache, 'apollo'), NO_PROXY: '127.0.0.1', ...extra });

describe('installed models', () => {
  it('rm of one snapshot frees only the blobs the other snapshot does not use', async () => {
    const cache = makeTempDir('dl-rm');
    const env = envFor(cache);
    await pullModel({ repos: [v1.id], revision: 'main', env, policy: fastRetry });
    hub.removeRepo(v1.id);
    hub.addRepo(v2);
    try {
      await pullModel({ repos: [v1.id], revision: 'main', env, policy: fastRetry });
    } finally {
      hub.removeRepo(v2.id);
      hub.addRepo(v1);
    }
    const listing = await listInstalledModels(catalog, env);
    // Listed in commit order.
    expect(listing.models.map((m) => [m.commit, m.refs, m.verified])).toEqual(
      [
        [v1.commit, [], true],
        [v2.commit, ['main'], true],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const paths = repoCachePaths(cache, v1.id);
    expect(readdirSync(paths.blobsDir)).toHaveLength(v1.files.length + 1);
    const [removed] = await removeModel(catalog, v1.id, { env, commit: v1.commit });
    expect(removed!.removedBlobs).toBe(1);
    expect(removed!.freedBytes).toBe(v1.files[3]!.content.length);
    expect(removed!.keptBlobs).toBe(v1.files.length);
    expect((await listInstalledModels(catalog, env)).models.map((m) => m.commit)).toEqual([v2.commit]);
    const resolved = await resolveInstalledModel(catalog, v1.id, env);
    expect(resolved).toMatchObject({ repoId: v1.id, commit: v2.commit, source: 'cache' });
    await removeModel(catalog, v1.id, { env });
    expect(existsSync(paths.repoDir)).toBe(false);
    await expect(resolveInstalledModel(catalog, v1.id, env)).rejects.toMatchObject({ code: 'MODEL_NOT_INSTALLED' });
  });

  it('reuses a cache another tool filled (blobs and links, no Apollo manifest) without downloading', async () => {
    const cache = makeTempDir('dl-python');
    const paths = repoCachePaths(cache, v1.id);
    // What huggingface_hub's snapshot_download leaves: blobs named by etag, relative links, refs/main.
    const { createHash } = await import('node:crypto');
    for (const f of v1.files) {
      const etag = f.lfs ? createHash('sha256').update(f.content).digest('hex') : createHash('sha1').update(`blob ${f.content.length}\0`).update(f.content).digest('hex');
      mkdirSync(paths.blobsDir, { recursive: true });
      writeFileSync(join(paths.blobsDir, etag), f.content);
      const link = join(paths.snapshotsDir, v1.commit, f.path);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(join('../'.repeat(f.path.split('/').length + 1), 'blobs', etag), link);
    }
    mkdirSync(paths.refsDir, { recursive: true });
    writeFileSync(join(paths.refsDir, 'main'), v1.commit);
    const before = await listInstalledModels(catalog, envFor(cache));
    expect(before.models).toEqual([]); // not a catalog mirror and not pulled by Apollo yet
    hub.requests.length = 0;
    const result = await pullModel({ repos: [v1.id], revision: 'main', env: envFor(cache), policy: fastRetry });
    expect(result.downloadedBytes).toBe(0);
    expect(hub.requests.filter((r) => r.method === 'GET' && r.url.includes('/resolve/'))).toEqual([]);
    expect((await listInstalledModels(catalog, envFor(cache))).models[0]).toMatchObject({ repoId: v1.id, verified: true, fileCount: v1.files.length });
  });

  it('resolves a local checkpoint folder without the cache', async () => {
    const dir = makeTempDir('dl-local');
    await expect(resolveInstalledModel(catalog, dir)).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
    writeFileSync(join(dir, 'config.json'), '{}');
    expect(await resolveInstalledModel(catalog, dir)).toEqual({ repoId: undefined, commit: undefined, dir, source: 'local-folder' });
  });
});

describe('hub behaviour and proxies', () => {
  it('treats the hub 401 RepoNotFound for a missing repo as not found and moves to the next mirror', async () => {
    hub.faults = { missingRepoAs401: true };
    try {
      const result = await pullModel({ repos: ['Apollo-LMMs/Apollo-3B-t32', v1.id], revision: 'main', env: envFor(makeTempDir('dl-401')), policy: fastRetry });
      expect(result.mirrors[0]).toEqual({ repoId: 'Apollo-LMMs/Apollo-3B-t32', outcome: 'not-found' });
    } finally {
      hub.faults = {};
    }
  });

  it('goes through HTTP_PROXY (CONNECT) unless NO_PROXY matches', async () => {
    const tunnels: string[] = [];
    const proxy: Server = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, clientSocket, head) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(clientSocket);
        clientSocket.pipe(upstream);
      });
      upstream.on('error', () => clientSocket.destroy());
      clientSocket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const viaProxy = await pullModel({ repos: [v1.id], revision: 'main', env: envFor(makeTempDir('dl-proxy'), { HTTP_PROXY: proxyUrl, NO_PROXY: '' }), policy: fastRetry });
      expect(viaProxy.verified).toBe(true);
      const hubHost = new URL(hub.hubUrl).host;
      const cdnHost = new URL(hub.cdnUrl).host;
      expect(new Set(tunnels)).toEqual(new Set([hubHost, cdnHost]));
      tunnels.length = 0;
      await pullModel({ repos: [v1.id], revision: 'main', env: envFor(makeTempDir('dl-noproxy'), { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' }), policy: fastRetry });
      expect(tunnels).toEqual([]);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('a 401 from a gated mirror with a wrong token names the token', async () => {
    const gated = { ...apolloLikeRepo('gated/one', 5), gated: true };
    hub.addRepo(gated);
    const error = (await pullModel({ repos: [gated.id], revision: 'main', env: envFor(makeTempDir('dl-badtoken'), { HF_TOKEN: 'hf_wrong' }), policy: fastRetry }).catch((e: unknown) => e)) as ApolloError;
    expect(error.code).toBe('HUB_AUTH_REQUIRED');
    expect(error.message).toMatch(/refused the token in HF_TOKEN/);
  });
});
