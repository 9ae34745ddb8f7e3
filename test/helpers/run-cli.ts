// Runs the built `apollo-chat` as a user would, and captures its streams and exit code.
import { spawn } from 'node:child_process';
import { cliBin, repoRoot } from './paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `prefix` runs the CLI under another command (e.g. strace's arguments). */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; prefix?: string[] } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command, ...head] = [...(options.prefix ?? []), process.execPath];
    const child = spawn(command!, [...head, cliBin, ...args], { cwd: options.cwd ?? repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
