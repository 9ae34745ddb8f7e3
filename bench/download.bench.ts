// Download throughput against the local fake hub (loopback, so the network is not the limit):
// what the pull pipeline (Range-capable stream → file append → inline SHA-256 → rename → link)
// costs next to reading the same bytes from HTTP alone and hashing them alone.
// Run: flock /tmp/apollo-heavy.lock npx tsx bench/download.bench.ts
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { request } from 'undici';
import { pullModel } from '../electron/host/download/model-pull.js';
import { fakeBytes, startFakeHub, type FakeRepo } from '../test/helpers/fake-hub-server.js';
import { makeTempDir } from '../test/helpers/paths.js';
import { machineFacts, writeResult, type Measurement } from './bench-harness.js';

const sizeMiB = Number(process.env.BENCH_DOWNLOAD_MIB ?? 512);
const runs = 3;
const content = fakeBytes(sizeMiB * 2 ** 20, 42);
const repo: FakeRepo = { id: 'bench/one-shard', commit: 'c'.repeat(40), files: [{ path: 'model.safetensors', content, lfs: true }] };
const hub = await startFakeHub([repo]);

async function median(fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const mbps = (s: number) => Math.round((content.length / 1e6 / s) * 10) / 10;
const measurements: Measurement[] = [];

const sha = await median(async () => {
  createHash('sha256').update(content).digest('hex');
});
measurements.push({ name: 'sha256 of the bytes in memory', seconds: sha, runs, MBps: mbps(sha) });

const sha256 = createHash('sha256').update(content).digest('hex');
const cdnUrl = `${hub.cdnUrl}/repos/${sha256.slice(0, 2)}/${sha256}`;
const http = await median(async () => {
  const res = await request(cdnUrl);
  for await (const _chunk of res.body) void _chunk;
});
measurements.push({ name: 'HTTP GET over loopback, body discarded', seconds: http, runs, MBps: mbps(http) });

const pull = await median(async () => {
  const cache = makeTempDir('bench-dl');
  try {
    await pullModel({ repos: [repo.id], revision: 'main', env: { HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: cache, HF_TOKEN_PATH: '/nonexistent', NO_PROXY: '127.0.0.1' } });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
measurements.push({ name: 'pullModel: stream, append, SHA-256, rename, link', seconds: pull, runs, MBps: mbps(pull) });

await hub.stop();
const path = writeResult({
  bench: 'download',
  date: new Date().toISOString(),
  machine: machineFacts(),
  measurements,
  summary: { fileMiB: sizeMiB, pullVsHttp: Math.round((pull / http) * 100) / 100 },
});
console.log(`wrote ${path}`);
for (const m of measurements) console.log(`${m.name}: ${m.seconds.toFixed(3)} s (${String(m.MBps)} MB/s)`);
