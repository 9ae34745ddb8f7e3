// The engine bundle as a real child process behind EngineClient: typed replies, streamed events,
// cancellation, hostile messages, and crash / out-of-memory recovery.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient, nodeEngineLauncher } from '../../electron/host/engine-client/engine-client.js';
import type { ApolloError } from '../../electron/shared/errors.js';
import { repoRoot } from '../helpers/paths.js';

const enginePath = join(repoRoot, 'dist', 'engine.mjs');
const launcher = nodeEngineLauncher({ enginePath, env: { APOLLO_ENGINE_TEST_HOOKS: '1' }, execArgv: ['--max-old-space-size=64'] });

describe('engine process', () => {
  const crashes: ApolloError[] = [];
  const client = new EngineClient(launcher, (e) => crashes.push(e));
  afterAll(() => client.shutdown());

  it('answers a ping from a separate process', async () => {
    const r = await client.call('ping');
    expect(r.pid).not.toBe(process.pid);
  });

  it('streams events then the result', async () => {
    const events: unknown[] = [];
    const r = await client.call('test:count', { to: 3, everyMs: 5 }, { onEvent: (e) => events.push(e) });
    expect(r).toEqual({ counted: 3 });
    expect(events).toEqual([1, 2, 3].map((done) => ({ stage: 'count', done, total: 3 })));
  });

  it('cancels a running request through its AbortSignal', async () => {
    const controller = new AbortController();
    const events: unknown[] = [];
    const p = client.call('test:count', { to: 1000, everyMs: 10 }, { signal: controller.signal, onEvent: (e) => events.push(e) });
    setTimeout(() => controller.abort(), 100);
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(events.length).toBeLessThan(100);
    expect(await client.call('ping')).toHaveProperty('pid');
  });

  it('rejects unknown methods and bad params with typed errors, and keeps serving', async () => {
    // A hostile or outdated caller: the contract refuses these at compile time, the engine at run time.
    // @ts-expect-error not a method of the engine protocol
    await expect(client.call('rm -rf /')).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    // @ts-expect-error `to` is a number in the contract
    await expect(client.call('test:count', { to: 'many' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    // @ts-expect-error not a method of the engine protocol
    await expect(client.call('__proto__')).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await expect(client.call('test:count', { to: 10 ** 9, everyMs: 1 })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(await client.call('ping')).toHaveProperty('pid');
  });

  it('reports a crash as ENGINE_CRASHED and restarts on the next request', async () => {
    const before = (await client.call('ping')).pid;
    await expect(client.call('test:crash', { code: 7 })).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    expect(crashes.at(-1)?.message).toMatch(/exit code 7/);
    const after = (await client.call('ping')).pid;
    expect(after).not.toBe(before);
  });

  it('reports running out of memory as ENGINE_OUT_OF_MEMORY and recovers', async () => {
    await expect(client.call('test:exhaust-memory', {})).rejects.toMatchObject({ code: 'ENGINE_OUT_OF_MEMORY' });
    expect(await client.call('ping')).toHaveProperty('pid');
    expect(client.crashCount).toBe(2);
  });
});

describe('engine wire protocol', () => {
  it('answers malformed raw messages with typed errors and keeps serving', async () => {
    const child = fork(enginePath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    const replies: Array<Record<string, unknown>> = [];
    child.on('message', (m) => replies.push(m as Record<string, unknown>));
    const next = () =>
      new Promise<Record<string, unknown>>((resolve) => {
        const poll = () => (replies.length > 0 ? resolve(replies.shift()!) : setTimeout(poll, 5));
        poll();
      });
    for (const bad of [{ id: 2 }, 'x'.repeat(100_000), { id: -1, method: 'ping' }, { id: 1.5, method: 'ping' }, { id: 3, method: 'x'.repeat(1000) }, [1, 2, 3], null]) {
      child.send(bad as never);
      const reply = await next();
      expect(reply.kind).toBe('error');
      expect((reply.error as { code: string }).code).toBe('INVALID_MESSAGE');
    }
    child.send({ id: 9, method: 'ping' });
    expect(await next()).toMatchObject({ id: 9, kind: 'result' });
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ id: 10, method: 'shutdown' });
    expect(await next()).toMatchObject({ id: 10, kind: 'result', result: { bye: true } });
    expect(await exited).toBe(0);
  });
});
