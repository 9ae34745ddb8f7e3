// Web mode: the same renderer and API served to a browser on loopback, for headless GPU boxes and
// for the end-to-end tests. Every request must carry the session token: in the address of the page
// and of its event stream, as a Bearer header on API calls, or (media and thumbnails only) a
// per-video capability; no cookie. Requests from another origin are refused (web-token.ts).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { extname, join, normalize, sep } from 'node:path';
import { ApolloError, serializeError } from '../../shared/errors.js';
import { rendererContentSecurityPolicy } from '../media/content-security.js';
import { staticContentType } from '../media/content-types.js';
import { httpStatusFor } from '../media/http-status.js';
import type { ApiRouter } from './api-router.js';
import { createSessionToken, fromOwnPage, hasBearerToken, hasQueryToken } from './web-token.js';

/** The event stream: an EventSource cannot send headers, so it carries the token in its address. */
const EVENTS_PATH = '/api/events';

/** Web mode serves the renderer with the shared policy (its media comes from /api, i.e. 'self'). */
export const WEB_CSP = rendererContentSecurityPolicy();

export interface WebServerOptions {
  host?: string;
  port?: number;
  token?: string;
  rendererDir: string;
  /** Routes under /api/. */
  router?: ApiRouter;
}

export interface RunningWebServer {
  server: Server;
  token: string;
  origin: string;
  /** The address to open: includes the token once. */
  url: string;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, error: unknown): void {
  sendJson(res, status, { error: serializeError(error) });
}

/** Sends a web-standard Response (the shared media server's) as this Node response. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body === null) {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res).catch(() => res.destroy());
}

function allowedHost(hostHeader: string | undefined, port: number): boolean {
  // Refuses DNS-rebinding: only loopback names with our port are accepted.
  if (hostHeader === undefined) return false;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(hostHeader.toLowerCase());
}

function serveStatic(rendererDir: string, pathname: string, res: ServerResponse): void {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    sendError(res, 400, new ApolloError('INVALID_ARGUMENT', 'The address is malformed.'));
    return;
  }
  const target = normalize(join(rendererDir, rel === '/' ? 'index.html' : rel));
  if (target !== rendererDir && !target.startsWith(rendererDir + sep)) {
    sendError(res, 404, new ApolloError('FILE_NOT_FOUND', 'Not found.'));
    return;
  }
  let file = target;
  if (!existsSync(file) || !statSync(file).isFile()) {
    // Client-side routes fall back to the app shell; missing assets are 404s.
    if (extname(rel) !== '') {
      sendError(res, 404, new ApolloError('FILE_NOT_FOUND', 'Not found.'));
      return;
    }
    file = join(rendererDir, 'index.html');
  }
  res.writeHead(200, {
    'content-type': staticContentType(file),
    'cache-control': extname(file) === '.html' ? 'no-store' : 'private, max-age=3600',
  });
  createReadStream(file).pipe(res);
}

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createSessionToken();
  const rendererDir = normalize(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) throw new ApolloError('NOT_BUILT', undefined, { details: { rendererDir } });
  let port = options.port ?? 0;

  const server = createServer((req, res) => {
    res.setHeader('content-security-policy', WEB_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    res.setHeader('x-frame-options', 'DENY');
    if (!allowedHost(req.headers.host, port)) {
      sendError(res, 403, new ApolloError('UNAUTHORIZED', 'This server only answers on its loopback address.'));
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const method = req.method ?? 'GET';
    const safe = method === 'GET' || method === 'HEAD';
    const isApi = url.pathname.startsWith('/api/');
    if ((isApi || !safe) && !fromOwnPage(req, port)) {
      sendError(res, 403, new ApolloError('UNAUTHORIZED', 'This server only answers its own page; a request from another site or port was refused.'));
      return;
    }
    // The app's code and styles are public build files (the same for everyone), and the page's
    // <script> and <link> tags cannot carry the token.
    if (safe && !isApi && url.pathname.startsWith('/assets/')) {
      serveStatic(rendererDir, url.pathname, res);
      return;
    }
    const tokenOk = hasBearerToken(req, token) || (safe && (!isApi || url.pathname === EVENTS_PATH) && hasQueryToken(url, token));
    if (isApi) {
      Promise.resolve()
        .then(() => {
          if (options.router === undefined) throw new ApolloError('INVALID_ARGUMENT', 'This server has no API.', { details: { status: 404 } });
          let found;
          try {
            found = options.router.match(method, url.pathname.slice('/api/'.length));
          } catch (error) {
            // Unknown routes look the same as refused ones to a caller without the token.
            if (!tokenOk) throw new ApolloError('UNAUTHORIZED', undefined, { details: { status: 401 } });
            throw error;
          }
          const { handler, params, capability } = found;
          if (!tokenOk && !(safe && capability !== undefined && capability(params, url))) throw new ApolloError('UNAUTHORIZED', undefined, { details: { status: 401 } });
          return handler({ req, res, url, params });
        })
        .catch((error: unknown) => {
          if (!res.headersSent) sendError(res, httpStatusFor(error), error);
          else res.destroy();
        });
      return;
    }
    if (!tokenOk) {
      sendError(res, 401, new ApolloError('UNAUTHORIZED'));
      return;
    }
    if (!safe) {
      sendError(res, 405, new ApolloError('INVALID_ARGUMENT', 'Method not allowed.'));
      return;
    }
    serveStatic(rendererDir, url.pathname, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    token,
    origin,
    url: `${origin}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
