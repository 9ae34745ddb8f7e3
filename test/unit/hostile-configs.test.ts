// Hostile or damaged checkpoint configurations fail fast with CHECKPOINT_CONFIG_INVALID and a
// sentence, before anything is allocated from them or a read can hang: sizes beyond what the Apollo
// family can have (before: max_position_embeddings 25,000,000 in a tiny checkpoint took 51 s and
// 1.7 GB; absurd widths gave an untyped INTERNAL), and special files (before: a FIFO as config.json
// hung the reader forever) or oversized files in place of a configuration or a weight file.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadApolloCheckpointConfig } from '../../electron/engine/model/apollo-config.js';
import { openCheckpointFolder } from '../../electron/engine/model/safetensors-checkpoint.js';
import { openSafetensors } from '../../electron/engine/model/safetensors.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let tiny: string;
let copies = 0;

beforeAll(async () => {
  dir = makeTempDir('hostile-configs');
  tiny = join(dir, 'tiny');
  await makeTinyCheckpoint(tiny, { seed: 13 });
}, 60_000);

/** A copy of the tiny checkpoint with one JSON file edited. */
function withConfig(file: string, edit: (json: Record<string, unknown>) => void): string {
  const copy = join(dir, `copy-${++copies}`);
  cpSync(tiny, copy, { recursive: true });
  const json = JSON.parse(readFileSync(join(copy, file), 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(join(copy, file), JSON.stringify(json));
  return copy;
}

/** A copy with `file` replaced by what `make` puts at its path. */
function withSpecialFile(file: string, make: (path: string) => void): string {
  const copy = join(dir, `copy-${++copies}`);
  cpSync(tiny, copy, { recursive: true });
  rmSync(join(copy, file));
  make(join(copy, file));
  return copy;
}

const fifo = (path: string) => execFileSync('mkfifo', [path]);

async function expectFastConfigError(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  const started = Date.now();
  await expect(run()).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID', message: expect.stringMatching(pattern) });
  expect(Date.now() - started).toBeLessThan(3_000);
}

describe('sizes beyond the Apollo family', () => {
  it.each([
    ['llm/config.json', 'max_position_embeddings', 25_000_000],
    ['llm/config.json', 'hidden_size', 1_000_000_000],
    ['llm/config.json', 'num_hidden_layers', 100_000],
    ['llm/config.json', 'vocab_size', 2 ** 40],
    ['config.json', 'model_max_length', 50_000_000],
    ['mm_connector/config.json', 'num_output_tokens', 10_000_000],
    ['vision_tower/siglip-so400m-patch14-384/config.json', 'image_size', 1_000_000],
  ])('%s %s = %d is CHECKPOINT_CONFIG_INVALID at once', async (file, key, value) => {
    const copy = withConfig(file, (json) => (json[key] = value));
    await expectFastConfigError(() => loadApolloCheckpointConfig(copy), new RegExp(`key "${key}".*at most`));
  });

  it('apollo-chat prepare refuses it with the code and a sentence, in seconds', async () => {
    const copy = withConfig('llm/config.json', (json) => (json.max_position_embeddings = 25_000_000));
    const started = Date.now();
    const r = await runCli(['prepare', copy, '--precision', 'fp32', '--cache-dir', join(dir, 'cache'), '--json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[CHECKPOINT_CONFIG_INVALID\]: The model configuration .*llm\/config\.json has an unexpected value at key "max_position_embeddings" \(must be at most \d+ for an Apollo model\); download the model again\./m);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('special files in place of a configuration or weight file', () => {
  it('a FIFO as config.json is refused without hanging', async () => {
    const copy = withSpecialFile('config.json', fifo);
    await expectFastConfigError(() => loadApolloCheckpointConfig(copy), /is not a regular file \(a FIFO\)/);
    const r = await runCli(['plan', join(tiny, '..', 'missing.mp4'), '--model', copy, '--json'], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
  });

  it('a device as a configuration is refused before reading', async () => {
    const copy = withSpecialFile('llm/config.json', (path) => symlinkSync('/dev/zero', path));
    await expectFastConfigError(() => loadApolloCheckpointConfig(copy), /is not a regular file \(a device\)/);
  });

  it('an oversized file as a configuration is refused before reading it', async () => {
    const copy = withSpecialFile('mm_connector/config.json', (path) => writeFileSync(path, Buffer.alloc(8 * 1024 * 1024, 0x20)));
    await expectFastConfigError(() => loadApolloCheckpointConfig(copy), /far larger than a configuration file/);
  });

  it('a FIFO as the weight index or as a weight file is refused without hanging', async () => {
    const indexCopy = withSpecialFile('llm/model.safetensors.index.json', fifo);
    await expectFastConfigError(() => openCheckpointFolder(join(indexCopy, 'llm')), /is not a regular file \(a FIFO\)/);
    const shardCopy = withSpecialFile('mm_connector/model.safetensors', fifo);
    const started = Date.now();
    await expect(openSafetensors(join(shardCopy, 'mm_connector', 'model.safetensors'))).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID', message: expect.stringMatching(/not a regular file/) });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
