// Starts the real `apollo-chat serve --json` as a child process and waits for its address.
import { spawn, type ChildProcess } from 'node:child_process';
import { cliBin, repoRoot } from './paths.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  origin: string;
  token: string;
}

/** `prefix` runs serve under another command (e.g. strace's arguments). */
export function startServe(args: string[] = [], env: NodeJS.ProcessEnv = process.env, timeoutMs = 90_000, prefix: string[] = []): Promise<ServeProcess> {
  const [command, ...head] = [...prefix, process.execPath];
  const child = spawn(command!, [...head, cliBin, 'serve', '--json', '--no-progress', ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        const info = JSON.parse(out) as { url: string; origin: string; token: string };
        clearTimeout(timer);
        resolve({ child, ...info });
      } catch {
        // wait for the whole JSON document
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
}
