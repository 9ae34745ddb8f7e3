// Web mode's /api: every web operation of APP_API as a JSON route (a missing or mistyped one does
// not compile), plus the routes that stream: server-sent events, uploads (a browser cannot hand
// over a path), and the shared media server (the video with Range support, clip thumbnails).
import { APP_API, WEB_OPERATIONS, WEB_STREAM_ROUTES, type AppHandlers, type WebOperation } from '../../shared/app-contract.js';
import { parseAppArgs, webRouteArgs } from '../../shared/app-routes.js';
import { LIMITS } from '../../shared/limits.js';
import { sharedAppHandlers } from '../app/app-api-handlers.js';
import type { AppService } from '../app/app-service.js';
import { serveThumbnail, serveVideo } from '../media/media-server.js';
import { ApiRouter, readJsonBody, type RouteHandler } from './api-router.js';
import { EventStreamHub } from './event-stream.js';
import { sanitizeUploadName, UploadStore, type UploadLimits } from './upload-store.js';
import { MEDIA_CAPABILITY_PARAM, MediaCapabilities } from './media-capability.js';
import { sendJson, sendResponse } from './web-server.js';

export interface WebAppOptions {
  dataDir: string;
  version: string;
  demo?: boolean;
  hub?: EventStreamHub;
  /** Where uploads go (default: `<dataDir>/uploads` with DEFAULT_UPLOAD_LIMITS). */
  uploads?: UploadStore;
  /** Issues and checks the media capabilities (the same instance as the AppService's issuer). */
  capabilities?: MediaCapabilities;
}

export { sanitizeUploadName } from './upload-store.js';

/** Uploads up to LIMITS.uploadBytes, keeping 1 GiB of the disk free. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxBytes: LIMITS.uploadBytes, reserveBytes: 1024 ** 3 };

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

function uploadRoute(app: AppService, uploads: UploadStore): RouteHandler {
  return async ({ req, res }) => {
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    const name = sanitizeUploadName(req.headers['x-file-name'] as string | undefined);
    const path = await uploads.receive(req, declared, name);
    sendJson(res, 201, await app.openVideo(path, name));
  };
}

export function buildWebAppRouter(app: AppService, options: WebAppOptions): { router: ApiRouter; hub: EventStreamHub } {
  const capabilities = options.capabilities ?? new MediaCapabilities();
  const hub = options.hub ?? new EventStreamHub();
  app.subscribe((event) => hub.broadcast(event));
  const router = new ApiRouter();
  const handlers = webAppHandlers(app, options);
  for (const operation of WEB_OPERATIONS) {
    const route = APP_API[operation].web;
    router.add(route.method, route.path, operationRoute(operation, handlers[operation] as (...args: unknown[]) => unknown));
  }
  const { events, upload, media, thumbnail } = WEB_STREAM_ROUTES;
  // <video> and <img> cannot send the token: their addresses carry the video's capability.
  const videoCapability = (params: Record<string, string>, url: URL) => capabilities.verify(params.videoId!, url.searchParams.get(MEDIA_CAPABILITY_PARAM));
  router
    .add(events.method, events.path, ({ res }) => hub.attach(res))
    .add(upload.method, upload.path, uploadRoute(app, options.uploads ?? new UploadStore(options.dataDir, DEFAULT_UPLOAD_LIMITS)))
    .add(media.method, media.path, async ({ req, res, params }) => sendResponse(res, await serveVideo(app.media, params.videoId!, { method: req.method ?? 'GET', range: req.headers.range })), { capability: videoCapability })
    .add(thumbnail.method, thumbnail.path, async ({ res, params }) => sendResponse(res, await serveThumbnail(app.media, params.videoId!, params.clip)), { capability: videoCapability });
  return { router, hub };
}
