// pullModel against a real local HTTP server that behaves like the Hub, with every fault the issue
// lists: dropped connections, wrong bytes, 500s, a taken-down mirror, a gated repo, offline mode,
// pause/resume/cancel, and a full disk (a real 1 MiB tmpfs when the test runs as root).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApolloError } from '../../electron/shared/errors.js';
import { DownloadController } from '../../electron/host/download/download-controller.js';
import type { DownloadProgress } from '../../electron/host/download/download-progress.js';
import { repoCachePaths } from '../../electron/host/download/hf-cache-layout.js';
import { isSkippedFile, loadCatalog } from '../../electron/host/download/model-catalog.js';
import { pullModel, type PullOptions } from '../../electron/host/download/model-pull.js';
import { apolloLikeRepo, type FakeHubServer, startFakeHub, type FakeRepo } from '../helpers/fake-hub-server.js';
import { makeTempDir } from '../helpers/paths.js';

const fastRetry = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

let hub: FakeHubServer;
const repoA = apolloLikeRepo('mirror-one/Apollo-3B-t32', 1);
const repoB = apolloLikeRepo('mirror-two/Apollo-3B-t32', 2);
const gated = { ...apolloLikeRepo('gated-org/Apollo-3B-t32', 3), gated: true };

beforeAll(async () => {
  hub = await startFakeHub([repoA, repoB, gated]);
});
afterAll(async () => {
  await hub.stop();
});
afterEach(() => {
  hub.faults = {};
  hub.onRequest = undefined;
  hub.requests.length = 0;
});

function envFor(cache: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // HOME points at the temp dir so no real token file is read; proxies are off for loopback.
  return { HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: cache, HOME: cache, NO_PROXY: '127.0.0.1,localhost', ...extra };
}

function pull(cache: string, repos: string[], extra: Partial<PullOptions> = {}, env: NodeJS.ProcessEnv = {}) {
  return pullModel({ repos, revision: 'main', env: envFor(cache, env), policy: fastRetry, ...extra });
}

/** Every file of the repo is in snapshots/<commit>/ with exactly the served bytes, through a relative symlink to its blob. */
function expectInstalled(cache: string, repo: FakeRepo): void {
  const paths = repoCachePaths(cache, repo.id);
  expect(readFileSync(join(paths.refsDir, 'main'), 'utf8')).toBe(repo.commit);
  for (const f of repo.files) {
    const p = join(paths.snapshotsDir, repo.commit, f.path);
    expect(lstatSync(p).isSymbolicLink()).toBe(true);
    const target = readlinkSync(p);
    expect(target.startsWith('../')).toBe(true);
    expect(resolve(join(p, '..'), target).startsWith(paths.blobsDir)).toBe(true);
    expect(readFileSync(p).equals(f.content)).toBe(true);
  }
  expect(readdirSync(paths.blobsDir).filter((n) => n.endsWith('.incomplete'))).toEqual([]);
}

function gitHashObject(content: Buffer): string {
  return execFileSync('git', ['hash-object', '--stdin'], { input: content }).toString().trim();
}

