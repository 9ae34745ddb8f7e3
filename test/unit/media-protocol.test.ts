// The shared media server behind Electron's apollo-media: protocol (and web mode's /api/media),
// with real files and web-standard Request/Response (Electron's protocol.handle uses the same
// types); no Electron needed.
import { openSync, closeSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseByteRange } from '../../electron/host/media/byte-range.js';
import { GrantedFiles } from '../../electron/host/media/granted-files.js';
import type { MediaLibrary } from '../../electron/host/media/media-server.js';
import { ApolloError } from '../../electron/shared/errors.js';
import { handleMediaRequest, mediaUrlFor, thumbnailUrlFor } from '../../electron/main/media-protocol.js';
import { makeTempDir } from '../helpers/paths.js';

describe('parseByteRange', () => {
  it.each([
    [null, 100, { kind: 'full' }],
    ['bytes=0-', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=10-19', 100, { kind: 'partial', start: 10, end: 19 }],
    ['bytes=90-200', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=5-1', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
    ['bytes=abc', 100, { kind: 'full' }],
    ['bytes=0-1,5-6', 100, { kind: 'partial', start: 0, end: 1 }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
  ] as const)('%s of %d bytes', (header, size, expected) => {
    expect(parseByteRange(header, size)).toEqual(expected);
  });
});

describe('apollo-media protocol', () => {
  const files = new GrantedFiles();
  let id: string;
  let bigId: string;
  const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
  const library: MediaLibrary = {
    pathOf: (videoId) => files.resolve(videoId),
    thumbnail: async (videoId, clip) => {
      if (files.resolve(videoId) === undefined) throw new ApolloError('INVALID_ARGUMENT', 'This video is not open any more; open it again.', { details: { status: 404 } });
      if (clip > 2) throw new ApolloError('INVALID_ARGUMENT', `This video has no clip ${clip}.`, { details: { status: 404 } });
      return jpeg;
    },
  };

  beforeAll(() => {
    const dir = makeTempDir('media');
    const path = join(dir, 'clip.mp4');
    writeFileSync(path, content);
    id = files.grant(path);
    // A sparse 5 GB file: seeking past 4 GB must work.
    const big = join(dir, 'big.webm');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 5 * 1024 ** 3);
    closeSync(fd);
    bigId = files.grant(big);
  });

  const get = (url: string, range?: string, method = 'GET') => handleMediaRequest(new Request(url, { method, headers: range ? { range } : {} }), library);

  it('serves the whole file with Accept-Ranges', async () => {
    const r = await get(mediaUrlFor(id));
    expect(r.status).toBe(200);
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await r.arrayBuffer()).equals(content)).toBe(true);
  });

  it('answers a Range with 206 and exactly those bytes', async () => {
    const r = await get(mediaUrlFor(id), 'bytes=100-199');
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(r.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await r.arrayBuffer()).equals(content.subarray(100, 200))).toBe(true);
  });

  it('answers an unsatisfiable Range with 416 and the size', async () => {
    const r = await get(mediaUrlFor(id), 'bytes=5000-');
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe('bytes */1000');
  });

  it('seeks beyond 4 GB in a large file', async () => {
    const start = 4 * 1024 ** 3 + 123;
    const r = await get(mediaUrlFor(bigId), `bytes=${start}-${start + 9}`);
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes ${start}-${start + 9}/${5 * 1024 ** 3}`);
    expect((await r.arrayBuffer()).byteLength).toBe(10);
  });

  it('HEAD has headers and no body', async () => {
    const r = await get(mediaUrlFor(id), undefined, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe('1000');
  });

  it('refuses ids that were never granted, forged paths and other methods', async () => {
    expect((await get('apollo-media://video/not-an-id')).status).toBe(404);
    expect((await get('apollo-media://video/%2Fetc%2Fpasswd')).status).toBe(404);
    expect((await get(`apollo-media://other/${id}`)).status).toBe(404);
    expect((await handleMediaRequest(new Request(mediaUrlFor(id), { method: 'POST', body: 'x' }), library)).status).toBe(405);
  });

  it('serves clip thumbnails as JPEG, and a typed 404 for unknown clips, videos and bad numbers', async () => {
    const ok = await get(thumbnailUrlFor(id, 1));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await ok.arrayBuffer()).equals(jpeg)).toBe(true);
    for (const url of [thumbnailUrlFor(id, 9), thumbnailUrlFor('not-an-id', 0), `apollo-media://thumb/${id}/-1`, `apollo-media://thumb/${id}/1e3`, `apollo-media://thumb/${id}`]) {
      const r = await get(url);
      expect(r.status, url).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code, url).toMatch(/INVALID_ARGUMENT|FILE_NOT_FOUND/);
    }
  });

  it('grants are idempotent and revocable', () => {
    const g = new GrantedFiles();
    const a = g.grant('/videos/a.mp4');
    expect(g.grant('/videos/a.mp4')).toBe(a);
    expect(g.resolve(a)).toBe('/videos/a.mp4');
    g.revoke(a);
    expect(g.resolve(a)).toBeUndefined();
    expect(g.resolve(42)).toBeUndefined();
  });
});
