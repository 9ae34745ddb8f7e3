// IPC channel names, declared once for main, preload and their tests.
export const IPC = {
  hostInfo: 'app:host-info',
} as const;
