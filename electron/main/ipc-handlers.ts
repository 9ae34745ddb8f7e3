// Every IPC call from the renderer, one handler per IPC operation of APP_API (a missing or
// mistyped one does not compile): the sender must be our own page, the arguments must match the
// contract's schema, and the reply is an IpcReply ({ok, value} or {ok: false, error} with a typed
// error, never a raw exception, which Electron would turn into an unhelpful string). Paths never
// come from the page: only the preload's drop handler and main's own dialog produce them.
import { sharedAppHandlers } from '../host/app/app-api-handlers.js';
import type { AppService } from '../host/app/app-service.js';
import { ipcChannelOf, IPC_OPERATIONS, type AppHandlers, type IpcOperation, type IpcReply } from '../shared/app-contract.js';
import { parseAppArgs } from '../shared/app-routes.js';
import { ApolloError, serializeError } from '../shared/errors.js';
import { isTrustedSender } from './window-security.js';

export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown): void;
}

export interface MainHost {
  version: string;
  /** Shows the Open dialog; resolves with the chosen path or undefined. */
  pickVideoPath(): Promise<string | undefined>;
  /** Saves exported Markdown where the user chooses; resolves false when cancelled. */
  saveMarkdown(defaultName: string, markdown: string): Promise<boolean>;
}

export function ipcHandlers(app: AppService, host: MainHost): AppHandlers<IpcOperation> {
  return {
    ...sharedAppHandlers(app),
    hostInfo: () => ({ host: 'electron', version: host.version, demo: false, modelReady: app.hasModel, ...app.modelInfo() }),
    pickVideo: async () => {
      const path = await host.pickVideoPath();
      return path === undefined ? null : app.openVideo(path);
    },
    openDroppedPath: (path) => app.openVideo(path),
    exportMarkdown: async (videoId) => {
      const markdown = await app.exportMarkdown(videoId);
      const name = app.videos.get(videoId).ref.name.replace(/\.[^.]+$/, '');
      await host.saveMarkdown(`${name} chat.md`, markdown);
      return markdown;
    },
  };
}

export function registerIpcHandlers(ipcMain: IpcMainLike, app: AppService, host: MainHost): void {
  const handlers = ipcHandlers(app, host);
  for (const operation of IPC_OPERATIONS) {
    const run = handlers[operation] as (...args: unknown[]) => unknown;
    ipcMain.handle(ipcChannelOf(operation), async (event, ...raw): Promise<IpcReply<unknown>> => {
      if (!isTrustedSender(event.senderFrame?.url)) return { ok: false, error: serializeError(new ApolloError('UNAUTHORIZED', 'This request did not come from the Apollo window.')) };
      try {
        return { ok: true, value: await run(...parseAppArgs(operation, raw)) };
      } catch (error) {
        return { ok: false, error: serializeError(error) };
      }
    });
  }
}
