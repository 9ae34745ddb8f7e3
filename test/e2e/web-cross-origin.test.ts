// Web mode's credential against another page on the same machine, in Debian's Chromium: the app is
// open in one tab (the real `apollo-chat serve`), and a page served from another loopback port, in
// the same browser, tries what the issue reproduced: read the token (a cookie would reach its own
// server too, since cookies are not isolated by port), and change state with no-cors POSTs (text
// bodies, an upload). It must get nothing and change nothing, while the app keeps working.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { makeTempDir } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const ATTACK = (target: string) => `<!doctype html><script>
(async () => {
  const t = ${JSON.stringify(target)};
  const results = {};
  const attempt = async (name, run) => { try { results[name] = await run(); } catch (e) { results[name] = 'failed: ' + e.message; } };
  await attempt('settings', () => fetch(t + '/api/settings', { method: 'PUT', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"temperature":1.9}' }).then((r) => r.type));
  await attempt('select', () => fetch(t + '/api/models/apollo-3b/select', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }).then((r) => r.type));
  await attempt('upload', () => fetch(t + '/api/videos', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'x-file-name': 'evil.mp4' }, body: new Blob([new Uint8Array(4096)]) }).then((r) => r.type));
  await attempt('read', () => fetch(t + '/api/health', { credentials: 'include' }).then((r) => r.text()));
  await attempt('readPage', () => fetch(t + '/', { credentials: 'include' }).then((r) => r.text()));
  // A form POST (a navigation, no preflight at all) into a frame.
  await attempt('form', () => new Promise((resolve) => {
    const frame = document.createElement('iframe'); frame.name = 'sink'; document.body.append(frame);
    const form = document.createElement('form'); form.method = 'POST'; form.enctype = 'text/plain'; form.target = 'sink';
    form.action = t + '/api/models/apollo-3b/select';
    const input = document.createElement('input'); input.name = '{"x":"'; input.value = '"}'; form.append(input); document.body.append(form);
    frame.onload = () => resolve('submitted'); form.submit();
  }));
  window.__results = results;
})();
</script>`;

describe('another page on this machine against web mode', () => {
  let browser: Browser;
  let serve: ServeProcess;
  let attacker: Server;
  let attackerOrigin: string;
  const cookiesSeen: string[] = [];

  beforeAll(async () => {
    const dir = makeTempDir('web-cross-origin');
    const video = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=10:duration=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video]);
    serve = await startServe(['--data-dir', join(dir, 'data'), video]);
    attacker = createServer((req, res) => {
      if (req.headers.cookie !== undefined) cookiesSeen.push(req.headers.cookie);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(ATTACK(serve.origin));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
    attacker?.close();
  });

  const api = async (path: string) => (await fetch(`${serve.origin}/api/${path}`, { headers: { authorization: `Bearer ${serve.token}` } })).json();

  it('gets no token and changes nothing, while the app open beside it keeps working', async () => {
    const context = await browser.newContext();
    const app = await context.newPage();
    await app.goto(serve.url);
    await app.getByTestId('filmstrip').waitFor({ timeout: 60_000 });
    const settingsBefore = await api('settings');
    // Each listing issues fresh media capabilities: compare what the videos are.
    const videoIds = async () => ((await api('videos')) as Array<{ id: string; name: string }>).map((v) => `${v.id} ${v.name}`);
    const videosBefore = await videoIds();

    const evil = await context.newPage();
    await evil.goto(`${attackerOrigin}/`);
    await evil.waitForFunction(() => (window as unknown as { __results?: unknown }).__results !== undefined, undefined, { timeout: 30_000 });
    const results = (await evil.evaluate(() => (window as unknown as { __results: Record<string, string> }).__results));
    // Reading across origins fails; nothing it received holds the token.
    expect(results.read).toMatch(/^failed/);
    expect(results.readPage).toMatch(/^failed/);
    expect(JSON.stringify(results)).not.toContain(serve.token);
    // The browser sent the attacker's server no token cookie (the app sets none).
    expect(cookiesSeen.join(';')).not.toContain(serve.token);
    expect((await context.cookies()).map((c) => c.value)).not.toContain(serve.token);
    // Nothing changed on the server.
    expect(await api('settings')).toEqual(settingsBefore);
    expect(await videoIds()).toEqual(videosBefore);
    expect(((await api('models')) as { selected?: string }).selected).toBeUndefined();

    // The app itself still loads its video and thumbnails (capabilities) and calls its API (Bearer).
    await app.reload();
    await app.getByTestId('filmstrip').waitFor({ timeout: 60_000 });
    await expect
      .poll(() => app.evaluate(() => [...document.querySelectorAll('[data-testid=clip] img')].every((i) => (i as HTMLImageElement).naturalWidth > 0)), { timeout: 30_000 })
      .toBe(true);
    expect(await app.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).src)).toMatch(/\/api\/media\/[^?]+\?cap=\d+\.[A-Za-z0-9_-]{43}$/);
    await context.close();
  }, 180_000);
});
