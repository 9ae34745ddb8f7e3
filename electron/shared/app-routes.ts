// How APP_API operations cross a boundary: argument validation (both hosts), and the mapping of an
// operation's positional arguments onto its web route (path segments and a JSON body), used by the
// web server to read a request and by the renderer's web client to write one.
import { APP_API, type AppArgsParsed, type AppOperation, type WebRoute } from './app-contract.js';
import { describeZodIssue } from './contract-types.js';
import { ApolloError } from './errors.js';

/** Validates an operation's arguments against the contract; a typed INVALID_MESSAGE otherwise. */
export function parseAppArgs<K extends AppOperation>(operation: K, raw: readonly unknown[]): AppArgsParsed<K> {
  const parsed = APP_API[operation].args.safeParse(raw);
  if (parsed.success) return parsed.data as AppArgsParsed<K>;
  throw new ApolloError('INVALID_MESSAGE', `Invalid ${operation} request: ${describeZodIssue(parsed.error, 'arguments')}.`, { details: { status: 400 } });
}

function pathNames(route: WebRoute): string[] {
  return route.path
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1));
}

/** The positional arguments carried by a request to `route` (path parameters, then body fields). */
export function webRouteArgs(route: WebRoute, params: Record<string, string>, body: unknown): unknown[] {
  if (route.bodyArg !== undefined) return route.names.map((name) => (name === route.bodyArg ? body : params[name]));
  const inPath = new Set(pathNames(route));
  const fields = route.names.filter((name) => !inPath.has(name));
  if (fields.length === 0) return route.names.map((name) => params[name]);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApolloError('INVALID_MESSAGE', `This request needs a JSON body with ${fields.join(', ')}.`, { details: { status: 400 } });
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !fields.includes(key));
  if (unknown !== undefined) throw new ApolloError('INVALID_MESSAGE', `Invalid request: unknown field ${JSON.stringify(unknown.slice(0, 64))}; send only ${fields.join(', ')}.`, { details: { status: 400 } });
  return route.names.map((name) => (inPath.has(name) ? params[name] : record[name]));
}

/** The path (below /api/) and JSON body of a request to `route` with these arguments. */
export function webRouteRequest(route: WebRoute, args: readonly unknown[]): { path: string; body?: unknown } {
  const value = (name: string) => args[route.names.indexOf(name)];
  const inPath = new Set(pathNames(route));
  const path = route.path
    .split('/')
    .map((s) => (s.startsWith(':') ? encodeURIComponent(String(value(s.slice(1)))) : s))
    .join('/');
  if (route.bodyArg !== undefined) return { path, body: value(route.bodyArg) };
  const fields = route.names.filter((name) => !inPath.has(name));
  return fields.length === 0 ? { path } : { path, body: Object.fromEntries(fields.map((name) => [name, value(name)])) };
}
