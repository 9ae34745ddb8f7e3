// The addon's heap release (native/src/heap.cc): in a process with the engine's malloc settings
// (the heap keeps what is freed), buffers freed after a pass stay resident until releaseFreeHeap
// hands their pages back. Run in a child process so that its RSS is only this.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { engineProcessEnv } from '../../electron/host/engine-client/engine-environment.js';
import { loadNativeAddon } from '../../electron/engine/native/native-addon.js';

const status = loadNativeAddon();
if (!status.loaded) throw new Error(`the native addon is required here (npm run build:native): ${status.reason}`);
const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime !== undefined;

const child = `
const addon = require(${JSON.stringify(status.path)});
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
let keep = [];
for (let i = 0; i < 256; i++) keep.push(Buffer.alloc(1 << 20, 1));
const small = Buffer.alloc(16, 2); // allocated last: the heap's top stays in use, so only a trim that frees inner pages helps
keep = null;
globalThis.gc(); globalThis.gc();
const before = rss();
const stats = addon.heapStats();
const released = addon.releaseFreeHeap();
const after = rss();
process.stdout.write(JSON.stringify({ before, after, released, stats, small: small[0] }));
`;

describe('native heap release', () => {
  it.runIf(process.platform === 'linux' && glibc)('returns the free pages of a heap that keeps freed memory to the OS', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', child], { encoding: 'utf8', env: { ...process.env, ...engineProcessEnv() } })) as {
      before: number;
      after: number;
      released: boolean;
      stats: { supported: boolean; inUseBytes: number; freeBytes: number };
    };
    expect(out.released).toBe(true);
    expect(out.stats.supported).toBe(true);
    // 256 MB were freed into the heap and are still held...
    expect(out.stats.freeBytes).toBeGreaterThan(200 * 2 ** 20);
    // ...until the release gives (nearly) all of it back.
    expect(out.before - out.after).toBeGreaterThan(200 * 2 ** 20);
  });

  it('reports what it can do on this platform', () => {
    const stats = status.addon.heapStats();
    expect(typeof stats.supported).toBe('boolean');
    if (stats.supported) expect(stats.inUseBytes).toBeGreaterThan(0);
    expect(typeof status.addon.releaseFreeHeap()).toBe('boolean');
  });
});
