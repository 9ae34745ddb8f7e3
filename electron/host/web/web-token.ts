// The web mode's session token: random, required on every request, compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'apollo_token';

export function createSessionToken(): string {
  return randomBytes(24).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Where the request carried the token, or undefined when it did not carry the right one. */
export function tokenSource(req: IncomingMessage, url: URL, token: string): 'query' | 'header' | 'cookie' | undefined {
  const q = url.searchParams.get('token');
  if (q !== null && safeEqual(q, token)) return 'query';
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && safeEqual(auth.slice(7), token)) return 'header';
  const cookie = readCookie(req.headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined && safeEqual(cookie, token)) return 'cookie';
  return undefined;
}
