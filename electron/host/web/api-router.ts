// A small method + path-pattern router for the web mode's /api (no framework needed for a dozen
// routes on loopback). Path params are ":name" segments, decoded and length-capped.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloError } from '../../shared/errors.js';
import { LIMITS } from '../../shared/limits.js';
import { isJsonContentType } from './web-token.js';

export type RouteHandler = (ctx: { req: IncomingMessage; res: ServerResponse; url: URL; params: Record<string, string> }) => Promise<void> | void;
/** For a GET route that may be reached without the token: whether the request carries its own capability. */
export type RouteCapability = (params: Record<string, string>, url: URL) => boolean;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
  capability?: RouteCapability;
}

export class ApiRouter {
  private readonly table: Route[] = [];

  add(method: 'GET' | 'POST' | 'PUT' | 'DELETE', pattern: string, handler: RouteHandler, options: { capability?: RouteCapability } = {}): this {
    if (options.capability !== undefined && method !== 'GET') throw new Error(`Only GET routes may take a capability instead of the token (${method} ${pattern}).`);
    this.table.push({ method, segments: pattern.split('/').filter(Boolean), handler, ...(options.capability ? { capability: options.capability } : {}) });
    return this;
  }

  /** Every route as "METHOD pattern" (for tests and docs). */
  routes(): string[] {
    return this.table.map((r) => `${r.method} ${r.segments.join('/')}`);
  }

  /** Finds the handler for a request path below /api/, or throws a typed 404/405 error. */
  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string>; capability?: RouteCapability } {
    const parts = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.table) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i]!;
        if (seg.startsWith(':')) {
          let value: string;
          try {
            value = decodeURIComponent(parts[i]!);
          } catch {
            ok = false;
            break;
          }
          if (value.length > LIMITS.routeParamChars) ok = false;
          else params[seg.slice(1)] = value;
        } else if (seg !== parts[i]) ok = false;
      }
      if (!ok) continue;
      pathMatched = true;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params, ...(route.capability ? { capability: route.capability } : {}) };
    }
    throw new ApolloError('INVALID_ARGUMENT', pathMatched ? `Method ${method} is not allowed here.` : `Unknown API route /api/${parts.join('/')}.`, { details: { status: pathMatched ? 405 : 404 } });
  }
}

/**
 * Reads a JSON request body with a size cap (a hostile client cannot exhaust memory). A body must be
 * declared `application/json`: a form or text/plain body (what another page can send without a
 * preflight) is refused unread.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number = LIMITS.jsonBodyBytes): Promise<unknown> {
  const declared = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0');
  if (hasBody && !isJsonContentType(req.headers['content-type'])) {
    throw new ApolloError('INVALID_MESSAGE', 'The request body must be JSON sent as Content-Type: application/json.', { details: { status: 415 } });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new ApolloError('INVALID_MESSAGE', `The request body is larger than ${maxBytes} bytes.`, { details: { status: 413 } });
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApolloError('INVALID_MESSAGE', 'The request body is not valid JSON.', { details: { status: 400 } });
  }
}
