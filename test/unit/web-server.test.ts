import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiRouter, readJsonBody } from '../../electron/host/web/api-router.js';
import { MediaCapabilities } from '../../electron/host/web/media-capability.js';
import { startWebServer, type RunningWebServer } from '../../electron/host/web/web-server.js';
import { makeTempDir } from '../helpers/paths.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web mode server', () => {
  let server: RunningWebServer;
  let dir: string;
  beforeAll(async () => {
    dir = makeTempDir('web');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>shell</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, '..', 'secret.txt'), 'secret');
    server = await startWebServer({
      rendererDir: dir,
      router: new ApiRouter()
        .add('GET', 'health', ({ res }) => void res.end('{"ok":true}'))
        .add('GET', 'echo/:word', ({ res, params }) => void res.end(JSON.stringify(params))),
    });
  });
  afterAll(() => server.close());

  it('refuses requests without the token', async () => {
    const r = await get(`${server.origin}/`);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error.code).toBe('UNAUTHORIZED');
    expect((await get(`${server.origin}/api/health`)).status).toBe(401);
    expect((await get(`${server.origin}/?token=wrong`)).status).toBe(401);
    expect((await get(`${server.origin}/`, { authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('accepts the token in the page address and sets no cookie; a token cookie is not a credential', async () => {
    const r = await get(server.url);
    expect(r.status).toBe(200);
    expect(r.body).toContain('shell');
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['content-security-policy']).toMatch(/script-src 'self'/);
    // The app's public build files load without it (a <script> tag cannot carry a header).
    expect((await get(`${server.origin}/assets/app.js`)).status).toBe(200);
    // A cookie (which any other server on 127.0.0.1 would also receive) opens nothing.
    expect((await get(`${server.origin}/api/health`, { cookie: `apollo_token=${server.token}` })).status).toBe(401);
    expect((await get(`${server.origin}/`, { cookie: `apollo_token=${server.token}` })).status).toBe(401);
    // The token in an address opens the page, not the API (only the page's event stream uses it).
    expect((await get(`${server.origin}/api/health?token=${server.token}`)).status).toBe(401);
  });

  it('accepts a Bearer token for scripts and routes the API', async () => {
    const r = await get(`${server.origin}/api/health`, { authorization: `Bearer ${server.token}` });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ok: true });
  });

  it('routes path parameters, and answers unknown routes and methods with typed 404/405', async () => {
    const auth = { authorization: `Bearer ${server.token}` };
    expect(JSON.parse((await get(`${server.origin}/api/echo/h%C3%A9llo`, auth)).body)).toEqual({ word: 'héllo' });
    const missing = await get(`${server.origin}/api/nope`, auth);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('INVALID_ARGUMENT');
    expect((await get(`${server.origin}/api/echo/%E0%A4%A`, auth)).status).toBe(404);
  });

  it('refuses foreign Host headers (DNS rebinding) even with the token', async () => {
    const r = await get(server.url, { host: 'evil.example:80' });
    expect(r.status).toBe(403);
  });

  it('never serves files outside the renderer folder', async () => {
    const auth = { authorization: `Bearer ${server.token}` };
    expect((await get(`${server.origin}/..%2fsecret.txt`, auth)).status).toBe(404);
    expect((await get(`${server.origin}/%2e%2e/secret.txt`, auth)).status).toBe(404);
    expect((await get(`${server.origin}/missing.js`, auth)).status).toBe(404);
  });

  it('has a fresh random token per run', async () => {
    const other = await startWebServer({ rendererDir: dir });
    expect(other.token).not.toBe(server.token);
    expect(other.token.length).toBeGreaterThanOrEqual(32);
    await other.close();
  });
});

