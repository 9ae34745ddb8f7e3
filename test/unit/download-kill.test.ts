// kill -9 of a real `apollo-chat pull` mid-download, then a resume: nothing partial is ever
// visible in snapshots/, the resume continues the .incomplete files with Range requests, and every
// blob's name matches its content (SHA-256 by Python's hashlib, git blob ids by git itself).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoCachePaths } from '../../electron/host/download/hf-cache-layout.js';
import { apolloLikeRepo, startFakeHub, type FakeHubServer } from '../helpers/fake-hub-server.js';
import { cliBin, makeTempDir, oraclePython } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

let hub: FakeHubServer;
const repo = apolloLikeRepo('kill-org/Apollo-kill-t32', 9, 2_000_000);
const cache = makeTempDir('dl-kill');
const env = { HF_ENDPOINT: '', HF_HUB_CACHE: cache, HF_TOKEN_PATH: join(cache, 'no-token'), NO_PROXY: '127.0.0.1' };

beforeAll(async () => {
  hub = await startFakeHub([repo]);
  env.HF_ENDPOINT = hub.hubUrl;
});
afterAll(async () => {
  await hub.stop();
});

function walkSnapshot(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walkSnapshot(p));
    else out.push(p);
  }
  return out;
}

function pythonSha256(files: string[]): string[] {
  const script = 'import hashlib,sys\nfor p in sys.argv[1:]:\n    print(hashlib.sha256(open(p,"rb").read()).hexdigest())';
  return execFileSync(oraclePython, ['-c', script, ...files]).toString().trim().split('\n');
}

/** Everything visible in snapshots/ is a link to a complete blob with exactly the served bytes. */
function expectNothingPartialVisible(): number {
  const paths = repoCachePaths(cache, repo.id);
  const snapshot = join(paths.snapshotsDir, repo.commit);
  const visible = walkSnapshot(snapshot);
  for (const p of visible) {
    expect(lstatSync(p).isSymbolicLink()).toBe(true);
    const blob = resolve(join(p, '..'), readlinkSync(p));
    expect(blob.endsWith('.incomplete')).toBe(false);
    const served = repo.files.find((f) => f.path === relative(snapshot, p))!;
    expect(readFileSync(blob).equals(served.content)).toBe(true);
  }
  return visible.length;
}

describe('kill -9 during apollo-chat pull, then resume', () => {
  it('leaves only verified files visible and resumes from the partial blobs', async () => {
    const paths = repoCachePaths(cache, repo.id);
    hub.faults = { throttleBytesPerSecond: 600_000 };
    const child = spawn(process.execPath, [cliBin, 'pull', repo.id, '--no-prepare', '--json', '--no-progress'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const partialBytes = () => (existsSync(paths.blobsDir) ? readdirSync(paths.blobsDir).filter((n) => n.endsWith('.incomplete')).reduce((n, b) => n + lstatSync(join(paths.blobsDir, b)).size, 0) : 0);
    const deadline = Date.now() + 30_000;
    // Kill once some small files are complete and the big shard is well under way.
    while (Date.now() < deadline && !(walkSnapshot(join(paths.snapshotsDir, repo.commit)).length >= 2 && partialBytes() > 300_000)) await new Promise((r) => setTimeout(r, 25));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    hub.faults = {};

    expect(partialBytes()).toBeGreaterThan(300_000);
    const visibleAfterKill = expectNothingPartialVisible();
    expect(visibleAfterKill).toBeGreaterThanOrEqual(2);
    expect(visibleAfterKill).toBeLessThan(repo.files.length);
    expect(existsSync(join(paths.refsDir, 'main'))).toBe(false);

    hub.requests.length = 0;
    const resumed = await runCli(['pull', repo.id, '--no-prepare', '--json'], { env });
    expect(resumed.stderr).not.toMatch(/error \[/);
    expect(resumed.code).toBe(0);
    const out = JSON.parse(resumed.stdout) as { downloadedBytes: number; totalBytes: number };
    expect(out.downloadedBytes).toBeLessThan(out.totalBytes);
    const resumedRanges = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET' && /^bytes=[1-9]\d*-$/.test(r.range ?? ''));
    expect(resumedRanges.length).toBeGreaterThan(0);

    expect(expectNothingPartialVisible()).toBe(repo.files.length);
    expect(readdirSync(paths.blobsDir).filter((n) => n.endsWith('.incomplete'))).toEqual([]);
    expect(readFileSync(join(paths.refsDir, 'main'), 'utf8')).toBe(repo.commit);
    // Blob names against independent hashes of their contents.
    const blobs = readdirSync(paths.blobsDir);
    const lfs = blobs.filter((b) => b.length === 64);
    expect(pythonSha256(lfs.map((b) => join(paths.blobsDir, b)))).toEqual(lfs);
    for (const b of blobs.filter((x) => x.length === 40)) {
      expect(execFileSync('git', ['hash-object', join(paths.blobsDir, b)]).toString().trim()).toBe(b);
    }
    expect(blobs.length).toBe(repo.files.length);
  });
});
