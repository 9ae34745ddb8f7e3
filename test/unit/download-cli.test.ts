// `apollo-chat pull | models | rm` as a user runs them, against the fake hub serving a tiny
// checkpoint with the real Apollo layout; `models` and an offline pull must open no connection.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { repoCachePaths } from '../../electron/host/download/hf-cache-layout.js';
import { repoFromFolder, startFakeHub, type FakeHubServer, type FakeRepo } from '../helpers/fake-hub-server.js';
import { noNetwork } from '../helpers/no-network.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

let hub: FakeHubServer;
let tiny: FakeRepo;
const work = makeTempDir('dl-cli');
const cache = join(work, 'hf-cache');
const prepared = join(work, 'apollo-cache');

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: cache, APOLLO_CACHE_DIR: prepared, HF_TOKEN_PATH: join(work, 'no-token'), NO_PROXY: '127.0.0.1', ...extra };
}

beforeAll(async () => {
  await makeTinyCheckpoint(join(work, 'tiny'), { seed: 3 });
  tiny = repoFromFolder('tiny-org/Apollo-tiny-t32', join(work, 'tiny'), 1);
  hub = await startFakeHub([tiny]);
});
afterAll(async () => {
  await hub.stop();
});

interface PullJson {
  repoId: string;
  commit: string;
  snapshotDir: string;
  totalBytes: number;
  downloadedBytes: number;
  verified: boolean;
  prepared: { preparedDir: string; reused: boolean } | null;
}

interface ModelsJson {
  cacheDir: string;
  models: Array<{ repoId: string; commit: string; sizeBytes: number; fileCount: number; verified: boolean; prepared: string[]; refs: string[] }>;
}

