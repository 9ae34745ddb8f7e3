// The engine side of the protocol in electron/shared/engine-protocol.ts: how a method is
// implemented. Params arrive validated against the contract's schema; a method's result and
// events are typed from the contract, so an implementation that drifts from it does not compile.
import type { EngineEvent, EngineMethodName, EngineParams, EngineResult, EngineTestHookMethod, EngineWorkMethod } from '../../shared/engine-protocol.js';

export interface MethodContext<E = unknown> {
  signal: AbortSignal;
  /** Streams an event (progress, token…) to the caller of this request. */
  emit(event: E): void;
}

export type EngineMethodImpl<M extends EngineMethodName> = (params: EngineParams<M>, ctx: MethodContext<EngineEvent<M>>) => Promise<EngineResult<M>> | EngineResult<M>;

/** Every work method of the contract, implemented; test hooks only where they are enabled. */
export type EngineMethodTable = { [M in EngineWorkMethod]: EngineMethodImpl<M> } & { [M in EngineTestHookMethod]?: EngineMethodImpl<M> };

/** Implements one contract method (the name ties the handler's types to the contract). */
export function implementMethod<M extends EngineMethodName>(_name: M, run: EngineMethodImpl<M>): EngineMethodImpl<M> {
  return run;
}
