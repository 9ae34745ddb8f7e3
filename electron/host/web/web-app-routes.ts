// Web mode's /api: every web operation of APP_API as a JSON route (a missing or mistyped one does
// not compile), plus the routes that stream: server-sent events, uploads (a browser cannot hand
// over a path), and the shared media server (the video with Range support, clip thumbnails).
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { APP_API, WEB_OPERATIONS, WEB_STREAM_ROUTES, type AppHandlers, type WebOperation } from '../../shared/app-contract.js';
import { parseAppArgs, webRouteArgs } from '../../shared/app-routes.js';
import { ApolloError } from '../../shared/errors.js';
import { LIMITS } from '../../shared/limits.js';
import { sharedAppHandlers } from '../app/app-api-handlers.js';
import type { AppService } from '../app/app-service.js';
import { serveThumbnail, serveVideo } from '../media/media-server.js';
import { ApiRouter, readJsonBody, type RouteHandler } from './api-router.js';
import { EventStreamHub } from './event-stream.js';
import { sendJson, sendResponse } from './web-server.js';

export interface WebAppOptions {
  dataDir: string;
  version: string;
  demo?: boolean;
  hub?: EventStreamHub;
}

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

export function webAppHandlers(app: AppService, options: WebAppOptions): AppHandlers<WebOperation> {
  return {
    ...sharedAppHandlers(app),
    hostInfo: () => ({ host: 'web', version: options.version, demo: options.demo === true, modelReady: app.hasModel, ...app.modelInfo() }),
    exportMarkdown: (videoId) => app.exportMarkdown(videoId),
  };
}

function operationRoute(operation: WebOperation, run: (...args: unknown[]) => unknown): RouteHandler {
  const route = APP_API[operation].web;
  const hasBody = route.bodyArg !== undefined || route.names.some((name) => !route.path.split('/').includes(`:${name}`));
  return async ({ req, res, params }) => {
    const body = hasBody ? await readJsonBody(req) : undefined;
    const result = await run(...parseAppArgs(operation, webRouteArgs(route, params, body)));
    if ('contentType' in route && route.contentType !== undefined) {
      res.writeHead(route.status ?? 200, { 'content-type': route.contentType, 'cache-control': 'no-store' });
      res.end(String(result));
    } else sendJson(res, ('status' in route ? route.status : undefined) ?? 200, result);
  };
}

function uploadRoute(app: AppService, dataDir: string): RouteHandler {
  return async ({ req, res }) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > LIMITS.uploadBytes) throw new ApolloError('INVALID_ARGUMENT', `That file is too large to upload (over ${LIMITS.uploadBytes / 1024 ** 3} GiB).`, { details: { status: 413 } });
    const name = sanitizeUploadName(req.headers['x-file-name'] as string | undefined);
    const dir = join(dataDir, 'uploads', randomUUID());
    await mkdir(dir, { recursive: true });
    const target = join(dir, name);
    try {
      await pipeline(req, createWriteStream(target, { flags: 'wx' }));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw new ApolloError('INVALID_MESSAGE', 'The upload was interrupted; drop the file again.', { cause: error });
    }
    sendJson(res, 201, await app.openVideo(target, name));
  };
}

export function buildWebAppRouter(app: AppService, options: WebAppOptions): { router: ApiRouter; hub: EventStreamHub } {
  const hub = options.hub ?? new EventStreamHub();
  app.subscribe((event) => hub.broadcast(event));
  const router = new ApiRouter();
  const handlers = webAppHandlers(app, options);
  for (const operation of WEB_OPERATIONS) {
    const route = APP_API[operation].web;
    router.add(route.method, route.path, operationRoute(operation, handlers[operation] as (...args: unknown[]) => unknown));
  }
  const { events, upload, media, thumbnail } = WEB_STREAM_ROUTES;
  router
    .add(events.method, events.path, ({ res }) => hub.attach(res))
    .add(upload.method, upload.path, uploadRoute(app, options.dataDir))
    .add(media.method, media.path, async ({ req, res, params }) => sendResponse(res, await serveVideo(app.media, params.videoId!, { method: req.method ?? 'GET', range: req.headers.range })))
    .add(thumbnail.method, thumbnail.path, async ({ res, params }) => sendResponse(res, await serveThumbnail(app.media, params.videoId!, params.clip)));
  return { router, hub };
}
