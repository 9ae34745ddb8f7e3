// Electron main's IPC layer with Electron faked at the edge: a real AppService and a real engine
// process behind it; hostile renderer messages must be refused with typed errors.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppService } from '../../electron/host/app/app-service.js';
import { EngineClient, nodeEngineLauncher } from '../../electron/host/engine-client/engine-client.js';
import { buildAppMenu, videoPathFromArgv, type MenuItem } from '../../electron/main/app-menu.js';
import { registerIpcHandlers, type IpcMainLike } from '../../electron/main/ipc-handlers.js';
import { utilityEngineLauncher, type UtilityProcessLike } from '../../electron/main/utility-engine-launcher.js';
import { APP_ORIGIN } from '../../electron/main/window-security.js';
import { APP_API, ipcChannelOf, IPC_OPERATIONS, type IpcOperation } from '../../electron/shared/app-contract.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

type Listener = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, listener: Listener): void {
    this.handlers.set(channel, listener);
  }
  invoke(operation: IpcOperation, args: unknown[], url: string | null = `${APP_ORIGIN}/index.html`) {
    const h = this.handlers.get(ipcChannelOf(operation));
    if (!h) throw new Error(`no handler for ${operation}`);
    return Promise.resolve(h({ senderFrame: url === null ? null : { url } }, ...args)) as Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>;
  }
}

describe('main process IPC', () => {
  const ipc = new FakeIpcMain();
  let engine: EngineClient;
  let videoPath: string;
  let picked: string | undefined;

  beforeAll(async () => {
    const dir = makeTempDir('main-ipc');
    videoPath = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
    engine = new EngineClient(nodeEngineLauncher({ enginePath: join(repoRoot, 'dist', 'engine.mjs') }));
    const app = new AppService({ dataDir: join(dir, 'userData'), engine, mediaUrlFor: (id) => `apollo-media://video/${id}` });
    await app.init();
    registerIpcHandlers(ipc, app, { version: '9.9.9', pickVideoPath: async () => picked, saveMarkdown: async () => true });
  });
  afterAll(() => engine.shutdown());

  it('registers a handler for exactly the contract IPC channels', () => {
    const expected = Object.values(APP_API).flatMap((op) => (op.ipc === undefined ? [] : [op.ipc]));
    expect(expected.length).toBe(IPC_OPERATIONS.length);
    expect([...ipc.handlers.keys()].sort()).toEqual(expected.sort());
  });

  it('refuses calls from any other origin', async () => {
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', null, 'app://apollo.evil/']) {
      const r = await ipc.invoke('hostInfo', [], url);
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe('UNAUTHORIZED');
    }
    expect(await ipc.invoke('hostInfo', [])).toEqual({ ok: true, value: { host: 'electron', version: '9.9.9', demo: false, modelReady: false } });
  });

  it('validates arguments: wrong types, huge strings, extra arguments', async () => {
    const cases: Array<[IpcOperation, unknown[]]> = [
      ['analyzeVideo', [42]],
      ['analyzeVideo', ['x'.repeat(10_000)]],
      ['ask', ['id', 'q'.repeat(100_000)]],
      ['ask', ['id']],
      ['hostInfo', ['unexpected']],
      ['updateSettings', ['not an object']],
      ['openDroppedPath', [{ path: '/etc/passwd' }]],
    ];
    for (const [channel, args] of cases) {
      const r = await ipc.invoke(channel, args);
      expect(r.ok, channel).toBe(false);
      expect(r.error?.code, channel).toBe('INVALID_MESSAGE');
    }
  });

  it('never resolves an id that was not granted (no path can be smuggled in)', async () => {
    const r = await ipc.invoke('analyzeVideo', ['/etc/passwd']);
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/not open/);
  });

  it('opens a picked video and analyzes it through the engine', async () => {
    picked = undefined;
    expect(await ipc.invoke('pickVideo', [])).toEqual({ ok: true, value: null });
    picked = videoPath;
    const opened = await ipc.invoke('pickVideo', []);
    expect(opened.ok).toBe(true);
    const video = opened.value as { id: string; name: string; mediaUrl: string };
    expect(video.name).toBe('clip.mp4');
    expect(JSON.stringify(video)).not.toContain(videoPath);
    const analysis = await ipc.invoke('analyzeVideo', [video.id]);
    expect(analysis.ok).toBe(true);
    expect((analysis.value as { clips: unknown[] }).clips).toHaveLength(2);
  });

  it('rejects invalid settings with a typed error and keeps valid ones', async () => {
    const bad = await ipc.invoke('updateSettings', [{ temperature: -1 }]);
    expect(bad.error?.code).toBe('INVALID_ARGUMENT');
    const unknownKey = await ipc.invoke('updateSettings', [{ nodeIntegration: true }]);
    expect(unknownKey.error?.code).toBe('INVALID_ARGUMENT');
    const good = await ipc.invoke('updateSettings', [{ temperature: 0.2 }]);
    expect((good.value as { temperature: number }).temperature).toBe(0.2);
  });
});

