// `apollo-chat chat` as a scripted session (questions and commands on stdin) on the tiny model.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { cliBin, makeTempDir, repoRoot } from '../helpers/paths.js';

function runChat(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, 'chat', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('apollo-chat chat', () => {
  let dir: string;
  let videoPath: string;

  beforeAll(async () => {
    dir = makeTempDir('cli-chat');
    await makeTinyCheckpoint(join(dir, 'tiny'), { seed: 5 });
    videoPath = join(dir, 'v.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=192x108:rate=20:duration=4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
  });

  it('answers questions, runs its commands and exports the chat', async () => {
    const exported = join(dir, 'chat.md');
    const input = ['What is this?', '/device', '/regenerate', '/export ' + exported, '/bogus', '/exit', ''].join('\n');
    const r = await runChat([videoPath, '--model', join(dir, 'tiny'), '--device', 'cpu', '--precision', 'fp32', '--max-new-tokens', '6', '--no-progress'], input, { APOLLO_CACHE_DIR: join(dir, 'cache') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Chatting about v\.mp4/);
    expect(r.stderr).toMatch(/^cpu \(requested\), fp32$/m);
    expect(r.stderr).toMatch(/Unknown command \/bogus/);
    expect(existsSync(exported)).toBe(true);
    const md = readFileSync(exported, 'utf8');
    expect(md).toContain('# Chat about v.mp4');
    // Regenerate replaced the answer: one question in the export.
    expect(md.match(/## Q: What is this\?/g)).toHaveLength(1);
    // Two answers were streamed to stdout (the first and the regenerated one).
    expect(r.stdout.trim().split('\n').filter((l) => l.trim() !== '').length).toBeGreaterThanOrEqual(2);
  });

  it('is a usage error without --model', async () => {
    const r = await runChat([videoPath], '', {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error \[USAGE\].*--model/);
  });
});
