// Sandboxed preload: exposes a small typed API through contextBridge. No Node, no raw ipcRenderer:
// only the declared invoke channels, the event stream, and opening a dropped file (its path is
// resolved here with webUtils and handed to main; the page never sees it).
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { IPC } from '../shared/ipc-channels.js';

const allowed = new Set<string>(Object.values(IPC).filter((c) => c !== IPC.event && c !== IPC.videoOpenDropped));

contextBridge.exposeInMainWorld('apolloBridge', {
  invoke: (channel: string, ...args: unknown[]): Promise<unknown> => {
    if (!allowed.has(channel)) return Promise.resolve({ ok: false, error: { code: 'INVALID_MESSAGE', message: `Unknown channel ${String(channel).slice(0, 64)}.` } });
    return ipcRenderer.invoke(channel, ...args);
  },
  openDroppedFile: (file: File): Promise<unknown> => {
    let path: string;
    try {
      path = webUtils.getPathForFile(file);
    } catch {
      path = '';
    }
    if (path === '') return Promise.resolve({ ok: false, error: { code: 'NOT_A_FILE', message: 'That item is not a file on this computer; drop a video file.' } });
    return ipcRenderer.invoke(IPC.videoOpenDropped, path);
  },
  onEvent: (listener: (event: unknown) => void): (() => void) => {
    const wrapped = (_e: unknown, event: unknown) => listener(event);
    ipcRenderer.on(IPC.event, wrapped);
    return () => ipcRenderer.removeListener(IPC.event, wrapped);
  },
});
