// Security defaults for every window, following Electron's security checklist. Written against
// small structural types so that tests can drive them with fakes (there is no Electron binary in CI).
import { rendererContentSecurityPolicy } from '../host/media/content-security.js';
import { MEDIA_SCHEME } from '../shared/media-urls.js';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://apollo`;

/** The renderer's CSP in the desktop app: the shared policy plus the media protocol. */
export const RENDERER_CSP = rendererContentSecurityPolicy([`${MEDIA_SCHEME}:`]);

export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    spellcheck: false,
  } as const;
}

export interface NavigationGuardTarget {
  on(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', listener: (event: { preventDefault(): void }, ...args: unknown[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** No navigation away from the app, no new windows, no webviews. */
export function guardNavigation(contents: NavigationGuardTarget): void {
  const deny = (event: { preventDefault(): void }) => event.preventDefault();
  contents.on('will-navigate', deny);
  contents.on('will-redirect', deny);
  contents.on('will-attach-webview', deny);
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export interface PermissionSession {
  setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: () => boolean): void;
}

/** The app needs no browser permission (camera, notifications, …): deny all. */
export function denyAllPermissions(session: PermissionSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Only the app's own origin may call IPC. */
export function isTrustedSender(frameUrl: string | undefined): boolean {
  if (frameUrl === undefined) return false;
  try {
    return new URL(frameUrl).origin === APP_ORIGIN || frameUrl.startsWith(`${APP_ORIGIN}/`);
  } catch {
    return false;
  }
}
