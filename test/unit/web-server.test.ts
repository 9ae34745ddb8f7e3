import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiRouter } from '../../electron/host/web/api-router.js';
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

  it('accepts the token in the query and sets an HttpOnly SameSite=Strict cookie', async () => {
    const r = await get(server.url);
    expect(r.status).toBe(200);
    expect(r.body).toContain('shell');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const again = await get(`${server.origin}/assets/app.js`, { cookie: cookie.split(';')[0]! });
    expect(again.status).toBe(200);
    expect(r.headers['content-security-policy']).toMatch(/script-src 'self'/);
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
