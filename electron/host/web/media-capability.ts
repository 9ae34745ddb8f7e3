// Web mode's media capabilities. A <video> or <img> element cannot send the session token in a
// header, and a token-bearing cookie would reach every other server on 127.0.0.1 (cookies are not
// isolated by port). So each opened video's media and thumbnail addresses carry their own
// capability instead: `<expiry>.<HMAC-SHA256(per-run key, video id, expiry)>`, unguessable, valid
// for that one video only and only until it expires. A fresh one is issued whenever the host hands
// out the video (open, list, analysis), so a reloaded page always gets a live one.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export { MEDIA_CAPABILITY_PARAM } from '../../shared/media-urls.js';
export const DEFAULT_CAPABILITY_TTL_MS = 12 * 60 * 60 * 1000;

export class MediaCapabilities {
  private readonly key: Buffer;

  constructor(
    private readonly ttlMs: number = DEFAULT_CAPABILITY_TTL_MS,
    private readonly now: () => number = Date.now,
    key?: Buffer,
  ) {
    this.key = key ?? randomBytes(32);
  }

  private mac(videoId: string, expiry: number): Buffer {
    return createHmac('sha256', this.key).update(`apollo-media\n${videoId}\n${expiry}`).digest();
  }

  /** A capability for one video's media and thumbnails. */
  issue(videoId: string): string {
    const expiry = Math.ceil((this.now() + this.ttlMs) / 1000);
    return `${expiry}.${this.mac(videoId, expiry).toString('base64url')}`;
  }

  /** Whether `capability` was issued by this run for `videoId` and has not expired. */
  verify(videoId: string, capability: string | null | undefined): boolean {
    if (typeof capability !== 'string') return false;
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(capability);
    if (match === null) return false;
    const expiry = Number(match[1]);
    if (expiry * 1000 <= this.now()) return false;
    const given = Buffer.from(match[2]!, 'base64url');
    const expected = this.mac(videoId, expiry);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
