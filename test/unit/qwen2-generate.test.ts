// `apollo-chat generate` end to end on the tiny checkpoint: the built CLI prepares the original
// folder, decodes greedily, and its token ids equal the naive reference forward's greedy ids.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmax } from '../../electron/engine/llm/greedy-generate.js';
import { loadQwen2Config } from '../../electron/engine/llm/qwen2-config.js';
import { loadQwen2ReferenceWeights, Qwen2Reference } from '../reference/qwen2-reference.js';
import { openCheckpointFolder } from '../../electron/engine/model/safetensors-checkpoint.js';
import { makeTempDir } from '../helpers/paths.js';
import { runPython } from '../helpers/python-oracle.js';
import { runCli } from '../helpers/run-cli.js';
import { QWEN2_NUMPY_ORACLE } from './qwen2-numpy-oracle.js';

const root = makeTempDir('qwen2-generate');
const model = join(root, 'tiny');
const cacheDir = join(root, 'cache');
let reference: Qwen2Reference;

interface GenerateJson {
  tokenIds: number[];
  stopReason: string;
  device: string;
  deviceReason: string;
  precision: string;
  preparedDir: string;
  timings: Record<string, number>;
}

async function generate(args: string[]): Promise<GenerateJson> {
  const r = await runCli(['generate', '--cache-dir', cacheDir, '--json', '--no-progress', '--greedy', '--device', 'cpu', '--threads', '1', ...args], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as GenerateJson;
}

function referenceGreedy(prompt: number[], n: number): number[] {
  const cache = reference.newCache();
  const vocab = reference.config.vocabSize;
  let logits: Float32Array = reference.forward(reference.embed(prompt), prompt.map((_, i) => i), cache).slice(-vocab);
  const ids: number[] = [];
  for (let t = 0; t < n; t++) {
    ids.push(argmax(logits));
    if (t + 1 < n) logits = reference.forward(reference.embed([ids[t]!]), [prompt.length + t], cache);
  }
  return ids;
}

beforeAll(async () => {
  const made = await runCli(['make-tiny-model', model, '--seed', '3', '--no-progress'], { timeoutMs: 120_000 });
  expect(made.code, made.stderr).toBe(0);
  const llm = join(model, 'llm');
  const config = await loadQwen2Config(llm);
  const source = await openCheckpointFolder(llm);
  reference = new Qwen2Reference(config, await loadQwen2ReferenceWeights(config, source));
  await source.close();
});

describe('apollo-chat generate (fp32) on the tiny checkpoint', () => {
  it('prepares the checkpoint on first use and matches the reference greedy ids for varied prompts', async () => {
    const prompts = [[151644, 8948, 198], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [100000, 7, 151643, 42, 42, 9999, 0, 151935, 12345]];
    for (const prompt of prompts) {
      const out = await generate(['--model', model, '--precision', 'fp32', '--prompt-ids', prompt.join(','), '--max-new-tokens', '12', '--ignore-eos']);
      expect(out.tokenIds).toEqual(referenceGreedy(prompt, 12));
      expect(out).toMatchObject({ device: 'cpu', deviceReason: 'requested', precision: 'fp32', stopReason: 'max-new-tokens' });
      for (const key of ['prefillMs', 'decodeMs', 'decodeTokensPerSecond', 'prefillTokensPerSecond', 'loadMs', 'prepareMs']) expect(out.timings[key]).toBeGreaterThanOrEqual(0);
    }
  });

  it('matches an independent numpy Qwen2 (HF-style, no KV cache) on greedy ids', async () => {
    const prompts = [[9707, 11, 1879, 0], [151644, 872, 198, 3838, 374, 264, 2766, 30, 151645, 198]];
    const want = JSON.parse(runPython(QWEN2_NUMPY_ORACLE, JSON.stringify({ llm: join(model, 'llm'), prompts, newTokens: 10 })).toString()) as number[][];
    for (const [i, prompt] of prompts.entries()) {
      const out = await generate(['--model', model, '--precision', 'fp32', '--prompt-ids', prompt.join(','), '--max-new-tokens', '10', '--ignore-eos']);
      expect(out.tokenIds).toEqual(want[i]);
    }
  });

  it('accepts the prepared folder itself, and refuses a precision the folder does not hold', async () => {
    const first = await generate(['--model', model, '--precision', 'fp32', '--prompt-ids', '5,6,7', '--max-new-tokens', '4', '--ignore-eos']);
    const again = await generate(['--model', first.preparedDir, '--prompt-ids', '5,6,7', '--max-new-tokens', '4', '--ignore-eos']);
    expect(again.tokenIds).toEqual(first.tokenIds);
    expect(again.preparedDir).toBe(first.preparedDir);
    const wrong = await runCli(['generate', '--model', first.preparedDir, '--precision', 'int4', '--prompt-ids', '1', '--json', '--no-progress', '--device', 'cpu']);
    expect(wrong.code).toBe(2);
    expect(JSON.parse(wrong.stdout).error.code).toBe('INVALID_ARGUMENT');
    const direct = await runCli(['generate', '--model', join(first.preparedDir, 'decoder'), '--precision', 'fp16', '--prompt-ids', '1', '--json', '--no-progress', '--device', 'cpu']);
    expect(JSON.parse(direct.stdout).error.code).toBe('INVALID_ARGUMENT');
  });

  it('int4 runs through prepare and generate and reports its settings', async () => {
    const out = await generate(['--model', model, '--precision', 'int4', '--block-size', '128', '--prompt-ids', '1,2,3', '--max-new-tokens', '8', '--ignore-eos']);
    expect(out.precision).toBe('int4');
    expect(out.tokenIds).toHaveLength(8);
    expect(out).toMatchObject({ int4: { blockSize: 128, accuracyLevel: 4 } });
  });

  it('an explicit device that cannot run here is a clear error; bad ids are a usage error', async () => {
    // DirectML exists only on Windows, so on this platform it is always unavailable.
    const dml = await runCli(['generate', '--model', model, '--prompt-ids', '1', '--device', process.platform === 'win32' ? 'cuda' : 'dml', '--json', '--no-progress', '--cache-dir', cacheDir, '--precision', 'fp32']);
    expect(dml.code).toBe(1);
    expect(JSON.parse(dml.stdout).error.code).toBe('DEVICE_UNAVAILABLE');
    const bad = await runCli(['generate', '--model', model, '--prompt-ids', '1,x', '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.code).toBe('USAGE');
  });
});
