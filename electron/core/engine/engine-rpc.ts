// The engine's wire protocol: requests {id, method, params}; replies are zero or more events
// {id, kind: 'event'}, then one {id, kind: 'result'} or {id, kind: 'error'}. Methods declare a zod
// schema for their params, so every message is validated where it enters the engine.
import { z, type ZodType } from 'zod';
import type { SerializedError } from '../../shared/errors.js';

export const MAX_REQUEST_ID = 2 ** 31 - 1;

export const requestEnvelopeSchema = z.object({
  id: z.number().int().nonnegative().max(MAX_REQUEST_ID),
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

export type RequestEnvelope = z.infer<typeof requestEnvelopeSchema>;

export type EngineReply =
  | { id: number; kind: 'event'; event: unknown }
  | { id: number; kind: 'result'; result: unknown }
  | { id: number | null; kind: 'error'; error: SerializedError };

export interface MethodContext {
  signal: AbortSignal;
  /** Streams an event (progress, token…) to the caller of this request. */
  emit(event: unknown): void;
}

export interface EngineMethod<P = unknown, R = unknown> {
  params: ZodType<P>;
  run(params: P, ctx: MethodContext): Promise<R> | R;
}

/** Declares a method with its params schema; keeps the handler's param type tied to the schema. */
export function defineMethod<P, R>(params: ZodType<P>, run: (params: P, ctx: MethodContext) => Promise<R> | R): EngineMethod<P, R> {
  return { params, run };
}

/** A method of any params type, as stored in a method table (params are checked by its schema). */
export interface AnyEngineMethod {
  params: ZodType<unknown>;
  run(params: never, ctx: MethodContext): Promise<unknown> | unknown;
}

export type EngineMethods = Record<string, AnyEngineMethod>;
