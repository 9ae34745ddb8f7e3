// Pure pieces of the downloader: cache paths, hub settings from the environment, blob checks
// (against git's own blob ids), backoff, and speed/ETA arithmetic.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHFHubCachePath, getRepoFolderName } from '@huggingface/hub';
import { describe, expect, it } from 'vitest';
import { blobCheckFor, createBlobHasher, digestMatches, verifyBlobFile } from '../../electron/host/download/blob-verification.js';
import { DownloadProgressTracker, RateMeter, statsOf } from '../../electron/host/download/download-progress.js';
import { hubCacheDir, repoCachePaths, repoIdFromFolder, snapshotFilePath } from '../../electron/host/download/hf-cache-layout.js';
import { hubSettingsFromEnv, isNetworkError, HubHttpError } from '../../electron/host/download/hub-client.js';
import { backoffDelayMs } from '../../electron/host/download/retry-policy.js';
import { fakeBytes } from '../helpers/fake-hub-server.js';
import { makeTempDir } from '../helpers/paths.js';

describe('Hugging Face cache layout', () => {
  it.each([
    [{ HF_HUB_CACHE: '/a/hub', HF_HOME: '/b' }, '/a/hub'],
    [{ HF_HOME: '/b' }, '/b/hub'],
    [{ XDG_CACHE_HOME: '/x' }, '/x/huggingface/hub'],
    [{ HUGGINGFACE_HUB_CACHE: '/legacy' }, '/legacy'],
  ])('hubCacheDir(%j) = %s', (env, expected) => {
    expect(hubCacheDir(env)).toBe(expected);
  });

  it('agrees with @huggingface/hub for the process environment', () => {
    expect(hubCacheDir()).toBe(getHFHubCachePath());
  });

  it('names repository folders like huggingface_hub and reads them back', () => {
    const paths = repoCachePaths('/c', 'GoodiesHere/Apollo-LMMs-Apollo-3B-t32');
    expect(paths.repoDir).toBe(join('/c', getRepoFolderName({ name: 'GoodiesHere/Apollo-LMMs-Apollo-3B-t32', type: 'model' })));
    expect(paths.repoDir).toBe('/c/models--GoodiesHere--Apollo-LMMs-Apollo-3B-t32');
    expect(repoIdFromFolder('models--GoodiesHere--Apollo-LMMs-Apollo-3B-t32')).toBe('GoodiesHere/Apollo-LMMs-Apollo-3B-t32');
    expect(repoIdFromFolder('datasets--a--b')).toBeUndefined();
    expect(repoIdFromFolder('.locks')).toBeUndefined();
  });

  it.each(['../x', 'a/../../x', '/etc/passwd', 'a\\b'])('refuses the unsafe hub path %j', (p) => {
    const paths = repoCachePaths('/c', 'a/b');
    expect(() => snapshotFilePath(paths, '0'.repeat(40), p)).toThrow();
  });
});

describe('hub settings from the environment', () => {
  it('reads HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE, and falls back to the token file', () => {
    const home = makeTempDir('dl-token');
    writeFileSync(join(home, 'token'), 'hf_saved\n');
    expect(hubSettingsFromEnv({ HF_ENDPOINT: 'https://mirror.example/', HF_TOKEN: 'hf_x', HF_HUB_OFFLINE: '1' })).toEqual({ endpoint: 'https://mirror.example', token: 'hf_x', offline: true });
    expect(hubSettingsFromEnv({ HF_HOME: home })).toEqual({ endpoint: 'https://huggingface.co', token: 'hf_saved', offline: false });
    expect(hubSettingsFromEnv({ HF_HOME: home, HF_HUB_DISABLE_IMPLICIT_TOKEN: '1' }).token).toBeUndefined();
    expect(hubSettingsFromEnv({ HF_HUB_OFFLINE: 'false', HF_TOKEN_PATH: '/nonexistent' }).offline).toBe(false);
  });

  it('retries network errors and 5xx, not 4xx', () => {
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }))).toBe(true);
    expect(isNetworkError(new HubHttpError(503, 'u'))).toBe(true);
    expect(isNetworkError(new HubHttpError(429, 'u'))).toBe(true);
    expect(isNetworkError(new HubHttpError(404, 'u'))).toBe(false);
    expect(isNetworkError(new Error('parse'))).toBe(false);
  });
});

