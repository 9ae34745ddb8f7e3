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
  it('plain-Node code may not import electron', async () => {
    const errors = await restrictedImportErrors('electron/engine/video/bad.ts', "import { app } from 'electron';\nexport const x = app;\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/plain Node/);
  });

  it('plain-Node code may not import main-process code', async () => {
    expect(await restrictedImportErrors('electron/engine/server/bad.ts', "import { x } from '../../main/index.js';\nexport const y = x;\n")).toHaveLength(1);
  });

  it('plain-Node code may import Node built-ins and shared code', async () => {
    expect(await restrictedImportErrors('electron/engine/server/ok.ts', "import { join } from 'node:path';\nimport { ApolloError } from '../../shared/errors.js';\nexport const y = [join, ApolloError];\n")).toEqual([]);
  });

  it('the renderer may not import Node built-ins, electron or core modules', async () => {
    const file = 'renderer/src/bad.ts';
    expect(await restrictedImportErrors(file, "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import fs from 'fs';\nexport const a = fs;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { resolveFfmpeg } from '../../electron/common/platform/ffmpeg-locate';\nexport const a = probeVideo;\n")).toHaveLength(1);
  });

  it('the renderer may import shared types', async () => {
    expect(await restrictedImportErrors('renderer/src/ok.ts', "import { ApolloError } from '../../electron/shared/errors';\nexport const a = ApolloError;\n")).toEqual([]);
  });

  it('shared code may not import Node built-ins', async () => {
    expect(await restrictedImportErrors('electron/shared/bad.ts', "import { join } from 'node:path';\nexport const a = join;\n")).toHaveLength(1);
  });

  // The host / engine wall (electron/host and electron/main run in Electron main or the web server,
  // electron/engine in the engine child process; see eslint.config.js).
  it('host code may not import engine code or onnxruntime', async () => {
    const file = 'electron/host/app/bad.ts';
    expect(await restrictedImportErrors(file, "import { probeVideo } from '../../engine/video/probe-video.js';\nexport const a = probeVideo;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { ApolloRuntime } from '../../engine/runtime/apollo-runtime.js';\nexport const a = ApolloRuntime;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { prepareModel } from '../../engine/prepare/prepare-model.js';\nexport const a = prepareModel;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import * as ort from 'onnxruntime-node';\nexport const a = ort;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { runCli } from '../../cli/main.js';\nexport const a = runCli;\n")).toHaveLength(1);
  });

  it('host code may import the engine client, common and shared code, and the prepared-folder lookup', async () => {
    const code = [
      "import { EngineClient } from '../engine-client/engine-client.js';",
      "import { pathExists } from '../../common/platform/path-exists.js';",
      "import type { AskResult } from '../../shared/engine-protocol.js';",
      "import { preparedFolders } from '../../engine/prepare/prepared-folders.js';",
      'export const a: [unknown, unknown, unknown, AskResult | undefined] = [EngineClient, pathExists, preparedFolders, undefined];',
      '',
    ].join('\n');
    expect(await restrictedImportErrors('electron/host/download/ok.ts', code)).toEqual([]);
  });

  it('Electron main may not import engine code or onnxruntime', async () => {
    const file = 'electron/main/bad.ts';
    expect(await restrictedImportErrors(file, "import { loadVisionModel } from '../engine/vision/video-clip-embeddings.js';\nexport const a = loadVisionModel;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { InferenceSession } from 'onnxruntime-node';\nexport const a = InferenceSession;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { EngineClient } from '../host/engine-client/engine-client.js';\nexport const a = EngineClient;\n")).toEqual([]);
  });

  it('engine code may not import host or CLI code', async () => {
    const file = 'electron/engine/vision/bad.ts';
    expect(await restrictedImportErrors(file, "import { AppService } from '../../host/app/app-service.js';\nexport const a = AppService;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { runCli } from '../../cli/main.js';\nexport const a = runCli;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { resolveFfmpeg } from '../../common/platform/ffmpeg-locate.js';\nexport const a = resolveFfmpeg;\n")).toEqual([]);
  });

  it('common code may import only shared and common code', async () => {
    const file = 'electron/common/platform/bad.ts';
    expect(await restrictedImportErrors(file, "import { probeVideo } from '../../engine/video/probe-video.js';\nexport const a = probeVideo;\n")).toHaveLength(1);
    expect(await restrictedImportErrors(file, "import { AppService } from '../../host/app/app-service.js';\nexport const a = AppService;\n")).toHaveLength(1);
  });

  it('the CLI hosts both sides: it may import host and engine code', async () => {
    const code = "import { AppService } from '../../host/app/app-service.js';\nimport { probeVideo } from '../../engine/video/probe-video.js';\nexport const a = [AppService, probeVideo];\n";
    expect(await restrictedImportErrors('electron/cli/commands/ok.ts', code)).toEqual([]);
  });
});
