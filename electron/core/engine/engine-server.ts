// The engine's message loop: it answers typed messages; a bad message gets a typed error and the
// engine keeps serving.
import { z } from 'zod';
import { ApolloError, serializeError } from '../../shared/errors.js';

const requestSchema = z.discriminatedUnion('type', [
  z.object({ id: z.number().int().nonnegative(), type: z.literal('ping') }),
  z.object({ id: z.number().int().nonnegative(), type: z.literal('shutdown') }),
]);

export type EngineRequest = z.infer<typeof requestSchema>;

export interface EngineTransport {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  exit(code: number): void;
}

export function serveEngine(transport: EngineTransport): void {
  transport.onMessage((raw) => {
    const parsed = requestSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : null;
      transport.send({ id, type: 'error', error: serializeError(new ApolloError('INVALID_MESSAGE', `The engine rejected a malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}.`)) });
      return;
    }
    const request = parsed.data;
    switch (request.type) {
      case 'ping':
        transport.send({ id: request.id, type: 'pong', pid: process.pid });
        return;
      case 'shutdown':
        transport.send({ id: request.id, type: 'bye' });
        transport.exit(0);
        return;
    }
  });
}
