// The web mode's session credential and the checks every request passes (web-server.ts).
//
// - The token is random, compared in constant time, and travels only where no other origin can
//   read or send it: the Authorization header of the page's own fetch/XHR calls (a cross-origin
//   page cannot set that header without a CORS preflight, which this server never grants), and the
//   address of the page itself and of its event stream. No cookie: cookies are not isolated by
//   port, so any other server on 127.0.0.1 would receive a token cookie with every request the
//   browser makes to it.
// - Media and thumbnails, which <video> and <img> load without headers, carry a per-video expiring
//   capability instead (media-capability.ts).
// - Origin and Sec-Fetch-Site: every /api request and every state-changing request from a browser
//   must come from this server's own page; another site's page (another port counts) is refused
//   even before the token is looked at.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function createSessionToken(): string {
  return randomBytes(24).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Whether the request carries the token as `Authorization: Bearer <token>`. */
export function hasBearerToken(req: IncomingMessage, token: string): boolean {
  const auth = req.headers.authorization;
  return auth !== undefined && auth.startsWith('Bearer ') && safeEqual(auth.slice(7), token);
}

/** Whether the address carries the token (`?token=`): only the page and its event stream use this. */
export function hasQueryToken(url: URL, token: string): boolean {
  const q = url.searchParams.get('token');
  return q !== null && safeEqual(q, token);
}

/** The origins this server's own page can have (the Host check allows the same three names). */
export function ownOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
}

/**
 * Whether a browser request comes from this server's own page. A browser sends Origin on every
 * cross-origin request and on same-origin ones that change state, and Sec-Fetch-Site on all of
 * them; a client that sends neither is not a browser page (a script with the Bearer token).
 */
export function fromOwnPage(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && !ownOrigins(port).includes(origin.toLowerCase())) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  return true;
}

/** Whether a request body is declared as JSON (`application/json`, with or without parameters). */
export function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && header.split(';')[0]!.trim().toLowerCase() === 'application/json';
}
