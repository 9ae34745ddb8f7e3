// The one ApolloApi instance the stores' actions use (set once at start-up).
import type { ApolloApi } from '../api/apollo-api';

let api: ApolloApi | undefined;

export function setApi(instance: ApolloApi): void {
  api = instance;
}

export function getApi(): ApolloApi {
  if (api === undefined) throw new Error('ApolloApi not initialised');
  return api;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
