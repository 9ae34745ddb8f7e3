// `apollo-chat prepare MODEL_DIR`: builds (or reuses) the prepared folder of graphs and weights.
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { INT4_BLOCK_SIZES, type Int4BlockSize } from '../../engine/quant/int4-layout.js';
import { prepareModel } from '../../engine/prepare/prepare-model.js';
import { DEFAULT_INT4 } from '../../engine/quant/quant-settings.js';
import { PRECISIONS, type Precision } from '../../engine/prepare/prepare-manifest.js';
import type { RunAction } from '../command-types.js';
import { parseIntegerOption } from '../option-parsers.js';

function parseBlockSize(value: string): number {
  const n = Number(value);
  if (!(INT4_BLOCK_SIZES as readonly number[]).includes(n)) throw new InvalidArgumentError(`--block-size must be one of ${INT4_BLOCK_SIZES.join(', ')}.`);
  return n;
}

interface PrepareCliOptions {
  precision: Precision;
  blockSize: number;
  accuracyLevel: number;
  symmetric?: boolean;
  force?: boolean;
  cacheDir?: string;
}


export function registerPrepareCommand(program: Command, run: RunAction): void {
  program
    .command('prepare')
    .description('turn an original checkpoint folder into prepared graphs and weights in the cache (resumable)')
    .argument('<model-dir>', 'the checkpoint folder (holding config.json)')
    .addOption(new Option('--precision <p>', 'weight precision').choices(PRECISIONS).default('int4'))
    .addOption(new Option('--block-size <n>', 'int4 block size (32: error below Q4_0; 128: ~20% faster, larger error)').argParser(parseBlockSize).default(DEFAULT_INT4.blockSize))
    .addOption(new Option('--accuracy-level <n>', 'int4 MatMulNBits accuracy_level (4 = int8 activations, 0 = float)').argParser(parseIntegerOption('--accuracy-level', 0, 4)).default(DEFAULT_INT4.accuracyLevel))
    .addOption(new Option('--symmetric', 'int4 without zero points (like Q4_0: 2.5% smaller, less accurate on heavy-tailed weights)'))
    .addOption(new Option('--force', 'rebuild even when a matching prepared folder exists'))
    .addOption(new Option('--cache-dir <dir>', 'where prepared folders live (default: APOLLO_CACHE_DIR, else the user cache folder)'))
    .action(async (modelDir: string, opts: PrepareCliOptions, command: Command) => {
      await run(command, async (ctx) => {
        const t0 = Date.now();
        const result = await prepareModel(resolve(modelDir), {
          precision: opts.precision,
          blockSize: opts.blockSize as Int4BlockSize,
          accuracyLevel: opts.accuracyLevel,
          symmetric: opts.symmetric === true ? true : DEFAULT_INT4.symmetric,
          force: opts.force === true,
          ...(opts.cacheDir !== undefined ? { cacheDir: resolve(opts.cacheDir) } : {}),
          onProgress: ctx.progress,
          signal: ctx.signal,
        });
        const { manifest } = result;
        const bytes = Object.values(manifest.artifacts).reduce((s, a) => s + a.files.reduce((t, f) => t + f.bytes, 0), 0);
        if (ctx.json) {
          ctx.printJson({ preparedDir: result.preparedDir, reused: result.reused, resumedArtifacts: result.resumedArtifacts, seconds: (Date.now() - t0) / 1000, bytes, manifest });
        } else {
          ctx.print(`${result.reused ? 'Already prepared' : 'Prepared'}: ${result.preparedDir}`);
          ctx.print(`precision ${manifest.options.precision}${manifest.options.int4 ? `, block size ${manifest.options.int4.blockSize}, accuracy level ${manifest.options.int4.accuracyLevel}` : ''}; ${(bytes / 2 ** 20).toFixed(1)} MiB in ${Object.keys(manifest.artifacts).length} artifacts`);
          if (result.resumedArtifacts.length > 0) ctx.print(`resumed after an interrupted run: kept ${result.resumedArtifacts.join(', ')}`);
        }
      });
    });
}
