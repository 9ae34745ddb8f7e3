// `apollo-chat generate`: greedy decoding of token ids with the Qwen2 decoder, for scripting,
// parity checks and benchmarks. --model is an original checkpoint (prepared on first use, with
// progress) or a prepared folder.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ApolloError } from '../../shared/errors.js';
import { defaultThreadCount, DEVICE_NAMES, selectDevice, type DeviceName } from '../../engine/llm/execution-device.js';
import { generateGreedy } from '../../engine/llm/greedy-generate.js';
import { DECODER_ARTIFACTS_FILE, readDecoderArtifacts } from '../../engine/llm/qwen2-artifacts.js';
import { Qwen2DecoderSession } from '../../engine/llm/qwen2-decoder-session.js';
import { DECODER_ARTIFACT_NAME } from '../../engine/llm/qwen2-prepare-artifact.js';
import { resolvePreparedModel } from '../../engine/prepare/prepare-model.js';
import { DEFAULT_INT4 } from '../../engine/quant/quant-settings.js';
import { PRECISIONS, type Precision } from '../../engine/prepare/prepare-manifest.js';
import { INT4_BLOCK_SIZES, type Int4BlockSize } from '../../engine/quant/int4-layout.js';
import type { RunAction } from '../command-types.js';
import { parseIntegerOption } from '../option-parsers.js';

interface GenerateCliOptions {
  model: string;
  promptIds: number[];
  maxNewTokens: number;
  greedy?: boolean;
  device: DeviceName | 'auto';
  precision?: Precision;
  blockSize?: number;
  accuracyLevel?: number;
  threads?: number;
  ignoreEos?: boolean;
  cacheDir?: string;
}

export function parseTokenIds(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const ids = parts.map(Number);
  if (parts.length === 0 || parts.some((p) => p === '') || ids.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new InvalidArgumentError('--prompt-ids must be a comma-separated list of non-negative integers, e.g. 1,2,3.');
  }
  return ids;
}

function parseBlockSize(value: string): number {
  const n = Number(value);
  if (!(INT4_BLOCK_SIZES as readonly number[]).includes(n)) throw new InvalidArgumentError(`--block-size must be one of ${INT4_BLOCK_SIZES.join(', ')}.`);
  return n;
}

/** The folder holding llm-decoder.json: the model itself, its decoder artifact, or a prepared copy. */
async function decoderFolder(model: string, opts: GenerateCliOptions, ctx: Parameters<Parameters<RunAction>[1]>[0]): Promise<{ dir: string; preparedDir: string; reused: boolean }> {
  if (!existsSync(model)) throw new ApolloError('FILE_NOT_FOUND', `The model folder ${model} does not exist; check the path.`);
  if (existsSync(join(model, DECODER_ARTIFACTS_FILE))) {
    const held = (await readDecoderArtifacts(model)).graph.precision;
    if (opts.precision !== undefined && held !== opts.precision) {
      throw new ApolloError('INVALID_ARGUMENT', `The decoder folder ${model} holds ${held} weights, not ${opts.precision}; pass the original checkpoint folder to prepare ${opts.precision}, or drop --precision.`);
    }
    return { dir: model, preparedDir: model, reused: true };
  }
  const prepared = await resolvePreparedModel(model, {
    precision: opts.precision ?? 'int4',
    blockSize: (opts.blockSize ?? DEFAULT_INT4.blockSize) as Int4BlockSize,
    accuracyLevel: opts.accuracyLevel ?? DEFAULT_INT4.accuracyLevel,
    symmetric: DEFAULT_INT4.symmetric,
    ...(opts.cacheDir !== undefined ? { cacheDir: resolve(opts.cacheDir) } : {}),
    onProgress: ctx.progress,
    signal: ctx.signal,
  });
  const usedPrecision = prepared.manifest.options.precision;
  if (opts.precision !== undefined && usedPrecision !== opts.precision) {
    throw new ApolloError('INVALID_ARGUMENT', `The prepared folder ${prepared.preparedDir} holds ${usedPrecision} weights, not ${opts.precision}; pass the original checkpoint folder to prepare ${opts.precision}, or drop --precision.`);
  }
  const dir = join(prepared.preparedDir, DECODER_ARTIFACT_NAME);
  if (!existsSync(join(dir, DECODER_ARTIFACTS_FILE))) {
    throw new ApolloError('PREPARED_MODEL_INVALID', `The prepared folder ${prepared.preparedDir} has no language model decoder; run \`apollo-chat prepare MODEL_DIR --force\` to rebuild it.`);
  }
  return { dir, preparedDir: prepared.preparedDir, reused: prepared.reused };
}

