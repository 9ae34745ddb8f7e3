// Sandboxed preload: exposes a small typed API through contextBridge. No Node, no raw ipcRenderer:
// only the contract's IPC channels (APP_API), the event stream, and opening a dropped file (its
// path is resolved here with webUtils and handed to main; the page never sees it).
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { APP_EVENT_CHANNEL, ipcChannelOf, IPC_OPERATIONS, type IpcReply } from '../shared/app-channels.js';

// The page may not name a path: openDroppedPath is reachable only through openDroppedFile below.
const allowed = new Set<string>(IPC_OPERATIONS.filter((op) => op !== 'openDroppedPath').map(ipcChannelOf));

contextBridge.exposeInMainWorld('apolloBridge', {
  invoke: (channel: string, ...args: unknown[]): Promise<IpcReply<unknown>> => {
    if (!allowed.has(channel)) return Promise.resolve({ ok: false, error: { code: 'INVALID_MESSAGE', message: `Unknown channel ${String(channel).slice(0, 64)}.` } });
    return ipcRenderer.invoke(channel, ...args) as Promise<IpcReply<unknown>>;
  },
  openDroppedFile: (file: File): Promise<IpcReply<unknown>> => {
    let path: string;
    try {
      path = webUtils.getPathForFile(file);
    } catch {
      path = '';
    }
    if (path === '') return Promise.resolve({ ok: false, error: { code: 'NOT_A_FILE', message: 'That item is not a file on this computer; drop a video file.' } });
    return ipcRenderer.invoke(ipcChannelOf('openDroppedPath'), path) as Promise<IpcReply<unknown>>;
  },
  onEvent: (listener: (event: unknown) => void): (() => void) => {
    const wrapped = (_e: unknown, event: unknown) => listener(event);
    ipcRenderer.on(APP_EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(APP_EVENT_CHANNEL, wrapped);
  },
});
