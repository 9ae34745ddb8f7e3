// What every subcommand gets: output channels that follow the CLI conventions (--json on stdout,
// human text otherwise, progress on stderr), a cancellation signal wired to Ctrl-C, and one error
// path that prints a sentence with its stable code and exits 1 (failure) or 2 (bad usage).
import { withEta, type ProgressListener } from '../shared/progress.js';
import { ApolloError, toApolloError } from '../shared/errors.js';
import { createProgressRenderer } from './progress-bar.js';

export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
  progress?: boolean;
}

export interface CommandContext {
  json: boolean;
  debug: boolean;
  signal: AbortSignal;
  /** Human text to stdout (suppressed in --json mode). */
  print(text: string): void;
  /** The one JSON document of a --json run. */
  printJson(value: unknown): void;
  /** Progress to stderr; a no-op when --no-progress. */
  progress: ProgressListener;
  /** Ends the live progress bar (its line is finished), so text written next starts on its own line. */
  endProgress(): void;
  stderr: NodeJS.WritableStream;
  stdout: NodeJS.WritableStream;
}

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function runCommand(
  options: GlobalOptions,
  io: CliIO,
  action: (ctx: CommandContext) => Promise<void>,
): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr.write('\nCancelling… (press Ctrl-C again to quit at once)\n');
    controller.abort(new ApolloError('CANCELLED'));
  };
  process.on('SIGINT', onSigint);
  const renderer = options.progress === false ? undefined : createProgressRenderer(io.stderr, io.stderr.isTTY === true);
  const ctx: CommandContext = {
    json: options.json === true,
    debug: options.debug === true,
    signal: controller.signal,
    print: (text) => {
      if (options.json !== true) io.stdout.write(text.endsWith('\n') ? text : text + '\n');
    },
    printJson: (value) => {
      io.stdout.write(JSON.stringify(value, null, 2) + '\n');
    },
    progress: renderer === undefined ? () => {} : withEta(renderer.listener),
    endProgress: () => renderer?.stop(),
    stderr: io.stderr,
    stdout: io.stdout,
  };
  try {
    await action(ctx);
    return 0;
  } catch (error) {
    renderer?.stop();
    return reportError(error, options, io);
  } finally {
    renderer?.stop();
    process.off('SIGINT', onSigint);
  }
}

export function reportError(error: unknown, options: GlobalOptions, io: CliIO): number {
  const e = toApolloError(error);
  if (options.json === true) {
    io.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } }, null, 2) + '\n');
  }
  io.stderr.write(`error [${e.code}]: ${e.message}\n`);
  if (options.debug === true) {
    const cause = e.cause instanceof Error ? e.cause : e;
    io.stderr.write((cause.stack ?? String(cause)) + '\n');
  }
  return e.exitCode;
}
