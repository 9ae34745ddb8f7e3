// A small method + path-pattern router for the web mode's /api (no framework needed for a dozen
// routes on loopback). Path params are ":name" segments, decoded and length-capped.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloError } from '../../shared/errors.js';
import { LIMITS } from '../../shared/limits.js';

export type RouteHandler = (ctx: { req: IncomingMessage; res: ServerResponse; url: URL; params: Record<string, string> }) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

export class ApiRouter {
  private readonly table: Route[] = [];

  add(method: 'GET' | 'POST' | 'PUT' | 'DELETE', pattern: string, handler: RouteHandler): this {
    this.table.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** Every route as "METHOD pattern" (for tests and docs). */
  routes(): string[] {
    return this.table.map((r) => `${r.method} ${r.segments.join('/')}`);
  }

  /** Finds the handler for a request path below /api/, or throws a typed 404/405 error. */
  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string> } {
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
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params };
    }
    throw new ApolloError('INVALID_ARGUMENT', pathMatched ? `Method ${method} is not allowed here.` : `Unknown API route /api/${parts.join('/')}.`, { details: { status: pathMatched ? 405 : 404 } });
  }
}

/** Reads a JSON request body with a size cap (a hostile client cannot exhaust memory). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number = LIMITS.jsonBodyBytes): Promise<unknown> {
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
