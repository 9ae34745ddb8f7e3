// Web mode's /api: the AppService over HTTP (JSON in, JSON out) and server-sent events, plus
// uploads (a browser cannot hand over a path) and the media itself with Range support.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import type { AppService } from '../app/app-service.js';
import { parseByteRange, videoContentType } from '../media/byte-range.js';
import { ApiRouter, readJsonBody } from './api-router.js';
import { EventStreamHub } from './event-stream.js';
import { sendJson } from './web-server.js';

export const MAX_UPLOAD_BYTES = 64 * 1024 ** 3;

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ApolloError('INVALID_MESSAGE', `Invalid request: ${issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : 'invalid'}.`);
  }
  return r.data;
}

const pullBody = z.object({ precision: z.enum(['fp16', 'int4']) }).strict();
const questionBody = z.object({ question: z.string().min(1).max(8000) }).strict();
const editBody = z.object({ turnId: z.string().min(1).max(100), question: z.string().min(1).max(8000) }).strict();

/** A file name safe to keep in our upload folder and to show back to the user. */
export function sanitizeUploadName(raw: string | undefined): string {
  let name = 'video';
  try {
    name = decodeURIComponent(raw ?? 'video');
  } catch {
    // keep the default
  }
  name = name.replace(/[/\\\0]/g, '_').replace(/^\.+/, '').slice(0, 200);
  return name === '' ? 'video' : name;
}

async function serveMedia(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const { size } = await stat(path);
  const range = parseByteRange(req.headers.range, size);
  const headers: Record<string, string | number> = { 'accept-ranges': 'bytes', 'content-type': videoContentType(path), 'cache-control': 'no-store' };
  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
    res.end();
    return;
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
  res.writeHead(range.kind === 'partial' ? 206 : 200, {
    ...headers,
    'content-length': size === 0 ? 0 : end - start + 1,
    ...(range.kind === 'partial' ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  });
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(path, { start, end }), res).catch(() => res.destroy());
}

export function buildWebAppRouter(app: AppService, options: { dataDir: string; version: string; demo?: boolean; hub?: EventStreamHub }): { router: ApiRouter; hub: EventStreamHub } {
  const hub = options.hub ?? new EventStreamHub();
  app.subscribe((event) => hub.broadcast(event));
  const router = new ApiRouter()
    .add('GET', 'health', ({ res }) => sendJson(res, 200, { ok: true, version: options.version, demo: options.demo === true, modelReady: app.hasModel }))
    .add('GET', 'events', ({ res }) => hub.attach(res))
    .add('GET', 'settings', ({ res }) => sendJson(res, 200, app.settings.get()))
    .add('PUT', 'settings', async ({ req, res }) => sendJson(res, 200, await app.updateSettings(await readJsonBody(req))))
    .add('GET', 'videos', ({ res }) => sendJson(res, 200, app.videos.list()))
    .add('POST', 'videos', async ({ req, res }) => {
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > MAX_UPLOAD_BYTES) throw new ApolloError('INVALID_ARGUMENT', 'That file is too large to upload (over 64 GB).', { details: { status: 413 } });
      const name = sanitizeUploadName(req.headers['x-file-name'] as string | undefined);
      const dir = join(options.dataDir, 'uploads', randomUUID());
      await mkdir(dir, { recursive: true });
      const target = join(dir, name);
      try {
        await pipeline(req, createWriteStream(target, { flags: 'wx' }));
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw new ApolloError('INVALID_MESSAGE', 'The upload was interrupted; drop the file again.', { cause: error });
      }
      sendJson(res, 201, await app.openVideo(target, name));
    })
    .add('GET', 'media/:id', async ({ req, res, params }) => {
      const path = app.videos.pathOf(params.id);
      if (path === undefined) throw new ApolloError('FILE_NOT_FOUND', 'This video is not open.');
      await serveMedia(req, res, path);
    })
    .add('POST', 'videos/:id/analyze', async ({ res, params }) => sendJson(res, 200, await app.analyzeVideo(params.id!)))
    .add('POST', 'videos/:id/cancel', ({ res, params }) => {
      app.cancelVideoWork(params.id!);
      sendJson(res, 200, { ok: true });
    })
    .add('GET', 'videos/:id/thumbnails/:clip', async ({ res, params }) => {
      const clip = Number(params.clip);
      if (!Number.isInteger(clip) || clip < 0) throw new ApolloError('INVALID_ARGUMENT', 'Bad clip index.', { details: { status: 404 } });
      const jpeg = await app.thumbnail(params.id!, clip);
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length, 'cache-control': 'private, max-age=86400' });
      res.end(jpeg);
    })
    .add('GET', 'videos/:id/chat', async ({ res, params }) => sendJson(res, 200, await app.chat(params.id!)))
    .add('POST', 'videos/:id/ask', async ({ req, res, params }) => {
      const { question } = parse(questionBody, await readJsonBody(req));
      // The answer streams over /api/events; the request returns once the turn exists.
      const { turn } = await app.startTurn(params.id!, question);
      sendJson(res, 202, { turn });
    })
    .add('POST', 'videos/:id/stop', ({ res, params }) => sendJson(res, 200, { stopped: app.stop(params.id!) }))
    .add('POST', 'videos/:id/regenerate', async ({ res, params }) => {
      const { turn } = await app.regenerate(params.id!);
      sendJson(res, 202, { turn });
    })
    .add('POST', 'videos/:id/edit', async ({ req, res, params }) => {
      const { turnId, question } = parse(editBody, await readJsonBody(req));
      const { turn } = await app.editQuestion(params.id!, turnId, question);
      sendJson(res, 202, { turn });
    })
    .add('POST', 'videos/:id/clear', async ({ res, params }) => {
      await app.clearChat(params.id!);
      sendJson(res, 200, { ok: true });
    })
    .add('GET', 'models', async ({ res }) => sendJson(res, 200, await app.modelsOverview()))
    .add('POST', 'models/:spec/pull', async ({ req, res, params }) => {
      const { precision } = parse(pullBody, await readJsonBody(req));
      // Progress streams over /api/events; the request returns once the download has started.
      app.models.pull(params.spec!, precision);
      sendJson(res, 202, { started: true });
    })
    .add('POST', 'models/:spec/pause', ({ res, params }) => {
      app.models.pause(params.spec!);
      sendJson(res, 200, { ok: true });
    })
    .add('POST', 'models/:spec/resume', ({ res, params }) => {
      app.models.resume(params.spec!);
      sendJson(res, 200, { ok: true });
    })
    .add('POST', 'models/:spec/cancel', ({ res, params }) => {
      app.models.cancel(params.spec!);
      sendJson(res, 200, { ok: true });
    })
    .add('POST', 'models/:spec/select', async ({ res, params }) => {
      await app.selectModel(params.spec!);
      sendJson(res, 200, { ok: true });
    })
    .add('DELETE', 'models/:spec', async ({ res, params }) => {
      await app.removeModel(params.spec!);
      sendJson(res, 200, { ok: true });
    })
    .add('GET', 'videos/:id/export', async ({ res, params }) => {
      const markdown = await app.exportMarkdown(params.id!);
      res.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8', 'cache-control': 'no-store' });
      res.end(markdown);
    });
  return { router, hub };
}
