// `apollo-chat serve`: web mode on 127.0.0.1 with a per-run token: the same app as the desktop
// window, for headless GPU boxes and for the end-to-end tests.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { webMediaUrlFor } from '../../shared/media-urls.js';
import { MediaCapabilities } from '../../host/web/media-capability.js';
import { UploadStore } from '../../host/web/upload-store.js';
import { AppService } from '../../host/app/app-service.js';
import { ensureDemoAssets } from '../demo-assets.js';
import { EngineClient, nodeEngineLauncher } from '../../host/engine-client/engine-client.js';
import { defaultDataDir } from '../../common/platform/app-paths.js';
import { packageRoot } from '../../common/platform/package-root.js';
import { buildWebAppRouter, DEFAULT_UPLOAD_LIMITS } from '../../host/web/web-app-routes.js';
import { startWebServer } from '../../host/web/web-server.js';
import { resolveModelArg } from '../ask-options.js';
import type { RunAction } from '../command-types.js';
import { parseIntegerOption } from '../option-parsers.js';
import { CLI_VERSION } from '../version.js';

interface ServeOptions {
  port?: number;
  open?: boolean;
  model?: string;
  dataDir?: string;
  demo?: boolean;
}

function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {}); // no browser here: the printed address is enough
    child.unref();
  } catch {
    // same: the address is printed
  }
}

export function registerServeCommand(program: Command, run: RunAction): void {
  program
    .command('serve')
    .description('serve the app to a browser on 127.0.0.1 (web mode, token-protected)')
    .argument('[videos...]', 'videos to open at start')
    .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').argParser(parseIntegerOption('--port', 0, 65535)).default(0))
    .addOption(new Option('--model <model>', 'model to answer with: an installed model (apollo-3b, a repo id) or a checkpoint folder'))
    .addOption(new Option('--data-dir <dir>', 'where chats, settings and uploads are kept (default: APOLLO_DATA_DIR or the platform data folder)'))
    .addOption(new Option('--demo', 'try the app on a generated tiny model and sample video (its answers are random text)').conflicts('model'))
    .addOption(new Option('--open', 'open the address in the default browser'))
    .action(async (videos: string[], opts: ServeOptions, command: Command) => {
      await run(command, async (ctx) => {
        const dataDir = resolve(opts.dataDir ?? defaultDataDir());
        await mkdir(dataDir, { recursive: true, mode: 0o700 });
        const demo = opts.demo === true ? await ensureDemoAssets(ctx.progress) : undefined;
        const modelDir = demo?.modelDir ?? (opts.model === undefined ? undefined : await resolveModelArg(opts.model));
        const engine = new EngineClient(nodeEngineLauncher(), (error) => ctx.stderr.write(`engine: ${error.message}\n`));
        const capabilities = new MediaCapabilities();
        const app = new AppService({ dataDir, engine, mediaUrlFor: webMediaUrlFor, mediaCapabilityFor: (id) => capabilities.issue(id), ...(modelDir ? { modelDir } : {}) });
        await app.init();
        // Uploads no saved chat refers to and the library does not list (and interrupted ones) go at start (upload-store.ts).
        const uploads = new UploadStore(dataDir, DEFAULT_UPLOAD_LIMITS);
        await uploads.sweep((path) => app.keepsUpload(path));
        for (const video of [...videos, ...(demo ? [demo.videoPath] : [])]) await app.openVideo(resolve(video));
        const { router, hub } = buildWebAppRouter(app, { dataDir, version: CLI_VERSION, demo: demo !== undefined, capabilities, uploads });
        const server = await startWebServer({ port: opts.port ?? 0, rendererDir: join(packageRoot(), 'dist', 'renderer'), router });
        if (ctx.json) ctx.printJson({ url: server.url, origin: server.origin, token: server.token, dataDir });
        else {
          ctx.print(`Apollo is running at ${server.url}`);
          ctx.print('Open that address in a browser on this machine (the token in it is required). Press Ctrl-C to stop.');
        }
        if (opts.open === true) openInBrowser(server.url);
        await new Promise<void>((done) => {
          const stop = () => done();
          ctx.signal.addEventListener('abort', stop, { once: true });
          process.once('SIGTERM', stop);
        });
        hub.closeAll();
        await server.close();
        await engine.shutdown();
        await app.close();
      });
    });
}
