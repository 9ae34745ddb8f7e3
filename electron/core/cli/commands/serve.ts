// `apollo-chat serve`: web mode on 127.0.0.1 with a per-run token.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { packageRoot } from '../../platform/package-root.js';
import { ApiRouter } from '../../web/api-router.js';
import { sendJson, startWebServer } from '../../web/web-server.js';
import type { RunAction } from '../command-types.js';
import { parseIntegerOption } from '../option-parsers.js';
import { CLI_VERSION } from '../version.js';

interface ServeOptions {
  port?: number;
  open?: boolean;
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
    .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').argParser(parseIntegerOption('--port', 0, 65535)).default(0))
    .addOption(new Option('--open', 'open the address in the default browser'))
    .action(async (opts: ServeOptions, command: Command) => {
      await run(command, async (ctx) => {
        const server = await startWebServer({
          port: opts.port ?? 0,
          rendererDir: join(packageRoot(), 'dist', 'renderer'),
          router: new ApiRouter().add('GET', 'health', ({ res }) => sendJson(res, 200, { ok: true, version: CLI_VERSION })),
        });
        if (ctx.json) ctx.printJson({ url: server.url, origin: server.origin, token: server.token });
        else {
          ctx.print(`Apollo is running at ${server.url}`);
          ctx.print('Open that address in a browser on this machine (the token in it is required). Press Ctrl-C to stop.');
        }
        if (opts.open === true) openInBrowser(server.url);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          ctx.signal.addEventListener('abort', stop, { once: true });
          process.once('SIGTERM', stop);
        });
        await server.close();
      });
    });
}
