// Electron main: windows, menus, file access and IPC only. Model and video work lives in the engine
// (a utilityProcess running electron/engine); the app's state lives in the AppService (electron/host, plain Node).
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, utilityProcess } from 'electron';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppService } from '../host/app/app-service.js';
import { EngineClient } from '../host/engine-client/engine-client.js';
import { APP_EVENT_CHANNEL } from '../shared/app-contract.js';
import { serveRendererFile } from './app-protocol.js';
import { buildAppMenu, videoPathFromArgv } from './app-menu.js';
import { dropDeveloperOverrides } from './developer-overrides.js';
import { registerIpcHandlers } from './ipc-handlers.js';
import { handleMediaRequest, MEDIA_SCHEME, MEDIA_SCHEME_PRIVILEGES, mediaUrlFor } from './media-protocol.js';
import { utilityEngineLauncher, type UtilityFork } from './utility-engine-launcher.js';
import { APP_ORIGIN, APP_SCHEME, denyAllPermissions, guardNavigation, secureWebPreferences } from './window-security.js';

const distDir = join(fileURLToPath(import.meta.url), '..');

// Before anything reads them, and before the engine process inherits this environment.
dropDeveloperOverrides(process.env, { packaged: app.isPackaged });

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_SCHEME, privileges: MEDIA_SCHEME_PRIVILEGES },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let window: BrowserWindow | undefined;
  let service: AppService | undefined;
  const pendingOpen: string[] = [];

  const sendEvent = (event: unknown) => window?.webContents.send(APP_EVENT_CHANNEL, event);

  const openPath = async (path: string) => {
    if (service === undefined || window === undefined) {
      pendingOpen.push(path);
      return;
    }
    try {
      const video = await service.openVideo(path);
      sendEvent({ type: 'open-video', video });
      await refreshMenu();
    } catch (error) {
      sendEvent({ type: 'notice', level: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  };

  const refreshMenu = async () => {
    const recent = (await service?.videos.recent()) ?? [];
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildAppMenu(process.platform, recent, {
          openVideo: () => void pickAndOpen(),
          openRecent: (path) => void openPath(path),
          exportChat: () => sendEvent({ type: 'menu', action: 'export-chat' }),
          showAbout: () => void dialog.showMessageBox({ title: 'About Apollo Desktop', message: `Apollo Desktop ${app.getVersion()}`, detail: 'Chat with your videos, offline. The Apollo video language model runs on this machine.' }),
          openLogsFolder: () => void shell.openPath(app.getPath('logs')),
        }) as Parameters<typeof Menu.buildFromTemplate>[0],
      ),
    );
  };

  const pickVideoPath = async (): Promise<string | undefined> => {
    const result = await dialog.showOpenDialog(window!, { title: 'Open a video', properties: ['openFile'], filters: [{ name: 'Videos', extensions: ['mp4', 'm4v', 'mov', 'mkv', 'webm', 'avi', 'mpg', 'mpeg', 'ts', '3gp', 'ogv'] }] });
    return result.canceled ? undefined : result.filePaths[0];
  };

  const pickAndOpen = async () => {
    const path = await pickVideoPath();
    if (path !== undefined) await openPath(path);
  };

  app.on('second-instance', (_event, argv) => {
    const path = videoPathFromArgv(argv);
    if (path !== undefined) void openPath(path);
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });

  app.on('web-contents-created', (_event, contents) => guardNavigation(contents));

  void app.whenReady().then(async () => {
    denyAllPermissions(session.defaultSession);
    const engine = new EngineClient(utilityEngineLauncher(utilityProcess.fork as unknown as UtilityFork, join(distDir, 'engine.mjs')), (error) => sendEvent({ type: 'notice', level: 'error', message: error.message }));
    service = new AppService({ dataDir: app.getPath('userData'), engine, mediaUrlFor });
    await service.init();
    service.subscribe(sendEvent);
    protocol.handle(APP_SCHEME, (request) => serveRendererFile(join(distDir, 'renderer'), request.url));
    protocol.handle(MEDIA_SCHEME, (request) => handleMediaRequest(request, service!.media));
    registerIpcHandlers(ipcMain, service, {
      version: app.getVersion(),
      pickVideoPath,
      saveMarkdown: async (defaultName, markdown) => {
        const result = await dialog.showSaveDialog(window!, { defaultPath: defaultName, filters: [{ name: 'Markdown', extensions: ['md'] }] });
        if (result.canceled || result.filePath === undefined) return false;
        await writeFile(result.filePath, markdown);
        return true;
      },
    });
    window = new BrowserWindow({ width: 1280, height: 820, minWidth: 720, minHeight: 480, show: false, title: 'Apollo Desktop', webPreferences: secureWebPreferences(join(distDir, 'preload.cjs')) });
    guardNavigation(window.webContents);
    window.once('ready-to-show', () => window?.show());
    await window.loadURL(`${APP_ORIGIN}/index.html`);
    await refreshMenu();
    const initial = videoPathFromArgv(process.argv);
    if (initial !== undefined) pendingOpen.push(initial);
    for (const path of pendingOpen.splice(0)) await openPath(path);
    app.on('before-quit', () => void engine.shutdown().finally(() => service?.close()));
  });

  app.on('window-all-closed', () => app.quit());
}
