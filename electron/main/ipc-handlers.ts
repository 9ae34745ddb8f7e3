// Every IPC call from the renderer: the sender must be our own page, the arguments must match a
// zod schema, and the reply is {ok, value} or {ok: false, error} with a typed error (never a raw
// exception, which Electron would turn into an unhelpful string). Paths never come from the page:
// only the preload's drop handler and main's own dialog produce them.
import { z } from 'zod';
import type { AppService } from '../core/app/app-service.js';
import { ApolloError, serializeError } from '../shared/errors.js';
import { IPC, type InvokeChannel } from '../shared/ipc-channels.js';
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

const id = z.string().min(1).max(100);
const question = z.string().min(1).max(8000);
const droppedPath = z.string().min(1).max(4096);
const modelSpec = z.string().min(1).max(300);

type Handler = (...args: never[]) => unknown;

export function registerIpcHandlers(ipcMain: IpcMainLike, app: AppService, host: MainHost): void {
  const handlers: Record<InvokeChannel, { args: z.ZodType<unknown[]>; run: Handler }> = {
    [IPC.hostInfo]: { args: z.tuple([]), run: () => ({ host: 'electron', version: host.version, demo: false, modelReady: app.hasModel }) },
    [IPC.videoList]: { args: z.tuple([]), run: () => app.videos.list() },
    [IPC.videoPick]: {
      args: z.tuple([]),
      run: async () => {
        const path = await host.pickVideoPath();
        return path === undefined ? null : app.openVideo(path);
      },
    },
    [IPC.videoOpenDropped]: { args: z.tuple([droppedPath]), run: (path: string) => app.openVideo(path) },
    [IPC.videoAnalyze]: { args: z.tuple([id]), run: (videoId: string) => app.analyzeVideo(videoId) },
    [IPC.videoCancel]: { args: z.tuple([id]), run: (videoId: string) => app.cancelVideoWork(videoId) },
    [IPC.chatGet]: { args: z.tuple([id]), run: (videoId: string) => app.chat(videoId) },
    [IPC.chatAsk]: { args: z.tuple([id, question]), run: async (videoId: string, q: string) => (await app.startTurn(videoId, q)).turn },
    [IPC.chatStop]: { args: z.tuple([id]), run: (videoId: string) => app.stop(videoId) },
    [IPC.chatRegenerate]: { args: z.tuple([id]), run: async (videoId: string) => (await app.regenerate(videoId)).turn },
    [IPC.chatEdit]: { args: z.tuple([id, id, question]), run: async (videoId: string, turnId: string, q: string) => (await app.editQuestion(videoId, turnId, q)).turn },
    [IPC.chatClear]: { args: z.tuple([id]), run: (videoId: string) => app.clearChat(videoId) },
    [IPC.chatExport]: {
      args: z.tuple([id]),
      run: async (videoId: string) => {
        const markdown = await app.exportMarkdown(videoId);
        const name = app.videos.get(videoId).ref.name.replace(/\.[^.]+$/, '');
        await host.saveMarkdown(`${name} chat.md`, markdown);
        return markdown;
      },
    },
    [IPC.settingsGet]: { args: z.tuple([]), run: () => app.settings.get() },
    [IPC.settingsUpdate]: { args: z.tuple([z.record(z.string(), z.unknown())]), run: (patch: unknown) => app.updateSettings(patch) },
    [IPC.modelsList]: { args: z.tuple([]), run: () => app.modelsOverview() },
    [IPC.modelsPull]: {
      args: z.tuple([modelSpec, z.enum(['fp16', 'int4'])]),
      run: (spec: string, precision: 'fp16' | 'int4') => {
        app.models.pull(spec, precision);
        return { started: true };
      },
    },
    [IPC.modelsPause]: { args: z.tuple([modelSpec]), run: (spec: string) => app.models.pause(spec) },
    [IPC.modelsResume]: { args: z.tuple([modelSpec]), run: (spec: string) => app.models.resume(spec) },
    [IPC.modelsCancel]: { args: z.tuple([modelSpec]), run: (spec: string) => app.models.cancel(spec) },
    [IPC.modelsSelect]: { args: z.tuple([modelSpec]), run: (spec: string) => app.selectModel(spec) },
    [IPC.modelsRemove]: { args: z.tuple([modelSpec]), run: (spec: string) => app.removeModel(spec) },
  };

  for (const [channel, { args, run }] of Object.entries(handlers)) {
    ipcMain.handle(channel, async (event, ...raw) => {
      if (!isTrustedSender(event.senderFrame?.url)) return { ok: false, error: serializeError(new ApolloError('UNAUTHORIZED', 'This request did not come from the Apollo window.')) };
      const parsed = args.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, error: serializeError(new ApolloError('INVALID_MESSAGE', `Invalid ${channel} request: ${issue ? `${issue.path.join('.') || 'arguments'} ${issue.message}` : 'invalid'}.`)) };
      }
      try {
        return { ok: true, value: await (run as (...a: unknown[]) => unknown)(...parsed.data) };
      } catch (error) {
        return { ok: false, error: serializeError(error) };
      }
    });
  }
}