describe('pullModel against the fake hub', () => {
  it('downloads a repository into the Hugging Face cache layout that other tools read', async () => {
    const cache = makeTempDir('dl-fresh');
    const events: DownloadProgress[] = [];
    const result = await pull(cache, [repoA.id], { onDownloadProgress: (p) => events.push(p), progressIntervalMs: 5 });
    expect(result.commit).toBe(repoA.commit);
    expect(result.verified).toBe(true);
    expect(result.totalBytes).toBe(repoA.files.reduce((n, f) => n + f.content.length, 0));
    expect(result.downloadedBytes).toBe(result.totalBytes);
    expectInstalled(cache, repoA);
    // Blob names: the LFS sha256 for LFS files, the git blob id (checked with git itself) for the rest.
    const paths = repoCachePaths(cache, repoA.id);
    for (const f of repoA.files) {
      const blob = readlinkSync(join(paths.snapshotsDir, repoA.commit, f.path)).split('/').pop();
      if (f.lfs) expect(blob).toMatch(/^[0-9a-f]{64}$/);
      else expect(blob).toBe(gitHashObject(f.content));
    }
    // @huggingface/hub's scanner (the same rules as huggingface_hub's scan_cache_dir) reads it back.
    const scan = await scanCacheDir(cache);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos.map((r) => r.id.name)).toEqual([repoA.id]);
    expect(scan.repos[0]!.revisions[0]!.refs).toEqual(['main']);
    // The token never went anywhere (none was set), LFS bytes came from the CDN, not the hub.
    expect(hub.requests.filter((r) => r.server === 'cdn').length).toBe(repoA.files.filter((f) => f.lfs).length);
    const last = events[events.length - 1]!;
    expect(last.overall.done).toBe(last.overall.total);
    expect(last.files.every((f) => f.state === 'done' && f.done === f.total)).toBe(true);
  });

  it('reuses what is already in the cache: a second pull transfers nothing', async () => {
    const cache = makeTempDir('dl-reuse');
    await pull(cache, [repoA.id]);
    hub.requests.length = 0;
    const again = await pull(cache, [repoA.id]);
    expect(again.downloadedBytes).toBe(0);
    expect(hub.requests.filter((r) => r.method === 'GET' && (r.server === 'cdn' || r.url.includes('/resolve/')))).toEqual([]);
  });

  it('resumes a dropped connection with a Range request from the .incomplete file', async () => {
    const cache = makeTempDir('dl-drop');
    const shard = repoA.files[3]!;
    hub.faults = { dropAfter: [{ path: shard.path, bytes: 100_000, times: 2 }] };
    const messages: string[] = [];
    const result = await pull(cache, [repoA.id], { onMessage: (m) => messages.push(m) });
    expectInstalled(cache, repoA);
    const cdnGets = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET' && r.url.includes(result.files.find((f) => f.path === shard.path)!.etag));
    // Two dropped responses, then the rest. Bytes still buffered when a socket dies may be lost, so
    // a resume offset is at most what the server sent, and at least one resume starts past 0.
    expect(cdnGets).toHaveLength(3);
    expect(cdnGets[0]!.range).toBeUndefined();
    const offsets = cdnGets.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r.range ?? 'bytes=0-')?.[1]));
    expect(offsets.some((o) => o > 0)).toBe(true);
    expect(offsets[0]).toBeLessThanOrEqual(100_000);
    expect(offsets[1]).toBeLessThanOrEqual(offsets[0]! + 100_000);
    expect(messages.some((m) => m.includes(shard.path) && m.includes('retrying'))).toBe(true);
  });

  it('discards wrong bytes (checksum mismatch) and downloads the file again', async () => {
    const cache = makeTempDir('dl-corrupt');
    const shard = repoA.files[4]!;
    const small = repoA.files[2]!; // a non-LFS file, checked by its git blob id
    hub.faults = { corrupt: [{ path: shard.path, times: 1 }, { path: small.path, times: 1 }] };
    const messages: string[] = [];
    await pull(cache, [repoA.id], { onMessage: (m) => messages.push(m) });
    expectInstalled(cache, repoA);
    expect(messages.filter((m) => m.includes('did not match its checksum')).length).toBe(2);
  });

  it('gives up with DOWNLOAD_CORRUPT when the bytes stay wrong, and shows nothing partial in snapshots/', async () => {
    const cache = makeTempDir('dl-corrupt-hard');
    const shard = repoA.files[3]!;
    hub.faults = { corrupt: [{ path: shard.path, times: 10 }] };
    const error = await pull(cache, [repoA.id]).catch((e: unknown) => e);
    expect((error as ApolloError).code).toBe('DOWNLOAD_CORRUPT');
    const paths = repoCachePaths(cache, repoA.id);
    expect(existsSync(join(paths.snapshotsDir, repoA.commit, shard.path))).toBe(false);
    expect(existsSync(join(paths.refsDir, 'main'))).toBe(false);
  });

  it('retries 500s with backoff, and reports HUB_UNREACHABLE when they do not stop', async () => {
    const cache = makeTempDir('dl-500');
    hub.faults = { serverError: [{ match: '/api/models/', times: 2 }, { match: '/resolve/', times: 2 }, { match: '/repos/', times: 2 }] };
    await pull(cache, [repoA.id]);
    expectInstalled(cache, repoA);
    expect(hub.requests.filter((r) => r.url.startsWith('/api/models/')).length).toBe(3);

    const cache2 = makeTempDir('dl-500-hard');
    hub.faults = { serverError: [{ match: '/repos/', times: 1000 }] };
    const error = await pull(cache2, [repoA.id]).catch((e: unknown) => e);
    expect((error as ApolloError).code).toBe('HUB_UNREACHABLE');
  });

  it('reports a listed file the hub cannot serve as HUB_BAD_RESPONSE, naming the file', async () => {
    hub.faults = { missingOnResolve: ['llm/tokenizer.json'] };
    const error = (await pull(makeTempDir('dl-entry'), [repoA.id]).catch((e: unknown) => e)) as ApolloError;
    expect(error.code).toBe('HUB_BAD_RESPONSE');
    expect(error.message).toContain('HTTP 404 for llm/tokenizer.json');
  });

  it('falls back to the next mirror when one was taken down (404), saying so', async () => {
    const cache = makeTempDir('dl-mirror');
    const messages: string[] = [];
    const result = await pull(cache, ['Apollo-LMMs/Apollo-3B-t32', repoB.id], { onMessage: (m) => messages.push(m) });
    expect(result.repoId).toBe(repoB.id);
    expect(result.mirrors).toEqual([
      { repoId: 'Apollo-LMMs/Apollo-3B-t32', outcome: 'not-found' },
      { repoId: repoB.id, outcome: 'used' },
    ]);
    expect(messages.join('\n')).toContain(`Apollo-LMMs/Apollo-3B-t32 is not on the hub (taken down or renamed); trying the next mirror, ${repoB.id}.`);
    expectInstalled(cache, repoB);

    const error = await pull(makeTempDir('dl-none'), ['gone/one', 'gone/two']).catch((e: unknown) => e);
    expect((error as ApolloError).code).toBe('MODEL_REPO_NOT_FOUND');
  });

  it('needs HF_TOKEN for a gated repo (401), sends it to the hub only, never to the CDN', async () => {
    const cache = makeTempDir('dl-gated');
    const error = await pull(cache, [gated.id]).catch((e: unknown) => e);
    expect((error as ApolloError).code).toBe('HUB_AUTH_REQUIRED');
    hub.requests.length = 0;
    await pull(cache, [gated.id], {}, { HF_TOKEN: hub.token });
    expectInstalled(cache, gated);
    const hubAuth = hub.requests.filter((r) => r.server === 'hub').map((r) => r.authorization);
    expect(hubAuth.every((a) => a === `Bearer ${hub.token}`)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === undefined)).toBe(true);
  });

  it('makes no request at all with HF_HUB_OFFLINE=1', async () => {
    const cache = makeTempDir('dl-offline');
    const error = await pull(cache, [repoA.id], {}, { HF_HUB_OFFLINE: '1' }).catch((e: unknown) => e);
    expect((error as ApolloError).code).toBe('HUB_OFFLINE');
    expect(hub.requests).toEqual([]);
    await pull(cache, [repoA.id]);
    hub.requests.length = 0;
    const offline = await pull(cache, [repoA.id], {}, { HF_HUB_OFFLINE: '1' });
    expect(offline.commit).toBe(repoA.commit);
    expect(offline.mirrors).toEqual([{ repoId: repoA.id, outcome: 'cached' }]);
    expect(hub.requests).toEqual([]);
  });

  it('pauses (no bytes move), resumes with Range, and a cancel keeps the bytes for the next pull', async () => {
    const cache = makeTempDir('dl-pause');
    hub.faults = { throttleBytesPerSecond: 400_000 };
    const controller = new DownloadController();
    const paths = repoCachePaths(cache, repoA.id);
    const incompleteBytes = () =>
      existsSync(paths.blobsDir)
        ? readdirSync(paths.blobsDir)
            .filter((n) => n.endsWith('.incomplete'))
            .reduce((n, name) => n + readFileSync(join(paths.blobsDir, name)).length, 0)
        : 0;
    const running = pull(cache, [repoA.id], { controller, concurrency: 2 });
    while (incompleteBytes() < 50_000) await new Promise((r) => setTimeout(r, 20));
    controller.pause();
    await new Promise((r) => setTimeout(r, 150));
    const atPause = incompleteBytes();
    await new Promise((r) => setTimeout(r, 400));
    expect(incompleteBytes()).toBe(atPause);
    hub.requests.length = 0;
    controller.resume();
    await new Promise((r) => setTimeout(r, 200));
    expect(hub.requests.some((r) => r.server === 'cdn' && r.range !== undefined)).toBe(true);
    controller.cancel();
    const error = await running.catch((e: unknown) => e);
    expect((error as ApolloError).code).toBe('CANCELLED');
    const kept = incompleteBytes();
    expect(kept).toBeGreaterThan(0);
    hub.faults = {};
    hub.requests.length = 0;
    const result = await pull(cache, [repoA.id]);
    expect(result.downloadedBytes).toBeLessThan(result.totalBytes);
    expect(hub.requests.some((r) => r.server === 'cdn' && r.range !== undefined)).toBe(true);
    expectInstalled(cache, repoA);
  });

  it('pins a revision: a commit id goes through /revision/{sha}, and no branch ref is written', async () => {
    const cache = makeTempDir('dl-pinned');
    const result = await pullModel({ repos: [repoA.id], revision: repoA.commit, env: envFor(cache), policy: fastRetry });
    expect(result.commit).toBe(repoA.commit);
    expect(hub.requests.some((r) => r.url.startsWith(`/api/models/${repoA.id}/revision/${repoA.commit}?blobs=true`))).toBe(true);
    expect(existsSync(join(repoCachePaths(cache, repoA.id).refsDir, 'main'))).toBe(false);
    expect(readFileSync(join(result.snapshotDir, 'config.json')).equals(repoA.files[0]!.content)).toBe(true);
  });

  it('works with a stand-in that redirects LFS files to itself and sends 206 without Content-Range', async () => {
    const cache = makeTempDir('dl-samehost');
    const shard = repoA.files[3]!;
    hub.faults = { relativeLfsRedirect: true, omitContentRange: true, dropAfter: [{ path: shard.path, bytes: 100_000, times: 1 }] };
    await pull(cache, [repoA.id]);
    expectInstalled(cache, repoA);
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);
    expect(hub.requests.some((r) => r.url.startsWith('/repos/') && r.range !== undefined)).toBe(true);
  });

  it('leaves out files the caller skips (other weight formats): not downloaded, not linked, not in the manifest', async () => {
    const cache = makeTempDir('dl-skip');
    const withBin: FakeRepo = { ...repoA, id: 'mirror-one/with-bin', files: [...repoA.files, { path: 'llm/pytorch_model.bin', content: Buffer.alloc(50_000, 7), lfs: true }] };
    hub.addRepo(withBin);
    const messages: string[] = [];
    const result = await pull(cache, [withBin.id], { skip: (p) => isSkippedFile(loadCatalog(), p), onMessage: (m) => messages.push(m) });
    expect(result.files.map((f) => f.path)).not.toContain('llm/pytorch_model.bin');
    expect(existsSync(join(result.snapshotDir, 'llm/pytorch_model.bin'))).toBe(false);
    expect(messages.join('\n')).toContain('leaving out 1 file(s) in formats Apollo does not read (llm/pytorch_model.bin)');
    expectInstalled(cache, { ...withBin, files: repoA.files });
  });

  it('lists files from the tree endpoint when model info carries no file metadata', async () => {
    const cache = makeTempDir('dl-tree');
    hub.faults = { modelInfoWithoutBlobs: true };
    const result = await pull(cache, [repoA.id]);
    expect(result.files.length).toBe(repoA.files.length);
    expect(hub.requests.some((r) => r.url.startsWith(`/api/models/${repoA.id}/tree/${repoA.commit}`) && r.url.includes('recursive=true'))).toBe(true);
    expectInstalled(cache, repoA);
  });
});