describe('application menu', () => {
  const actions = { openVideo: () => {}, openRecent: () => {}, exportChat: () => {}, showAbout: () => {}, openLogsFolder: () => {} };
  const labels = (items: MenuItem[]) => items.map((i) => i.label ?? i.role);

  it('has File (Open Video…, Open Recent, Export Chat…, Quit), Edit, View, Help', () => {
    const menu = buildAppMenu('linux', [{ path: '/v/a.mp4', name: 'a.mp4' }], actions);
    expect(labels(menu)).toEqual(['File', 'Edit', 'View', 'Help']);
    const file = menu[0]!.submenu!;
    expect(labels(file).filter(Boolean)).toEqual(['Open Video…', 'Open Recent', 'Export Chat…', 'quit']);
    expect(file[1]!.submenu![0]!.label).toBe('a.mp4');
    expect(labels(menu[3]!.submenu!)).toEqual(['About Apollo Desktop', 'Open Logs Folder']);
  });

  it('puts About in the app menu on macOS', () => {
    expect(labels(buildAppMenu('darwin', [], actions))[0]).toBe('Apollo Desktop');
  });

  it('finds a video path in a second instance argv', () => {
    expect(videoPathFromArgv(['/app/apollo', '--flag', '/home/me/film.MKV'])).toBe('/home/me/film.MKV');
    expect(videoPathFromArgv(['/app/apollo', 'notes.txt'])).toBeUndefined();
  });
});

describe('utilityProcess engine launcher', () => {
  it('adapts a utilityProcess to the engine client and reports its exit', () => {
    const listeners: Record<string, ((v: unknown) => void)[]> = { message: [], exit: [] };
    const posted: unknown[] = [];
    let killed = false;
    const fake: UtilityProcessLike = {
      postMessage: (m) => posted.push(m),
      on: ((event: 'message' | 'exit', l: (v: never) => void) => listeners[event]!.push(l as (v: unknown) => void)) as UtilityProcessLike['on'],
      kill: () => (killed = true),
      stderr: null,
    };
    let forkedWith: unknown[] = [];
    const child = utilityEngineLauncher((...args) => ((forkedWith = args), fake), '/app/dist/engine.mjs')();
    expect(forkedWith[0]).toBe('/app/dist/engine.mjs');
    child.send({ id: 1, method: 'ping' });
    expect(posted).toEqual([{ id: 1, method: 'ping' }]);
    const got: unknown[] = [];
    child.onMessage((m) => got.push(m));
    listeners.message![0]!({ id: 1, kind: 'result', result: {} });
    expect(got).toHaveLength(1);
    let exit: unknown;
    child.onExit((e) => (exit = e));
    listeners.exit![0]!(9);
    expect(exit).toEqual({ code: 9, signal: null, stderrTail: '' });
    child.kill();
    expect(killed).toBe(true);
  });

  it("starts the engine with onnxruntime's telemetry off, whatever the app's environment says", () => {
    let forkedEnv: NodeJS.ProcessEnv = {};
    const fake: UtilityProcessLike = { postMessage: () => undefined, on: (() => fake) as UtilityProcessLike['on'], kill: () => true, stderr: null };
    utilityEngineLauncher((_path, _args, options) => ((forkedEnv = options.env), fake), '/app/dist/engine.mjs', { PATH: '/usr/bin', ORT_DISABLE_TELEMETRY: '0' })();
    expect(forkedEnv.ORT_DISABLE_TELEMETRY).toBe('1');
    expect(forkedEnv.PATH).toBe('/usr/bin');
  });
});
