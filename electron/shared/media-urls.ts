// Where the renderer loads a video and its clip thumbnails from, per host: the apollo-media:
// protocol in the desktop app, the web server's /api routes in web mode. Declared once for the
// hosts that serve these addresses and the renderer that uses them.
import { WEB_STREAM_ROUTES } from './app-contract.js';

export const MEDIA_SCHEME = 'apollo-media';

export function mediaUrlFor(videoId: string): string {
  return `${MEDIA_SCHEME}://video/${encodeURIComponent(videoId)}`;
}

export function thumbnailUrlFor(videoId: string, clipIndex: number): string {
  return `${MEDIA_SCHEME}://thumb/${encodeURIComponent(videoId)}/${clipIndex}`;
}

/** The query parameter that carries a video's media capability in web mode. */
export const MEDIA_CAPABILITY_PARAM = 'cap';

const withCapability = (url: string, capability: string | undefined) => (capability === undefined ? url : `${url}?${MEDIA_CAPABILITY_PARAM}=${encodeURIComponent(capability)}`);

/** Relative to the page, which web mode serves from its origin's root. */
export function webMediaUrlFor(videoId: string, capability?: string): string {
  return withCapability(`api/${WEB_STREAM_ROUTES.media.path.replace(':videoId', encodeURIComponent(videoId))}`, capability);
}

export function webThumbnailUrlFor(videoId: string, clipIndex: number, capability?: string): string {
  return withCapability(`api/${WEB_STREAM_ROUTES.thumbnail.path.replace(':videoId', encodeURIComponent(videoId)).replace(':clip', String(clipIndex))}`, capability);
}
