// Prepared models are verified by content, not size: the attack reproduced overwrote 64 KB of a
// vision graph's data (or of decoder.onnx.data) in place, which the size check let through (answers
// of token 0, damaged clip embeddings cached), and `prepare` then reused the damaged folder unless
// --force. Now a file whose stat (inode, size, mtime, ctime) changed since it last matched its
// SHA-256 is hashed again before the folder is used, the damage is PREPARED_MODEL_INVALID, and
// `prepare` rebuilds it without --force; an untouched folder is not re-hashed.
import { openSync, readFileSync, statSync, utimesSync, writeSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { sha256File, verifyFilesByContent, VERIFIED_STAMPS_FILE, type FileStamp } from '../../electron/engine/prepare/prepare-manifest.js';
import { prepareModel, readPreparedManifest, resolvePreparedModel } from '../../electron/engine/prepare/prepare-model.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let modelDir: string;
let cacheDir: string;

beforeAll(async () => {
  dir = makeTempDir('prepared-integrity');
  modelDir = join(dir, 'model');
  cacheDir = join(dir, 'cache');
  await makeTinyCheckpoint(modelDir, { seed: 17 });
}, 60_000);

/** Overwrites `length` bytes in the middle of a file in place (same size), optionally putting its mtime back. */
function damage(path: string, length: number, keepMtime: boolean): void {
  const before = statSync(path);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(length, 0x5a), 0, length, Math.floor(before.size / 2));
  closeSync(fd);
  if (keepMtime) utimesSync(path, before.atime, before.mtime);
  expect(statSync(path).size).toBe(before.size);
}

describe('prepared folders verified by content', () => {
  it('detects an in-place overwrite of a vision graph, even with its mtime put back, and prepare rebuilds it without --force', async () => {
    const first = await prepareModel(modelDir, { precision: 'fp32', cacheDir });
    await readPreparedManifest(first.preparedDir);
    expect(existsSync(join(first.preparedDir, VERIFIED_STAMPS_FILE))).toBe(true);
    const data = join(first.preparedDir, 'siglip-float32', readFileSync(join(first.preparedDir, 'manifest.json'), 'utf8').includes('siglip.onnx.data') ? 'siglip.onnx.data' : 'siglip.onnx');
    const good = await sha256File(data);

    damage(data, 64 * 1024 > statSync(data).size / 2 ? 4096 : 64 * 1024, true);
    await expect(readPreparedManifest(first.preparedDir)).rejects.toMatchObject({ code: 'PREPARED_MODEL_INVALID', details: { reason: expect.stringMatching(/does not match its SHA-256/) } });
    await expect(resolvePreparedModel(first.preparedDir, { precision: 'fp32', cacheDir })).rejects.toMatchObject({ code: 'PREPARED_MODEL_INVALID' });

    const rebuilt = await prepareModel(modelDir, { precision: 'fp32', cacheDir });
    expect(rebuilt.reused).toBe(false);
    expect(rebuilt.preparedDir).toBe(first.preparedDir);
    expect(await sha256File(data)).toBe(good);
    await readPreparedManifest(rebuilt.preparedDir);
    expect((await prepareModel(modelDir, { precision: 'fp32', cacheDir })).reused).toBe(true);
  }, 180_000);

  it('hashes nothing again while no file changed, and only the changed file after a change', async () => {
    const prepared = await prepareModel(modelDir, { precision: 'fp32', cacheDir });
    const manifest = await readPreparedManifest(prepared.preparedDir);
    const files = Object.values(manifest.artifacts).flatMap((a) => a.files);
    const stamps = JSON.parse(readFileSync(join(prepared.preparedDir, VERIFIED_STAMPS_FILE), 'utf8')) as Record<string, FileStamp>;
    const again = await verifyFilesByContent(prepared.preparedDir, files, stamps);
    expect(again.problem).toBeUndefined();
    expect(again.hashed).toEqual([]);
    const touched = files.find((f) => f.path.startsWith('connector-float32/'))!;
    utimesSync(join(prepared.preparedDir, touched.path), new Date(), new Date());
    const after = await verifyFilesByContent(prepared.preparedDir, files, stamps);
    expect(after.problem).toBeUndefined();
    expect(after.hashed).toEqual([touched.path]);
  }, 120_000);

  it('the CLI refuses a damaged decoder in a prepared folder with PREPARED_MODEL_INVALID instead of answering', async () => {
    const prepared = await prepareModel(modelDir, { precision: 'fp32', cacheDir });
    const manifest = await readPreparedManifest(prepared.preparedDir);
    const decoderData = Object.values(manifest.artifacts).flatMap((a) => a.files).map((f) => f.path).find((p) => p.startsWith('decoder/') && p.endsWith('.data'))!;
    damage(join(prepared.preparedDir, decoderData), 64 * 1024, true);
    const r = await runCli(['generate', '--model', prepared.preparedDir, '--prompt-ids', '1,2,3', '--max-new-tokens', '2', '--device', 'cpu', '--json'], { env: { APOLLO_CACHE_DIR: cacheDir }, timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[PREPARED_MODEL_INVALID\]/m);
    // prepare (no --force) repairs it.
    const repaired = await runCli(['prepare', modelDir, '--precision', 'fp32', '--cache-dir', cacheDir, '--json'], { timeoutMs: 120_000 });
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout).reused).toBe(false);
  }, 240_000);
});
