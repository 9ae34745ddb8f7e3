// Main-process security with Electron's APIs faked at the edge (no Electron binary here).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveRendererFile } from '../../electron/main/app-protocol.js';
import { APP_ORIGIN, denyAllPermissions, guardNavigation, isTrustedSender, RENDERER_CSP, secureWebPreferences } from '../../electron/main/window-security.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

describe('window security', () => {
  it('uses the secure webPreferences', () => {
    const prefs = secureWebPreferences('/app/dist/preload.cjs');
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false });
  });

  it('denies navigation, redirects, webviews and new windows', () => {
    const listeners = new Map<string, (e: { preventDefault(): void }) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | undefined;
    guardNavigation({
      on: (event, listener) => listeners.set(event, listener),
      setWindowOpenHandler: (h) => (openHandler = h),
    });
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      let prevented = false;
      listeners.get(event)!({ preventDefault: () => (prevented = true) });
      expect(prevented, event).toBe(true);
    }
    expect(openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
  });

  it('denies every permission request and check', () => {
    let request: ((c: unknown, p: string, cb: (g: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    denyAllPermissions({ setPermissionRequestHandler: (h) => (request = h), setPermissionCheckHandler: (h) => (check = h) });
    let granted: boolean | undefined;
    request!({}, 'media', (g) => (granted = g));
    expect(granted).toBe(false);
    expect(check!()).toBe(false);
  });

  it('trusts IPC only from the app origin', () => {
    expect(isTrustedSender(`${APP_ORIGIN}/index.html`)).toBe(true);
    expect(isTrustedSender('https://evil.example/')).toBe(false);
    expect(isTrustedSender('file:///etc/passwd')).toBe(false);
    expect(isTrustedSender('app://apollo.evil/')).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
    expect(isTrustedSender('not a url')).toBe(false);
  });

  it('serves renderer files with the CSP and never outside the folder', async () => {
    const dir = makeTempDir('renderer');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<html></html>');
    writeFileSync(join(dir, '..', 'outside.txt'), 'no');
    const ok = await serveRendererFile(dir, `${APP_ORIGIN}/index.html`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(RENDERER_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    // The player and the filmstrip load from the media protocol (never file://).
    expect(RENDERER_CSP).toMatch(/media-src[^;]*apollo-media:/);
    expect(RENDERER_CSP).toMatch(/img-src[^;]*apollo-media:/);
    expect(RENDERER_CSP).not.toMatch(/file:/);
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(readFileSync(join(repoRoot, 'renderer', 'index.html'), 'utf8'))?.[1] ?? '';
    for (const directive of ['script-src', 'img-src', 'media-src', 'default-src']) {
      const pick = (csp: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(directive));
      expect(pick(meta), directive).toBe(pick(RENDERER_CSP));
    }
    expect((await serveRendererFile(dir, `${APP_ORIGIN}/../outside.txt`)).status).toBe(404);
    expect((await serveRendererFile(dir, `${APP_ORIGIN}/%2e%2e%2foutside.txt`)).status).toBe(404);
    expect((await serveRendererFile(dir, `${APP_ORIGIN}/%E0%A4%A`)).status).toBe(400);
  });
});
