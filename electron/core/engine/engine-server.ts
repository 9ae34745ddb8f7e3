// The engine's message loop. Every message is validated; a malformed or hostile one gets a typed
// error and the engine keeps serving. Requests run concurrently, each with its own AbortSignal
// (the built-in `cancel` method aborts one by id).
import { z } from 'zod';
import { ApolloError, serializeError } from '../../shared/errors.js';
import { defineMethod, requestEnvelopeSchema, type EngineMethods, type EngineReply } from './engine-rpc.js';

export interface EngineTransport {
  send(message: EngineReply): void;
  onMessage(listener: (message: unknown) => void): void;
  exit(code: number): void;
}

function idOf(raw: unknown): number | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

export function serveEngine(transport: EngineTransport, methods: EngineMethods): void {
  const running = new Map<number, AbortController>();
  const builtins: EngineMethods = {
    ping: defineMethod(z.object({}).optional(), () => ({ pid: process.pid })),
    cancel: defineMethod(z.object({ target: z.number().int().nonnegative() }), ({ target }) => {
      const controller = running.get(target);
      controller?.abort(new ApolloError('CANCELLED'));
      return { cancelled: controller !== undefined };
    }),
    shutdown: defineMethod(z.object({}).optional(), () => {
      for (const c of running.values()) c.abort(new ApolloError('CANCELLED'));
      setImmediate(() => transport.exit(0));
      return { bye: true };
    }),
  };

  transport.onMessage((raw) => {
    const envelope = requestEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      transport.send({ id: idOf(raw), kind: 'error', error: serializeError(new ApolloError('INVALID_MESSAGE', `The engine rejected a malformed message (${envelope.error.issues[0]?.message ?? 'invalid'}).`)) });
      return;
    }
    const { id, method: name, params } = envelope.data;
    const method = Object.prototype.hasOwnProperty.call(builtins, name) ? builtins[name] : Object.prototype.hasOwnProperty.call(methods, name) ? methods[name] : undefined;
    if (method === undefined) {
      transport.send({ id, kind: 'error', error: serializeError(new ApolloError('INVALID_MESSAGE', `The engine has no method named ${JSON.stringify(name.slice(0, 64))}.`)) });
      return;
    }
    if (running.has(id)) {
      transport.send({ id, kind: 'error', error: serializeError(new ApolloError('INVALID_MESSAGE', `Request id ${id} is already in use.`)) });
      return;
    }
    const parsed = method.params.safeParse(params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      transport.send({ id, kind: 'error', error: serializeError(new ApolloError('INVALID_MESSAGE', `Invalid parameters for ${name}: ${issue ? `${issue.path.join('.') || 'params'} ${issue.message}` : 'invalid'}.`)) });
      return;
    }
    const controller = new AbortController();
    running.set(id, controller);
    const ctx = { signal: controller.signal, emit: (event: unknown) => transport.send({ id, kind: 'event', event }) };
    Promise.resolve()
      .then(() => method.run(parsed.data as never, ctx))
      .then(
        (result) => transport.send({ id, kind: 'result', result }),
        (error: unknown) => transport.send({ id, kind: 'error', error: serializeError(error) }),
      )
      .finally(() => running.delete(id));
  });
}
