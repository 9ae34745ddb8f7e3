// The engine protocol contract (electron/shared/engine-protocol.ts) drives the engine's message
// loop: params that fail a method's contract schema are refused with a typed error before any
// method runs, and the method table implements exactly the contract's methods.
import { describe, expect, it } from 'vitest';
import { engineMethods } from '../../electron/engine/server/engine-methods.js';
import { serveEngine, type EngineTransport } from '../../electron/engine/server/engine-server.js';
import { ENGINE_BUILTIN_METHODS, ENGINE_PROTOCOL, ENGINE_TEST_HOOK_METHODS, type EngineReply } from '../../electron/shared/engine-protocol.js';
import { LIMITS } from '../../electron/shared/limits.js';

function inProcessEngine(options: { testHooks: boolean }) {
  const replies: EngineReply[] = [];
  let deliver: ((message: unknown) => void) | undefined;
  const transport: EngineTransport = { send: (m) => replies.push(m), onMessage: (l) => (deliver = l), exit: () => {} };
  serveEngine(transport, engineMethods(options));
  const request = async (message: unknown): Promise<EngineReply> => {
    const before = replies.length;
    deliver!(message);
    for (let i = 0; i < 100 && replies.length === before; i++) await new Promise((r) => setTimeout(r, 5));
    return replies[before]!;
  };
  return { request };
}

const ask = { videoPath: '/v/a.mp4', videoKey: 'ab'.repeat(16), modelDir: '/m', settings: {}, history: [], question: 'What happens?' };

describe('engine protocol contract', () => {
  it.each([
    ['ask', { ...ask, question: 'q'.repeat(LIMITS.questionChars + 1) }, /Invalid parameters for ask: question .*8000/],
    ['ask', { ...ask, settings: { device: 'tpu' } }, /Invalid parameters for ask: settings\.device/],
    ['ask', { ...ask, settings: { nodeIntegration: true } }, /Invalid parameters for ask: settings/],
    ['encode', { ...ask, videoKey: 'not-hex' }, /Invalid parameters for encode: videoKey/],
    ['analyze-video', { path: '/v/a.mp4', clipSamplingRatio: 2 }, /Invalid parameters for analyze-video: clipSamplingRatio/],
    ['prepare', { modelDir: '/m', precision: 'int8' }, /Invalid parameters for prepare: precision/],
    ['cancel', { target: -1 }, /Invalid parameters for cancel: target/],
  ] as const)('refuses %s params that fail the contract schema with a typed INVALID_MESSAGE', async (method, params, message) => {
    const engine = inProcessEngine({ testHooks: false });
    const reply = await engine.request({ id: 7, method, params });
    expect(reply).toMatchObject({ id: 7, kind: 'error', error: { code: 'INVALID_MESSAGE' } });
    expect(reply.kind === 'error' && reply.error.message).toMatch(message);
  });

  it('runs a method whose params pass the schema (defaults filled in)', async () => {
    const engine = inProcessEngine({ testHooks: true });
    expect(await engine.request({ id: 1, method: 'ping' })).toEqual({ id: 1, kind: 'result', result: { pid: process.pid } });
    const reply = await engine.request({ id: 2, method: 'test:count', params: { to: 1, everyMs: 1 } });
    expect(reply).toEqual({ id: 2, kind: 'event', event: { stage: 'count', done: 1, total: 1 } });
  });

  it('refuses unknown methods, prototype names and test hooks when they are off', async () => {
    const engine = inProcessEngine({ testHooks: false });
    for (const method of ['rm -rf /', '__proto__', 'constructor', 'test:crash']) {
      const reply = await engine.request({ id: 3, method, params: { code: 1 } });
      expect(reply, method).toMatchObject({ kind: 'error', error: { code: 'INVALID_MESSAGE', message: expect.stringMatching(/no method named/) } });
    }
  });

  it('implements exactly the contract: work methods in the table, built-ins in the loop, test hooks on demand', () => {
    const contract = Object.keys(ENGINE_PROTOCOL).sort();
    const builtins: readonly string[] = ENGINE_BUILTIN_METHODS;
    const hooks: readonly string[] = ENGINE_TEST_HOOK_METHODS;
    expect(Object.keys(engineMethods({ testHooks: false })).sort()).toEqual(contract.filter((m) => !builtins.includes(m) && !hooks.includes(m)));
    expect([...Object.keys(engineMethods({ testHooks: true })), ...builtins].sort()).toEqual(contract);
  });
});
