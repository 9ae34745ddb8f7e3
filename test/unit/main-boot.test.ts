// Boots the built Electron main (dist/main.mjs) under plain Node with `electron` replaced by a
// recording stand-in (test/fixtures/fake-electron): the wiring at Electron's edge, checked without
// an Electron binary.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPER_OVERRIDES_BUILD, dropDeveloperOverrides } from '../../electron/main/developer-overrides.js';
import { ipcChannelOf, IPC_OPERATIONS } from '../../electron/shared/app-contract.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

interface BootReport {
  schemes: Array<{ scheme: string; privileges: Record<string, boolean> }>;
  protocols: string[];
  ipcChannels: string[];
  windows: Array<{ webPreferences: Record<string, unknown>; guards: string[]; windowOpen: unknown; url: string }>;
  menu: string[];
  permissionHandlers: number;
  events: string[];
  served: { status: number; csp: string; body: string; escapeStatus: number };
  overrides: Record<string, string | null>;
}

async function boot(env: NodeJS.ProcessEnv = {}): Promise<BootReport> {
  const dir = makeTempDir('main-boot');
  const reportPath = join(dir, 'report.json');
  const child = spawn(process.execPath, ['--import', './test/fixtures/fake-electron/register.mjs', 'dist/main.mjs'], {
    cwd: repoRoot,
    env: { ...process.env, FAKE_ELECTRON_REPORT: reportPath, FAKE_ELECTRON_USERDATA: join(dir, 'userData'), ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  while (!existsSync(reportPath) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  child.kill();
  return JSON.parse(readFileSync(reportPath, 'utf8')) as BootReport;
}

describe('developer overrides in the packaged app', () => {
  const overrides = { APOLLO_NATIVE_PATH: '/tmp/evil.node', APOLLO_FFMPEG_PATH: '/tmp/evil-ffmpeg', APOLLO_FFPROBE_PATH: '/tmp/evil-ffprobe', APOLLO_ENGINE_TEST_HOOKS: '1' };

  it('are dropped at start when packaged (a default build), so neither main nor the engine it starts sees them', async () => {
    const report = await boot({ ...overrides, FAKE_ELECTRON_PACKAGED: '1' });
    expect(report.overrides).toEqual({ APOLLO_NATIVE_PATH: null, APOLLO_FFMPEG_PATH: null, APOLLO_FFPROBE_PATH: null, APOLLO_ENGINE_TEST_HOOKS: null });
  });

  it('are kept in a packaged app only when it was built with the development flag', () => {
    const env: NodeJS.ProcessEnv = { ...overrides, PATH: '/usr/bin' };
    expect(dropDeveloperOverrides(env, { packaged: true, allowed: true })).toEqual([]);
    expect(env).toEqual({ ...overrides, PATH: '/usr/bin' });
    expect(DEVELOPER_OVERRIDES_BUILD).toBe(false);
    expect(dropDeveloperOverrides(env, { packaged: true }).sort()).toEqual(Object.keys(overrides).sort());
    expect(env).toEqual({ PATH: '/usr/bin' });
  });

  it('are kept when running from the checkout (not packaged)', async () => {
    const report = await boot(overrides);
    expect(report.overrides).toEqual(overrides);
  });
});

describe('Electron main boot (Electron faked at the edge)', () => {
  let report: BootReport;

  beforeAll(async () => {
    report = await boot();
  });

  it('opens one secure window on the app scheme, never file://', () => {
    expect(report.windows).toHaveLength(1);
    const [win] = report.windows;
    expect(win!.url).toBe('app://apollo/index.html');
    expect(win!.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(String(win!.webPreferences.preload)).toMatch(/dist[/\\]preload\.cjs$/);
    expect(win!.guards).toEqual(expect.arrayContaining(['will-navigate', 'will-redirect', 'will-attach-webview']));
    expect(win!.windowOpen).toEqual({ action: 'deny' });
  });

  it('registers the app and media schemes (media streams) and handles both', () => {
    expect(report.schemes.map((s) => s.scheme)).toEqual(['app', 'apollo-media']);
    expect(report.schemes[1]!.privileges.stream).toBe(true);
    expect(report.protocols.sort()).toEqual(['apollo-media', 'app']);
  });

  it('handles every declared IPC channel, denies permissions, builds the menu', () => {
    expect(report.ipcChannels.sort()).toEqual(IPC_OPERATIONS.map(ipcChannelOf).sort());
    expect(report.permissionHandlers).toBe(2);
    expect(report.menu).toEqual(['File', 'Edit', 'View', 'Help']);
    expect(report.events).toEqual(expect.arrayContaining(['second-instance', 'web-contents-created', 'window-all-closed']));
  });

  it('serves the renderer through its own protocol with the CSP, and nothing outside it', () => {
    expect(report.served.status).toBe(200);
    expect(report.served.body).toMatch(/^<!doctype html>/i);
    expect(report.served.csp).toMatch(/script-src 'self'/);
    expect(report.served.csp).not.toMatch(/unsafe/);
    expect(report.served.escapeStatus).toBe(404);
  });
});
