import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('apollo-chat prepare usage', () => {
  it('rejects a block size MatMulNBits does not take as bad usage (exit 2)', async () => {
    const r = await runCli(['prepare', '/tmp', '--block-size', '48', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'USAGE' } });
    expect(r.stderr).toMatch(/--block-size must be one of 16, 32, 64, 128, 256/);
  });

  it('reports a missing model folder with its code (exit 1)', async () => {
    const r = await runCli(['prepare', '/nonexistent/apollo-model', '--json', '--no-progress']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'FILE_NOT_FOUND' } });
  });
});
