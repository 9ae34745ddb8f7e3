// The application menu as a template (Electron's MenuItemConstructorOptions shape), built by a
// pure function so it is testable without Electron.
export interface MenuActions {
  openVideo(): void;
  openRecent(path: string): void;
  exportChat(): void;
  showAbout(): void;
  openLogsFolder(): void;
}

export interface MenuItem {
  label?: string;
  role?: string;
  type?: 'separator' | 'submenu';
  accelerator?: string;
  enabled?: boolean;
  click?: () => void;
  submenu?: MenuItem[];
}

export function buildAppMenu(platform: NodeJS.Platform, recent: Array<{ path: string; name: string }>, actions: MenuActions): MenuItem[] {
  const mac = platform === 'darwin';
  const recentItems: MenuItem[] = recent.length === 0 ? [{ label: 'No recent videos', enabled: false }] : recent.slice(0, 10).map((r) => ({ label: r.name, click: () => actions.openRecent(r.path) }));
  return [
    ...(mac ? [{ label: 'Apollo Desktop', submenu: [{ label: 'About Apollo Desktop', click: actions.showAbout }, { type: 'separator' as const }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' as const }, { role: 'quit' }] }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Video…', accelerator: 'CmdOrCtrl+O', click: actions.openVideo },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        { label: 'Export Chat…', accelerator: 'CmdOrCtrl+E', click: actions.exportChat },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    {
      label: 'Help',
      submenu: [...(mac ? [] : [{ label: 'About Apollo Desktop', click: actions.showAbout }]), { label: 'Open Logs Folder', click: actions.openLogsFolder }],
    },
  ];
}

/** The video file passed on a command line (second instance, or "Open with"), if any. */
export function videoPathFromArgv(argv: string[]): string | undefined {
  return argv.slice(1).find((a) => !a.startsWith('-') && /\.(mp4|m4v|mov|mkv|webm|avi|mpg|mpeg|ts|3gp|ogv)$/i.test(a));
}
