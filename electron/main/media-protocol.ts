// apollo-media://video/<id> and apollo-media://thumb/<id>/<clip>: Electron's door to the shared
// media server (electron/host/media/media-server.ts). The server answers Range itself: net.fetch
// of a file:// URL ignores Range, leaving the video unseekable, and file:// is never exposed to
// the renderer.
import { errorResponse } from '../host/media/http-status.js';
import { serveThumbnail, serveVideo, type MediaLibrary } from '../host/media/media-server.js';
import { ApolloError } from '../shared/errors.js';

export { MEDIA_SCHEME, mediaUrlFor, thumbnailUrlFor } from '../shared/media-urls.js';

/** Privileges for protocol.registerSchemesAsPrivileged: streaming media, no extra powers. */
export const MEDIA_SCHEME_PRIVILEGES = { standard: true, secure: true, stream: true, supportFetchAPI: true } as const;

export async function handleMediaRequest(request: Request, library: MediaLibrary): Promise<Response> {
  const url = new URL(request.url);
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    segments = [];
  }
  if (url.host === 'video' && segments.length === 1) return serveVideo(library, segments[0]!, { method: request.method, range: request.headers.get('range') });
  if (url.host === 'thumb' && segments.length === 2) return serveThumbnail(library, segments[0]!, segments[1]);
  return errorResponse(new ApolloError('FILE_NOT_FOUND', 'There is nothing at this media address.'));
}
