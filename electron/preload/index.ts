// Sandboxed preload: exposes a small typed API through contextBridge. No Node, no raw ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron';
import { IPC } from '../shared/ipc-channels.js';

contextBridge.exposeInMainWorld('apolloBridge', {
  hostInfo: (): Promise<unknown> => ipcRenderer.invoke(IPC.hostInfo),
});
