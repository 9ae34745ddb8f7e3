// Runs the engine in an Electron utilityProcess (a Chromium child without a window), so a native
// crash or a GPU out-of-memory never takes the window down. Typed against a small structural
// interface so tests can drive it with a fake.
import type { EngineLauncher } from '../host/engine-client/engine-client.js';
import { engineProcessEnv } from '../host/engine-client/engine-environment.js';

export interface UtilityProcessLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
  stderr: NodeJS.ReadableStream | null;
}

export type UtilityFork = (modulePath: string, args: string[], options: { serviceName: string; stdio: 'pipe'; env: NodeJS.ProcessEnv }) => UtilityProcessLike;

export function utilityEngineLauncher(fork: UtilityFork, enginePath: string, env: NodeJS.ProcessEnv = process.env): EngineLauncher {
  return () => {
    const child = fork(enginePath, [], { serviceName: 'Apollo engine', stdio: 'pipe', env: { ...env, ...engineProcessEnv() } });
    let stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-4000);
    });
    return {
      send: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', l),
      // utilityProcess reports a signal death as a non-zero code; the stderr tail tells OOM apart.
      onExit: (l) => child.on('exit', (code) => l({ code, signal: null, stderrTail })),
      kill: () => void child.kill(),
    };
  };
}
