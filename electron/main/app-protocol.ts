// Serves the built renderer over app://apollo/ (never file://), with the CSP on every response.
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { staticContentType } from '../host/media/content-types.js';
import { RENDERER_CSP } from './window-security.js';

export async function serveRendererFile(rendererDir: string, requestUrl: string): Promise<Response> {
  const url = new URL(requestUrl);
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return new Response('bad request', { status: 400 });
  }
  const root = normalize(rendererDir);
  const target = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
  if (!target.startsWith(root + sep)) return new Response('not found', { status: 404 });
  try {
    const body = await readFile(target);
    return new Response(body, {
      status: 200,
      headers: { 'content-type': staticContentType(target), 'content-security-policy': RENDERER_CSP, 'x-content-type-options': 'nosniff' },
    });
  } catch {
    return new Response('not found', { status: 404 });
  }
}