export function registerGenerateCommand(program: Command, run: RunAction): void {
  program
    .command('generate')
    .description('greedy-decode token ids with the language model (for scripts, parity checks and benchmarks)')
    .requiredOption('--model <dir>', 'an original checkpoint folder (prepared on first use) or a prepared folder')
    .requiredOption('--prompt-ids <ids>', 'prompt token ids, comma-separated', parseTokenIds)
    .addOption(new Option('--max-new-tokens <n>', 'tokens to generate').argParser(parseIntegerOption('--max-new-tokens', 1, 1_000_000)).default(32))
    .addOption(new Option('--greedy', 'argmax decoding (the only mode of this command; accepted for clarity)'))
    .addOption(new Option('--device <d>', 'execution provider; auto tries cuda, (dml,) webgpu, then cpu').choices(['auto', ...DEVICE_NAMES]).default('auto'))
    .addOption(new Option('--precision <p>', 'weights of the decoder (default int4 when preparing; a prepared folder keeps its own)').choices(PRECISIONS))
    .addOption(new Option('--block-size <n>', 'int4 block size when preparing').argParser(parseBlockSize))
    .addOption(new Option('--accuracy-level <n>', 'int4 MatMulNBits accuracy_level when preparing').argParser(parseIntegerOption('--accuracy-level', 0, 4)))
    .addOption(new Option('--threads <n>', 'onnxruntime intra-op threads (default: one per core; lower it when other work shares the CPU)').argParser(parseIntegerOption('--threads', 1, 1024)))
    .addOption(new Option('--ignore-eos', 'do not stop at the end-of-sequence ids of generation_config.json'))
    .addOption(new Option('--cache-dir <dir>', 'where prepared folders live (default: APOLLO_CACHE_DIR, else the user cache folder)'))
    .action(async (opts: GenerateCliOptions, command: Command) => {
      await run(command, async (ctx) => {
        const t0 = performance.now();
        const folder = await decoderFolder(resolve(opts.model), opts, ctx);
        const prepareMs = performance.now() - t0;
        const device = await selectDevice(opts.device);
        const threads = opts.threads ?? defaultThreadCount();
        const t1 = performance.now();
        const session = await Qwen2DecoderSession.open(folder.dir, { device, threads, capacity: opts.promptIds.length + opts.maxNewTokens });
        const loadMs = performance.now() - t1;
        try {
          const result = await generateGreedy(session, opts.promptIds, {
            maxNewTokens: opts.maxNewTokens,
            stopIds: opts.ignoreEos === true ? [] : session.artifacts.eosTokenIds,
            signal: ctx.signal,
            onProgress: ctx.progress,
          });
          const { graph } = session.artifacts;
          const output = {
            tokenIds: result.tokenIds,
            stopReason: result.stopReason,
            device: device.device,
            deviceReason: device.reason,
            precision: graph.precision,
            ...(graph.int4 !== undefined ? { int4: graph.int4 } : {}),
            threads,
            preparedDir: folder.preparedDir,
            timings: { ...result.timings, prepareMs, loadMs },
          };
          if (ctx.json) ctx.printJson(output);
          else {
            ctx.print(result.tokenIds.join(','));
            const t = result.timings;
            ctx.print(
              `${device.device} (${device.reason}), ${graph.precision}, ${threads} threads: prefill ${t.promptTokens} tokens in ${t.prefillMs.toFixed(1)} ms, ` +
                `decode ${t.decodeTokensPerSecond.toFixed(2)} tokens/s; stopped by ${result.stopReason}`,
            );
          }
        } finally {
          await session.release();
        }
      });
    });
}
