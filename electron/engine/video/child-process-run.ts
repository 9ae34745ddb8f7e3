// Runs ffmpeg/ffprobe as child processes that always have a time limit and die with the caller's
// AbortSignal (SIGKILL: a decoder stuck on a bad file must not outlive the request).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ApolloError } from '../../shared/errors.js';

export interface RunOptions {
  signal?: AbortSignal;
  /** Kill the process after this many milliseconds. */
  timeoutMs: number;
  /** Keep at most this many bytes of stderr (the tail). */
  maxStderr?: number;
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export type ChildProcessHandle = ChildProcessByStdio<null, Readable, Readable>;

/** Spawns `command` and wires timeout and abort to SIGKILL; `done` settles when it has exited. */
export function spawnGuarded(command: string, args: string[], options: RunOptions): { child: ChildProcessHandle; done: Promise<{ code: number | null; stderr: string }>; kill: () => void } {
  if (options.signal?.aborted) throw cancelled(options.signal);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const maxStderr = options.maxStderr ?? 64 * 1024;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 2 * maxStderr) stderr = stderr.slice(-maxStderr);
  });
  let reason: ApolloError | undefined;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const onAbort = () => {
    reason ??= cancelled(options.signal);
    kill();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    reason ??= new ApolloError('TIMEOUT', `${basename(command)} took longer than ${Math.round(options.timeoutMs / 1000)} s and was stopped; the file may be damaged or very large.`);
    kill();
  }, options.timeoutMs);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject((error as NodeJS.ErrnoException).code === 'ENOENT' ? new ApolloError('FFMPEG_NOT_FOUND', undefined, { cause: error }) : error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (reason !== undefined) reject(reason);
      else resolve({ code, stderr: stderr.slice(-maxStderr) });
    });
  });
  return { child, done, kill };
}

/** Runs to completion and collects stdout. */
export async function runChildProcess(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const { child, done } = spawnGuarded(command, args, options);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  const { code, stderr } = await done;
  return { code, stdout: Buffer.concat(chunks), stderr };
}

export function cancelled(signal: AbortSignal | undefined): ApolloError {
  const r: unknown = signal?.reason;
  return r instanceof ApolloError ? r : new ApolloError('CANCELLED', undefined, r === undefined ? undefined : { cause: r });
}

function basename(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