describe('pullModel and a full disk', () => {
  // A real 1 MiB tmpfs (needs root and CAP_SYS_ADMIN, as in CI); elsewhere the two tests are skipped.
  const mountPoint = makeTempDir('dl-tmpfs');
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    mounted = true;
  } catch {
    mounted = false;
  }
  afterAll(() => {
    if (mounted) execFileSync('umount', [mountPoint]);
  });

  it.runIf(mounted)('refuses to start when the model does not fit, before any byte is fetched', async () => {
    const big = apolloLikeRepo('big-org/Apollo-7B-t32', 7, 1_200_000);
    hub.addRepo(big);
    const cache = join(mountPoint, 'hub-a');
    const error = await pull(cache, [big.id]).catch((e: unknown) => e);
    expect((error as ApolloError).code).toBe('DISK_FULL');
    expect((error as ApolloError).message).toMatch(/needs [\d.]+ GB more but only [\d.]+ GB is free/);
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);
  });

  it.runIf(mounted)('stops with DISK_FULL when the disk fills up during the download, keeping what it has', async () => {
    const cache = join(mountPoint, 'hub-b');
    const filler = join(mountPoint, 'filler');
    let filled = false;
    hub.onRequest = (r) => {
      // Someone else fills the disk once the first LFS download has started.
      if (!filled && r.server === 'cdn') {
        filled = true;
        mkdirSync(mountPoint, { recursive: true });
        writeFileSync(filler, Buffer.alloc(1024 * 1024 - 400 * 1024 - 100_000));
      }
    };
    try {
      const error = await pull(cache, [repoA.id], { concurrency: 1 }).catch((e: unknown) => e);
      expect((error as ApolloError).code).toBe('DISK_FULL');
      expect(existsSync(join(repoCachePaths(cache, repoA.id).refsDir, 'main'))).toBe(false);
    } finally {
      execFileSync('rm', ['-f', filler]);
    }
  });
});
