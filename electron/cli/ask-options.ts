// Options shared by `ask` and `chat`: model, device, precision and sampling, parsed into the
// engine's ask settings. Bad values are usage errors (exit 2) that name the option.
import { Option, type Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApolloError } from '../shared/errors.js';
import { resolveInstalledModel } from '../host/download/installed-models.js';
import { loadCatalog } from '../host/download/model-catalog.js';
import { parseIntegerOption, parseNumberOption } from './option-parsers.js';

export interface AskCliOptions {
  model: string;
  device?: 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'dml';
  precision?: 'fp32' | 'fp16' | 'int4';
  greedy?: boolean;
  seed?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxNewTokens?: number;
  clipSamplingRatio?: number;
}

export function addAskOptions(command: Command): Command {
  return command
    .requiredOption('--model <model>', 'an installed model (catalog name such as apollo-3b, or repo id) or a checkpoint folder')
    .addOption(new Option('--device <device>', 'execution provider').choices(['auto', 'cpu', 'cuda', 'webgpu', 'dml']).default('auto'))
    .addOption(new Option('--precision <precision>', 'weights precision of the language model').choices(['fp32', 'fp16', 'int4']).default('int4'))
    .addOption(new Option('--greedy', 'always take the most likely token (deterministic)'))
    .addOption(new Option('--seed <n>', 'seed of the sampler (reproducible answers)').argParser(parseIntegerOption('--seed', 0, 2 ** 32 - 1)))
    .addOption(new Option('--temperature <t>', 'sampling temperature (default 0.4)').argParser(parseNumberOption('--temperature', 0, 2)))
    .addOption(new Option('--top-p <p>', 'nucleus sampling mass (default 0.7)').argParser(parseNumberOption('--top-p', 0.0001, 1)))
    .addOption(new Option('--top-k <k>', 'top-k (default: generation_config.json, 20)').argParser(parseIntegerOption('--top-k', 0, 1_000_000)))
    .addOption(new Option('--max-new-tokens <n>', 'longest answer in tokens (default 256)').argParser(parseIntegerOption('--max-new-tokens', 1, 16384)))
    .addOption(new Option('--clip-sampling-ratio <r>', "share of the model's context spent on the video (default 0.65)").argParser(parseNumberOption('--clip-sampling-ratio', 0.0001, 1)));
}

export function askSettingsFrom(o: AskCliOptions) {
  if (o.greedy === true && (o.temperature !== undefined || o.seed !== undefined || o.topP !== undefined)) {
    throw new ApolloError('USAGE', '--greedy cannot be combined with --seed, --temperature or --top-p; pick one way of choosing tokens.');
  }
  return {
    device: o.device ?? 'auto',
    precision: o.precision ?? 'int4',
    ...(o.greedy ? { greedy: true } : {}),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(o.temperature === undefined ? {} : { temperature: o.temperature }),
    ...(o.topP === undefined ? {} : { topP: o.topP }),
    ...(o.topK === undefined ? {} : { topK: o.topK }),
    ...(o.maxNewTokens === undefined ? {} : { maxNewTokens: o.maxNewTokens }),
    ...(o.clipSamplingRatio === undefined ? {} : { clipSamplingRatio: o.clipSamplingRatio }),
  };
}

/** `--model`: a folder as given, else an installed model by catalog name or repo id (disk only, no network). */
export async function resolveModelArg(spec: string): Promise<string> {
  const asPath = resolve(spec);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) return asPath;
  return (await resolveInstalledModel(loadCatalog(), spec)).dir;
}
