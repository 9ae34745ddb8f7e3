import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const eslint = new ESLint({ cwd: repoRoot });

async function restrictedImportErrors(relativePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, relativePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('process boundaries (ESLint no-restricted-imports)', () => {
  it('core code may not import electron', async () => {
    const errors = await restrictedImportErrors('electron/core/video/bad.ts', "import { app } from 'electron';\nexport const x = app;\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/plain Node/);
  });

  it('core code may not import main-process code', async () => {
    expect(await restrictedImportErrors('electron/core/engine/bad.ts', "import { x } from '../../main/index.js';\nexport const y = x;\n")).toHaveLength(1);
  });

  it('core code may import Node built-ins and shared code', async () => {
    expect(await restrictedImportErrors('electron/core/engine/ok.ts', "import { join } from 'node:path';\nimport { ApolloError } from '../../shared/errors.js';\nexport const y = [join, ApolloError];\n")).toEqual([]);
  });

  it('the renderer may not import Node built-ins, electron or core modules', async () => {
    const file = 'renderer/src/bad.ts';
    expect(await restrictedImportErrors(file, "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import fs from 'fs';\nexport const a = fs;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { resolveFfmpeg } from '../../electron/core/video/ffmpeg-locate';\nexport const a = resolveFfmpeg;\n")).toHaveLength(1);
  });

  it('the renderer may import shared types', async () => {
    expect(await restrictedImportErrors('renderer/src/ok.ts', "import { ApolloError } from '../../electron/shared/errors';\nexport const a = ApolloError;\n")).toEqual([]);
  });

  it('shared code may not import Node built-ins', async () => {
    expect(await restrictedImportErrors('electron/shared/bad.ts', "import { join } from 'node:path';\nexport const a = join;\n")).toHaveLength(1);
  });
});