function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The attacks of a page on another origin (another loopback port included) against the session,
// each replayed with the headers a browser sends: it must neither use the token nor change state.
describe('web mode credential against other origins', () => {
  let server: RunningWebServer;
  let now = Date.now();
  const capabilities = new MediaCapabilities(60_000, () => now);
  const calls: unknown[] = [];
  beforeAll(async () => {
    const dir = makeTempDir('web-origin');
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>shell</title>');
    server = await startWebServer({
      rendererDir: dir,
      router: new ApiRouter()
        .add('POST', 'models/:spec/select', async ({ req, res, params }) => {
          calls.push({ spec: params.spec, body: await readJsonBody(req) });
          res.end('{}');
        })
        .add('GET', 'media/:videoId', ({ res, params }) => void res.end(`video ${params.videoId}`), { capability: (params, url) => capabilities.verify(params.videoId!, url.searchParams.get('cap')) }),
    });
  });
  afterAll(() => server.close());

  const port = () => new URL(server.origin).port;
  const bearer = () => ({ authorization: `Bearer ${server.token}` });
  const foreign = { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' };

  it('refuses a state-changing request from another origin, with or without the token', async () => {
    const before = calls.length;
    // A no-cors "simple" POST from a page on another port: text/plain body, no token.
    expect((await send(`${server.origin}/api/models/x%2Fy/select`, 'POST', { ...foreign, 'content-type': 'text/plain' }, '{}')).status).toBe(403);
    // Even a page that somehow had the token is refused by its origin.
    expect((await send(`${server.origin}/api/models/x%2Fy/select`, 'POST', { ...foreign, ...bearer(), 'content-type': 'application/json' }, '{}')).status).toBe(403);
    expect((await send(`${server.origin}/api/models/x%2Fy/select`, 'POST', { origin: 'null', ...bearer(), 'content-type': 'application/json' }, '{}')).status).toBe(403);
    expect((await send(`${server.origin}/api/models/x%2Fy/select`, 'POST', { 'sec-fetch-site': 'cross-site', ...bearer(), 'content-type': 'application/json' }, '{}')).status).toBe(403);
    // Reading through another origin is refused the same way.
    expect((await get(`${server.origin}/api/media/v1?cap=${capabilities.issue('v1')}`, foreign)).status).toBe(403);
    expect(calls.length).toBe(before);
  });

  it('accepts the same request from its own page, and refuses a body not declared as JSON', async () => {
    const own = { origin: `http://127.0.0.1:${port()}`, 'sec-fetch-site': 'same-origin', ...bearer() };
    const ok = await send(`${server.origin}/api/models/x%2Fy/select`, 'POST', { ...own, 'content-type': 'application/json' }, '{"a":1}');
    expect(ok.status).toBe(200);
    expect(calls.at(-1)).toEqual({ spec: 'x/y', body: { a: 1 } });
    const before = calls.length;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await send(`${server.origin}/api/models/x%2Fy/select`, 'POST', { ...own, 'content-type': type }, '{"a":1}');
      expect(r.status, type).toBe(415);
      expect(JSON.parse(r.body).error.message).toMatch(/application\/json/);
    }
    expect((await send(`${server.origin}/api/models/x%2Fy/select`, 'POST', { ...own }, '{"a":1}')).status).toBe(415);
    expect(calls.length).toBe(before);
  });

  it('media take a per-video, expiring capability that opens nothing else', async () => {
    const cap = capabilities.issue('v1');
    expect((await get(`${server.origin}/api/media/v1`)).status).toBe(401);
    const r = await get(`${server.origin}/api/media/v1?cap=${cap}`, { 'sec-fetch-site': 'same-origin' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('video v1');
    // Another video, a tampered or a forged capability, or another route: refused.
    expect((await get(`${server.origin}/api/media/v2?cap=${cap}`)).status).toBe(401);
    expect((await get(`${server.origin}/api/media/v1?cap=${cap.slice(0, -2)}AA`)).status).toBe(401);
    expect((await get(`${server.origin}/api/media/v1?cap=${new MediaCapabilities(60_000, () => now).issue('v1')}`)).status).toBe(401);
    expect((await get(`${server.origin}/api/media/v1?cap=${server.token}`)).status).toBe(401);
    expect((await send(`${server.origin}/api/models/x%2Fy/select?cap=${cap}`, 'POST', { 'content-type': 'application/json' }, '{}')).status).toBe(401);
    // Expired.
    now += 61_000;
    expect((await get(`${server.origin}/api/media/v1?cap=${cap}`)).status).toBe(401);
    expect((await get(`${server.origin}/api/media/v1?cap=${capabilities.issue('v1')}`)).status).toBe(200);
  });
});
