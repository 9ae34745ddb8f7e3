// The engine's message loop. Every message is validated against the protocol contract; a
// malformed or hostile one gets a typed error and the engine keeps serving. Requests run
// concurrently, each with its own AbortSignal (the built-in `cancel` method aborts one by id).
import { describeZodIssue } from '../../shared/contract-types.js';
import { ENGINE_PROTOCOL, isEngineMethodName, requestEnvelopeSchema, type EngineBuiltinMethod, type EngineMethodName, type EngineReply } from '../../shared/engine-protocol.js';
import { ApolloError, serializeError } from '../../shared/errors.js';
import { implementMethod, type EngineMethodImpl, type EngineMethodTable, type MethodContext } from './engine-rpc.js';

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

type AnyImpl = (params: unknown, ctx: MethodContext) => unknown;

export function serveEngine(transport: EngineTransport, methods: EngineMethodTable): void {
  const running = new Map<number, AbortController>();
  const builtins: { [M in EngineBuiltinMethod]: EngineMethodImpl<M> } = {
    ping: implementMethod('ping', () => ({ pid: process.pid })),
    cancel: implementMethod('cancel', ({ target }) => {
      const controller = running.get(target);
      controller?.abort(new ApolloError('CANCELLED'));
      return { cancelled: controller !== undefined };
    }),
    shutdown: implementMethod('shutdown', () => {
      for (const c of running.values()) c.abort(new ApolloError('CANCELLED'));
      setImmediate(() => transport.exit(0));
      return { bye: true };
    }),
  };
  const table: Partial<Record<EngineMethodName, AnyImpl>> = { ...methods, ...builtins } as Partial<Record<EngineMethodName, AnyImpl>>;
  const fail = (id: number | null, message: string) => transport.send({ id, kind: 'error', error: serializeError(new ApolloError('INVALID_MESSAGE', message)) });

  transport.onMessage((raw) => {
    const envelope = requestEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      fail(idOf(raw), `The engine rejected a malformed message (${envelope.error.issues[0]?.message ?? 'invalid'}).`);
      return;
    }
    const { id, method: name, params } = envelope.data;
    const run = isEngineMethodName(name) ? table[name] : undefined;
    if (!isEngineMethodName(name) || run === undefined) {
      fail(id, `The engine has no method named ${JSON.stringify(name.slice(0, 64))}.`);
      return;
    }
    if (running.has(id)) {
      fail(id, `Request id ${id} is already in use.`);
      return;
    }
    const parsed = ENGINE_PROTOCOL[name].params.safeParse(params);
    if (!parsed.success) {
      fail(id, `Invalid parameters for ${name}: ${describeZodIssue(parsed.error, 'params')}.`);
      return;
    }
    const controller = new AbortController();
    running.set(id, controller);
    const ctx: MethodContext = { signal: controller.signal, emit: (event) => transport.send({ id, kind: 'event', event }) };
    Promise.resolve()
      .then(() => run(parsed.data, ctx))
      .then(
        (result) => transport.send({ id, kind: 'result', result }),
        (error: unknown) => transport.send({ id, kind: 'error', error: serializeError(error) }),
      )
      .finally(() => running.delete(id));
  });
}
