// apollo-media://video/<id>: serves granted local videos to <video> with Range support (206/416).
// The handler answers Range itself: net.fetch of a file:// URL ignores Range, leaving the video
// unseekable, and file:// is never exposed to the renderer.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parseByteRange, videoContentType } from '../core/media/byte-range.js';
import type { GrantedFiles } from '../core/media/granted-files.js';

export const MEDIA_SCHEME = 'apollo-media';

/** Privileges for protocol.registerSchemesAsPrivileged: streaming media, no extra powers. */
export const MEDIA_SCHEME_PRIVILEGES = { standard: true, secure: true, stream: true, supportFetchAPI: true } as const;

export function mediaUrlFor(id: string): string {
  return `${MEDIA_SCHEME}://video/${encodeURIComponent(id)}`;
}

function body(path: string, start: number, end: number): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream<Uint8Array>;
}

export async function handleMediaRequest(request: Request, files: GrantedFiles): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
  const url = new URL(request.url);
  if (url.host !== 'video') return new Response(null, { status: 404 });
  const path = files.resolve(decodeURIComponent(url.pathname.replace(/^\//, '')));
  if (path === undefined) return new Response(null, { status: 404 });
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return new Response(null, { status: 404 });
    size = info.size;
  } catch {
    return new Response(null, { status: 404 });
  }
  const headers = new Headers({ 'accept-ranges': 'bytes', 'content-type': videoContentType(path), 'cache-control': 'no-store' });
  const range = parseByteRange(request.headers.get('range'), size);
  if (range.kind === 'unsatisfiable') {
    headers.set('content-range', `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  const [start, end, status] = range.kind === 'partial' ? [range.start, range.end, 206] : [0, size - 1, 200];
  headers.set('content-length', String(size === 0 ? 0 : end - start + 1));
  if (status === 206) headers.set('content-range', `bytes ${start}-${end}/${size}`);
  if (request.method === 'HEAD' || size === 0) return new Response(null, { status, headers });
  return new Response(body(path, start, end), { status, headers });
}
