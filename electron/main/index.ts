// Electron main: windows, menus, file access and IPC only. Model and video work lives in the engine
// process (plain Node, electron/core).
import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC } from '../shared/ipc-channels.js';
import { serveRendererFile } from './app-protocol.js';
import { APP_ORIGIN, APP_SCHEME, denyAllPermissions, guardNavigation, isTrustedSender, secureWebPreferences } from './window-security.js';

const distDir = join(fileURLToPath(import.meta.url), '..');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: 'Apollo Desktop',
    webPreferences: secureWebPreferences(join(distDir, 'preload.cjs')),
  });
  guardNavigation(window.webContents);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}

app.on('web-contents-created', (_event, contents) => guardNavigation(contents));

void app.whenReady().then(() => {
  denyAllPermissions(session.defaultSession);
  protocol.handle(APP_SCHEME, (request) => serveRendererFile(join(distDir, 'renderer'), request.url));
  ipcMain.handle(IPC.hostInfo, (event) => {
    if (!isTrustedSender(event.senderFrame?.url)) throw new Error('untrusted sender');
    return { host: 'electron', version: app.getVersion() };
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
