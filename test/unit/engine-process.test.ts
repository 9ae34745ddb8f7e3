// The engine bundle as a real child process: typed replies, and a hostile message leaves it serving.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

describe('engine process', () => {
  let child: ChildProcess;
  const replies: unknown[] = [];
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) => {
      const poll = () => (replies.length > 0 ? resolve(replies.shift() as Record<string, unknown>) : setTimeout(poll, 5));
      poll();
    });

  beforeAll(() => {
    child = fork(join(repoRoot, 'dist', 'engine.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => replies.push(m));
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill();
  });

  it('answers a ping', async () => {
    child.send({ id: 1, type: 'ping' });
    expect(await next()).toMatchObject({ id: 1, type: 'pong', pid: child.pid });
  });

  it('rejects malformed and hostile messages with a typed error and keeps serving', async () => {
    for (const bad of [{ id: 2, type: 'rm -rf' }, { type: 'ping' }, 'x'.repeat(100_000), { id: -1, type: 'ping' }, { id: 3, type: 'ping', __proto__: { polluted: true } }]) {
      child.send(bad);
      const reply = await next();
      if (reply.type === 'pong') continue; // an extra key on a valid message is ignored, not trusted
      expect(reply.type).toBe('error');
      expect((reply.error as { code: string }).code).toBe('INVALID_MESSAGE');
    }
    child.send({ id: 4, type: 'ping' });
    expect(await next()).toMatchObject({ id: 4, type: 'pong' });
  });

  it('shuts down on request', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.send({ id: 5, type: 'shutdown' });
    expect(await next()).toMatchObject({ id: 5, type: 'bye' });
    expect(await exited).toBe(0);
  });
});
