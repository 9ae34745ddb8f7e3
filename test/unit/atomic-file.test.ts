import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonValidated, writeJsonAtomic } from '../../electron/common/persist/atomic-file.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';

const schema = z.object({ turns: z.array(z.string()) });

describe('atomic JSON files', () => {
  it('writes, reads back and validates', async () => {
    const dir = makeTempDir('atomic');
    const path = join(dir, 'nested', 'chat.json');
    await writeJsonAtomic(path, { turns: ['hello'] });
    expect(await readJsonValidated(path, schema)).toEqual({ ok: true, value: { turns: ['hello'] } });
    expect(await readJsonValidated(join(dir, 'none.json'), schema)).toEqual({ ok: false, reason: 'missing' });
    writeFileSync(join(dir, 'bad.json'), '{"turns": [1');
    expect(await readJsonValidated(join(dir, 'bad.json'), schema)).toEqual({ ok: false, reason: 'corrupt' });
    writeFileSync(join(dir, 'wrong.json'), '{"turns": 3}');
    expect(await readJsonValidated(join(dir, 'wrong.json'), schema)).toEqual({ ok: false, reason: 'corrupt' });
  });

  it('a kill -9 in the middle of writes never leaves a torn file', async () => {
    const dir = makeTempDir('atomic-kill');
    const path = join(dir, 'chat.json');
    await writeJsonAtomic(path, { turns: ['v0'] });
    // A child rewrites the file in a loop with large payloads; we SIGKILL it at random moments.
    const script = `
      import { writeJsonAtomic } from ${JSON.stringify(join(repoRoot, 'electron/common/persist/atomic-file.ts'))};
      const big = 'x'.repeat(2_000_000);
      for (let i = 1; ; i++) await writeJsonAtomic(${JSON.stringify(path)}, { turns: ['v' + i, big] });
    `;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 400 + round * 150));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const result = await readJsonValidated(path, schema);
      expect(result.ok, `round ${round}: ${readFileSync(path, 'utf8').slice(0, 80)}`).toBe(true);
    }
    // The writer really ran: the file moved past its first version.
    const final = await readJsonValidated(path, schema);
    expect(final.ok && final.value.turns[0]).not.toBe('v0');
    // Stray temporaries may remain after a kill, but never under the real name.
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(dir).filter((f) => !f.startsWith('.'))).toEqual(['chat.json']);
  });
});
