// The one media server of both hosts (Electron's apollo-media: protocol and web mode's /api):
// an opened video with HTTP Range support (seeking needs 206, a range past the end 416), and a
// clip's thumbnail for the filmstrip. Web-standard Request/Response, as Electron's protocol.handle
// uses; web mode pipes the Response into its Node response. Only granted ids resolve to files.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ApolloError } from '../../shared/errors.js';
import { parseByteRange } from './byte-range.js';
import { videoContentType } from './content-types.js';
import { errorResponse } from './http-status.js';

export interface MediaLibrary {
  /** The file behind an opened video's id; undefined for an id that was never granted. */
  pathOf(videoId: string): string | undefined;
  /** A small JPEG of one clip of an opened video. */
  thumbnail(videoId: string, clipIndex: number): Promise<Buffer>;
}

const notOpen = () => errorResponse(new ApolloError('FILE_NOT_FOUND', 'This video is not open; open it again.'));

function body(path: string, start: number, end: number): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream<Uint8Array>;
}

export async function serveVideo(library: MediaLibrary, videoId: string, request: { method: string; range: string | null | undefined }): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return errorResponse(new ApolloError('INVALID_ARGUMENT', `Method ${request.method} is not allowed here.`, { details: { status: 405 } }));
  const path = library.pathOf(videoId);
  if (path === undefined) return notOpen();
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return notOpen();
    size = info.size;
  } catch {
    return notOpen();
  }
  const headers = new Headers({ 'accept-ranges': 'bytes', 'content-type': videoContentType(path), 'cache-control': 'no-store' });
  const range = parseByteRange(request.range, size);
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

export async function serveThumbnail(library: MediaLibrary, videoId: string, clipText: string | undefined): Promise<Response> {
  const clip = Number(clipText);
  if (clipText === undefined || !/^\d{1,6}$/.test(clipText) || !Number.isSafeInteger(clip)) {
    return errorResponse(new ApolloError('INVALID_ARGUMENT', 'A thumbnail address needs a clip number (0, 1, 2, …).', { details: { status: 404 } }));
  }
  try {
    const jpeg = await library.thumbnail(videoId, clip);
    return new Response(new Uint8Array(jpeg), { headers: { 'content-type': 'image/jpeg', 'content-length': String(jpeg.length), 'cache-control': 'private, max-age=86400' } });
  } catch (error) {
    return errorResponse(error);
  }
}