describe('blob checks', () => {
  it('uses SHA-256 for LFS files and git blob ids (computed by git) for the rest', async () => {
    const dir = makeTempDir('dl-verify');
    for (const [i, size] of [0, 1, 1000, 70_000].entries()) {
      const content = fakeBytes(size, i + 1);
      const file = join(dir, `f${i}`);
      writeFileSync(file, content);
      const gitOid = execFileSync('git', ['hash-object', file]).toString().trim();
      const sha = createHash('sha256').update(content).digest('hex');
      const git = blobCheckFor({ size, gitOid }, gitOid);
      expect(git.kind).toBe('git-sha1');
      expect(await verifyBlobFile(file, git, size)).toBe(true);
      const lfs = blobCheckFor({ size, lfsSha256: sha }, sha);
      expect(lfs.kind).toBe('sha256');
      expect(await verifyBlobFile(file, lfs, size)).toBe(true);
      const wrong = blobCheckFor({ size, lfsSha256: createHash('sha256').update('other').digest('hex') }, sha);
      expect(await verifyBlobFile(file, wrong, size)).toBe(false);
    }
  });

  it('a size mismatch fails even before the hash', () => {
    const check = blobCheckFor({ size: 3 }, 'not-a-hash');
    expect(check.kind).toBe('size');
    expect(digestMatches(check, createBlobHasher(check), 2)).toBe(false);
    expect(digestMatches(check, createBlobHasher(check), 3)).toBe(true);
  });
});

describe('backoff and progress arithmetic', () => {
  it.each([
    [1, 0, 250],
    [1, 1, 500],
    [3, 1, 2000],
    [10, 1, 30_000],
  ])('attempt %d with jitter %d waits %d ms', (attempt, jitter, expected) => {
    expect(backoffDelayMs({ attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 }, attempt, () => jitter)).toBe(expected);
  });

  it('speed over a window and ETA at that speed', () => {
    const m = new RateMeter(1000);
    m.sample(0, 0);
    m.sample(500, 5000);
    m.sample(1000, 10_000);
    expect(m.rate()).toBe(10_000);
    m.sample(3000, 10_000); // stalled for 2 s: the window forgets the fast part
    expect(m.rate()).toBe(0);
    expect(statsOf(250, 1000, 50)).toEqual({ done: 250, total: 1000, bytesPerSecond: 50, etaMs: 15_000 });
    expect(statsOf(1000, 1000, 0).etaMs).toBe(0);
    expect(statsOf(10, 1000, 0).etaMs).toBeUndefined();
  });

  it('tracks files and the overall total, and rolls back discarded bytes', () => {
    let now = 0;
    const t = new DownloadProgressTracker('a/b', () => now);
    t.addFile('x', 100, 0, 'queued');
    t.addFile('y', 50, 50, 'present');
    now = 1000;
    t.add('x', 40);
    now = 2000;
    t.add('x', 40);
    let s = t.snapshot();
    expect(s.overall).toMatchObject({ done: 130, total: 150, bytesPerSecond: 40 });
    expect(s.files.find((f) => f.path === 'x')).toMatchObject({ done: 80, state: 'downloading', bytesPerSecond: 40, etaMs: 500 });
    t.add('x', -80); // checksum mismatch: the bytes are thrown away
    s = t.snapshot();
    expect(s.files.find((f) => f.path === 'x')!.done).toBe(0);
    t.setPaused(true);
    expect(t.snapshot().overall.bytesPerSecond).toBe(0);
  });
});

describe('the CLI progress line', () => {
  it('shows the overall speed and each active file with its percentage and ETA', async () => {
    const { describeDownload } = await import('../../electron/host/download/model-pull.js');
    const line = describeDownload({
      repoId: 'a/b',
      paused: false,
      overall: { done: 300, total: 1000, bytesPerSecond: 2_500_000, etaMs: 1000 },
      files: [
        { path: 'llm/model-00001-of-00002.safetensors', state: 'downloading', done: 250, total: 500, bytesPerSecond: 100, etaMs: 2500 },
        { path: 'config.json', state: 'done', done: 50, total: 50, bytesPerSecond: 0, etaMs: 0 },
        { path: 'mm_connector/model.safetensors', state: 'queued', done: 0, total: 450, bytesPerSecond: 0, etaMs: undefined },
      ],
    });
    expect(line).toBe('2.5 MB/s · model-00001-of-00002.safetensors 50% 3s');
  });
});
