// `apollo-chat make-tiny-model DIR [--seed N]`: a random checkpoint with Apollo-3B-t32's exact
// layout and tiny sizes, for tests and for trying the pipeline without the real weights.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { makeTinyCheckpoint } from '../../engine/model/tiny-checkpoint.js';
import type { RunAction } from '../command-types.js';
import { parseIntegerOption } from '../option-parsers.js';

interface MakeTinyModelOptions {
  seed: number;
}

export function registerMakeTinyModelCommand(program: Command, run: RunAction): void {
  program
    .command('make-tiny-model')
    .description('write a tiny random checkpoint with the real Apollo-3B-t32 layout and tokenizer (for tests)')
    .argument('<dir>', 'folder to create (absent or empty)')
    .addOption(new Option('--seed <n>', 'random seed: the same seed gives identical files').argParser(parseIntegerOption('--seed', 0, 2 ** 32 - 1)).default(0))
    .action(async (dir: string, opts: MakeTinyModelOptions, command: Command) => {
      await run(command, async (ctx) => {
        const summary = await makeTinyCheckpoint(resolve(dir), { seed: opts.seed, signal: ctx.signal, onProgress: ctx.progress });
        if (ctx.json) ctx.printJson(summary);
        else {
          const bytes = summary.files.reduce((a, f) => a + f.bytes, 0);
          ctx.print(`Wrote a tiny Apollo checkpoint (seed ${summary.seed}) to ${summary.dir}: ${summary.files.length} files, ${summary.tensors} tensors, ${(bytes / 1e6).toFixed(1)} MB in ${(summary.elapsedMs / 1000).toFixed(1)} s.`);
        }
      });
    });
}
