// kill -9 of a real `apollo-chat prepare` child at many points: no torn prepared folder is ever
// visible, a re-run resumes the finished artifacts, and the result is byte-identical to an
// uninterrupted run.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPreparedManifest } from '../../electron/engine/prepare/prepare-model.js';
import type { PreparedManifest } from '../../electron/engine/prepare/prepare-manifest.js';
import { cliBin, makeTempDir, repoRoot } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const temps: string[] = [];
const temp = (p: string) => {
  const d = makeTempDir(p);
  temps.push(d);
  return d;
};
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Starts prepare and SIGKILLs it `delayMs` after stderr first shows `trigger`; resolves with the exit code/signal. */
function prepareAndKill(args: string[], trigger: string, delayMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, 'prepare', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!armed && stderr.includes(trigger)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout }));
  });
}

function fileHashes(m: PreparedManifest): Record<string, string> {
  return Object.fromEntries(Object.values(m.artifacts).flatMap((a) => a.files.map((f) => [f.path, f.sha256])));
}

describe('prepare under kill -9', () => {
  it('never shows a torn folder, resumes, and ends byte-identical to an uninterrupted run', async () => {
    const tiny = join(temp('kill-src'), 'model');
    expect((await runCli(['make-tiny-model', tiny, '--seed', '5', '--no-progress'])).code).toBe(0);
    const args = (cache: string) => [tiny, '--cache-dir', cache, '--precision', 'fp32', '--json'];

    const cleanCache = temp('kill-clean');
    const clean = await runCli(['prepare', ...args(cleanCache), '--no-progress'], { timeoutMs: 120_000 });
    expect(clean.code, clean.stderr).toBe(0);
    const reference = (JSON.parse(clean.stdout) as { manifest: PreparedManifest }).manifest;

    const cache = temp('kill-cache');
    const checkInvariant = async () => {
      for (const name of readdirSync(cache).filter((n) => !n.startsWith('.'))) {
        // A visible folder is always complete: every file present with its recorded SHA-256.
        const m = await readPreparedManifest(join(cache, name), true);
        expect(fileHashes(m)).toEqual(fileHashes(reference));
      }
    };

    // 1. Killed as the decoder starts: the config artifact is finished and recorded.
    const first = await prepareAndKill(args(cache), 'prepare:decoder', 0);
    expect(first.signal).toBe('SIGKILL');
    expect(readdirSync(cache).some((n) => n.endsWith('.partial'))).toBe(true);
    await checkInvariant();
    const resumed = await runCli(['prepare', ...args(cache), '--no-progress'], { timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const resumedOut = JSON.parse(resumed.stdout) as { reused: boolean; resumedArtifacts: string[]; manifest: PreparedManifest };
    expect(resumedOut.reused).toBe(false);
    expect(resumedOut.resumedArtifacts).toEqual(['config']);
    expect(fileHashes(resumedOut.manifest)).toEqual(fileHashes(reference));

    // 2. Killed at later and later points of forced rebuilds: the published folder stays valid throughout.
    let killedMidway = 0;
    for (const delay of [0, 40, 80, 160, 320, 640]) {
      const r = await prepareAndKill([...args(cache), '--force'], 'prepare:', delay);
      if (r.signal === 'SIGKILL') killedMidway++;
      await checkInvariant();
    }
    expect(killedMidway).toBeGreaterThan(0);
    const final = await runCli(['prepare', ...args(cache), '--no-progress'], { timeoutMs: 120_000 });
    expect(final.code, final.stderr).toBe(0);
    expect(fileHashes((JSON.parse(final.stdout) as { manifest: PreparedManifest }).manifest)).toEqual(fileHashes(reference));
    // Reusing the folder frees what killed rebuilds left behind (partial copy, stale lock).
    expect(readdirSync(cache).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 300_000);
});