describe('apollo-chat pull, models, rm', () => {
  it('the no-network guard catches a connection (so the checks below can fail)', async () => {
    const guard = noNetwork();
    execFileSync(process.execPath, ['-e', `fetch(${JSON.stringify(hub.hubUrl)}).catch(() => {})`], { env: { ...process.env, ...guard.env } });
    expect(guard.violations().length).toBeGreaterThan(0);
    expect(guard.violations().some((v) => v.kind === 'connect' && v.target.includes('127.0.0.1'))).toBe(true);
  });

  it('pull downloads, verifies and prepares; progress goes to stderr', async () => {
    const r = await runCli(['pull', tiny.id, '--precision', 'fp32', '--json'], { env: env() });
    expect(r.stderr).not.toMatch(/error \[/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as PullJson;
    expect(out.repoId).toBe(tiny.id);
    expect(out.commit).toBe(tiny.commit);
    expect(out.verified).toBe(true);
    expect(out.totalBytes).toBe(tiny.files.reduce((n, f) => n + f.content.length, 0));
    expect(out.downloadedBytes).toBe(out.totalBytes);
    expect(out.prepared).not.toBeNull();
    expect(existsSync(join(out.prepared!.preparedDir, 'manifest.json'))).toBe(true);
    expect(r.stderr).toMatch(/^download: .*\(100%\)/m);
  });

  it('models lists it with size, repo, revision, verified and prepared state, opening no connection', async () => {
    const guard = noNetwork();
    const r = await runCli(['models', '--json'], { env: env(guard.env) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as ModelsJson;
    expect(out.cacheDir).toBe(cache);
    expect(out.models).toHaveLength(1);
    const m = out.models[0]!;
    expect(m).toMatchObject({ repoId: tiny.id, commit: tiny.commit, verified: true, prepared: ['fp32'], refs: ['main'], fileCount: tiny.files.length });
    expect(m.sizeBytes).toBe(tiny.files.reduce((n, f) => n + f.content.length, 0));
    expect(guard.violations()).toEqual([]);

    const human = await runCli(['models'], { env: env(guard.env) });
    expect(human.stdout).toContain(`${tiny.id}@${tiny.commit.slice(0, 12)} (main)`);
    expect(human.stdout).toContain('verified, prepared fp32');
    const catalog = await runCli(['models', '--catalog', '--json'], { env: env(guard.env) });
    expect((JSON.parse(catalog.stdout) as { models: Array<{ name: string }> }).models.map((x) => x.name)).toEqual(['apollo-1.5b', 'apollo-3b', 'apollo-7b']);
    expect(guard.violations()).toEqual([]);
  });

  it('resolving the installed model for use (an offline pull, prepare reused) opens no connection', async () => {
    const guard = noNetwork();
    const r = await runCli(['pull', tiny.id, '--precision', 'fp32', '--json'], { env: env({ ...guard.env, HF_HUB_OFFLINE: '1' }) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as PullJson;
    expect(out.downloadedBytes).toBe(0);
    expect(out.prepared?.reused).toBe(true);
    expect(guard.violations()).toEqual([]);
  });

  it('a second online pull reuses everything: nothing is downloaded again', async () => {
    const r = await runCli(['pull', tiny.id, '--no-prepare', '--json'], { env: env() });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as PullJson).downloadedBytes).toBe(0);
  });

  it('bad names are usage errors; a missing model in offline mode says how to fix it', async () => {
    const bad = await runCli(['pull', 'not a model', '--json'], { env: env() });
    expect(bad.code).toBe(2);
    expect((JSON.parse(bad.stdout) as { error: { code: string } }).error.code).toBe('MODEL_UNKNOWN');
    const offline = await runCli(['pull', 'someone/else', '--no-prepare'], { env: env({ HF_HUB_OFFLINE: '1' }) });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/^error \[HUB_OFFLINE\]: HF_HUB_OFFLINE is set/m);
  });

  it('rm frees the blobs and the prepared folder', async () => {
    const paths = repoCachePaths(cache, tiny.id);
    const blobBytes = readdirSync(paths.blobsDir).reduce((n, b) => n + statSync(join(paths.blobsDir, b)).size, 0);
    const r = await runCli(['rm', tiny.id, '--json'], { env: env() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { freedBytes: number; removed: Array<{ removedPrepared: string[] }> };
    expect(out.freedBytes).toBe(blobBytes);
    expect(out.removed[0]!.removedPrepared).toHaveLength(1);
    expect(existsSync(paths.repoDir)).toBe(false);
    const again = await runCli(['models', '--json'], { env: env() });
    expect((JSON.parse(again.stdout) as ModelsJson).models).toEqual([]);
    const missing = await runCli(['rm', tiny.id], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/MODEL_NOT_INSTALLED/);
  });

  it('a checkpoint folder added by path is listed, prepared in place, and rm only forgets it', async () => {
    const dir = join(work, 'tiny');
    const r = await runCli(['pull', dir, '--precision', 'fp32', '--json'], { env: env() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { source: string; snapshotDir: string; downloadedBytes: number; prepared: { preparedDir: string } };
    expect(out).toMatchObject({ source: 'local-folder', snapshotDir: dir, downloadedBytes: 0 });
    const guard = noNetwork();
    const listed = JSON.parse((await runCli(['models', '--json'], { env: env(guard.env) })).stdout) as { localFolders: Array<{ dir: string; present: boolean; prepared: string[]; fileCount: number }> };
    expect(listed.localFolders).toEqual([expect.objectContaining({ dir, present: true, prepared: ['fp32'], fileCount: tiny.files.length })]);
    expect(guard.violations()).toEqual([]);
    const removed = await runCli(['rm', dir, '--json'], { env: env() });
    expect(removed.code).toBe(0);
    expect(existsSync(join(dir, 'config.json'))).toBe(true);
    expect(existsSync(out.prepared.preparedDir)).toBe(false);
    expect((JSON.parse((await runCli(['models', '--json'], { env: env() })).stdout) as { localFolders: unknown[] }).localFolders).toEqual([]);
    const notAModel = await runCli(['pull', work, '--json'], { env: env() });
    expect((JSON.parse(notAModel.stdout) as { error: { code: string } }).error.code).toBe('CHECKPOINT_INVALID');
  });
});
