// Talks to the engine process: correlates replies with requests, streams events, cancels through
// AbortSignal, and survives engine crashes: pending requests fail with ENGINE_CRASHED (or
// ENGINE_OUT_OF_MEMORY) and the next request starts a fresh engine. State that must survive a
// crash (chat history) lives with the caller, never only in the engine.
import { fork } from 'node:child_process';
import { engineProcessEnv } from './engine-environment.js';
import { join } from 'node:path';
import { MAX_REQUEST_ID, type EngineEvent, type EngineMethodName, type EngineParamsIn, type EngineResult } from '../../shared/engine-protocol.js';
import { ApolloError, deserializeError } from '../../shared/errors.js';
import { packageRoot } from '../../common/platform/package-root.js';

export interface EngineExit {
  code: number | null;
  signal: string | null;
  stderrTail: string;
}

/** One running engine process, whatever hosts it (Node child process or Electron utilityProcess). */
export interface EngineChild {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (exit: EngineExit) => void): void;
  kill(): void;
}

export type EngineLauncher = () => EngineChild;

export function nodeEngineLauncher(options: { enginePath?: string; env?: NodeJS.ProcessEnv; execArgv?: string[] } = {}): EngineLauncher {
  const enginePath = options.enginePath ?? join(packageRoot(), 'dist', 'engine.mjs');
  return () => {
    const child = fork(enginePath, [], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, ...options.env, ...engineProcessEnv() },
      execArgv: options.execArgv ?? [],
    });
    let stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      stderrTail = (stderrTail + d.toString()).slice(-4000);
    });
    return {
      send: (m) => {
        if (child.connected) child.send(m as never);
      },
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code, signal) => l({ code, signal, stderrTail })),
      kill: () => child.kill('SIGKILL'),
    };
  };
}

interface Pending {
  onEvent: ((event: never) => void) | undefined;
  resolve(value: unknown): void;
  reject(error: ApolloError): void;
}

export function describeEngineExit(exit: EngineExit): ApolloError {
  const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const oom = /heap out of memory|out of memory|bad_alloc|CUDA out of memory|Failed to allocate memory/i.test(exit.stderrTail);
  if (oom) {
    return new ApolloError('ENGINE_OUT_OF_MEMORY', `The engine ran out of memory and stopped (${how}); it restarts with your next request. Try a smaller model, a lower precision, or a lower clip sampling ratio.`, { details: { ...exit } });
  }
  return new ApolloError('ENGINE_CRASHED', `The engine stopped unexpectedly (${how}); it restarts with your next request and your chat is kept.`, { details: { code: exit.code, signal: exit.signal } });
}

export interface CallOptions<E> {
  onEvent?: (event: E) => void;
  signal?: AbortSignal;
}

/** A method whose params are all optional may be called without them. */
type CallArgs<M extends EngineMethodName> = undefined extends EngineParamsIn<M>
  ? [params?: EngineParamsIn<M>, options?: CallOptions<EngineEvent<M>>]
  : [params: EngineParamsIn<M>, options?: CallOptions<EngineEvent<M>>];

export class EngineClient {
  private child: EngineChild | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private crashes = 0;

  constructor(
    private readonly launch: EngineLauncher,
    private readonly onCrash?: (error: ApolloError) => void,
  ) {}

  /** How many times the engine has crashed in this client's life (shown to users and tests). */
  get crashCount(): number {
    return this.crashes;
  }

  private ensureChild(): EngineChild {
    if (this.child !== undefined) return this.child;
    const child = this.launch();
    this.child = child;
    child.onMessage((m) => this.onReply(m));
    child.onExit((exit) => {
      if (this.child === child) this.child = undefined;
      if (this.pending.size === 0 && (exit.code === 0 || this.shuttingDown)) return;
      const error = describeEngineExit(exit);
      this.crashes++;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.onCrash?.(error);
    });
    return child;
  }

  private shuttingDown = false;

  private onReply(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as { id?: unknown; kind?: unknown; event?: unknown; result?: unknown; error?: unknown };
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    // Events and results are typed by the protocol contract; the engine is our own process.
    if (m.kind === 'event') p.onEvent?.(m.event as never);
    else if (m.kind === 'result') {
      this.pending.delete(m.id);
      p.resolve(m.result);
    } else if (m.kind === 'error') {
      this.pending.delete(m.id);
      p.reject(deserializeError(m.error));
    }
  }

  /** Calls an engine method; params, result and events are typed by ENGINE_PROTOCOL. */
  call<M extends EngineMethodName>(method: M, ...[params, options = {}]: CallArgs<M>): Promise<EngineResult<M>> {
    if (options.signal?.aborted) return Promise.reject(new ApolloError('CANCELLED'));
    const child = this.ensureChild();
    const id = this.takeId();
    return new Promise<EngineResult<M>>((resolve, reject) => {
      const onAbort = () => child.send({ id: this.takeId(), method: 'cancel', params: { target: id } });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => options.signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        onEvent: options.onEvent,
        resolve: (v) => {
          cleanup();
          resolve(v as EngineResult<M>);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      });
      child.send({ id, method, params });
    });
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= MAX_REQUEST_ID ? 1 : this.nextId + 1;
    return id;
  }

  /** Asks the engine to exit, and kills it if it does not within the grace period. */
  async shutdown(graceMs = 3000): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.shuttingDown = true;
    const exited = new Promise<void>((resolve) => child.onExit(() => resolve()));
    this.call('shutdown').catch(() => {});
    const timer = setTimeout(() => child.kill(), graceMs);
    await exited;
    clearTimeout(timer);
    this.shuttingDown = false;
  }
}
