import { createRequire } from 'node:module';
import { join } from 'node:path';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

interface Target {
  target: string;
  arch: string[];
}
const config = createRequire(import.meta.url)(join(repoRoot, 'build', 'electron-builder.config.cjs')) as {
  mac: { target: Target[] };
  win: { target: Target[] };
  linux: { target: Target[] };
  asarUnpack: string[];
  files: string[];
  electronFuses: Record<string, boolean>;
};

const unpacked = (path: string) => config.asarUnpack.some((pattern) => minimatch(path, pattern, { dot: true }));

describe('electron-builder configuration', () => {
  it('builds dmg for macOS arm64 and x64, nsis for Windows x64, AppImage and deb for Linux x64', () => {
    expect(config.mac.target).toContainEqual({ target: 'dmg', arch: ['arm64', 'x64'] });
    expect(config.win.target).toContainEqual({ target: 'nsis', arch: ['x64'] });
    expect(config.linux.target).toContainEqual({ target: 'AppImage', arch: ['x64'] });
    expect(config.linux.target).toContainEqual({ target: 'deb', arch: ['x64'] });
  });

  it('unpacks the addon and all of onnxruntime-node/bin (shared libraries too) from the asar', () => {
    expect(unpacked('native/build/Release/apollo_native.node')).toBe(true);
    for (const lib of [
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll',
      'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/DirectML.dll',
      'node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/libonnxruntime.1.30.0.dylib',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so',
    ]) expect(unpacked(lib), lib).toBe(true);
    expect(unpacked('dist/main.mjs')).toBe(false);
  });

  it('ships the built app and the addon', () => {
    expect(config.files).toContain('dist/**/*');
    expect(config.files).toContain('native/build/Release/*.node');
  });

  it('sets the security fuses: no RunAsNode, no extra file:// privileges, asar integrity', () => {
    expect(config.electronFuses.runAsNode).toBe(false);
    expect(config.electronFuses.grantFileProtocolExtraPrivileges).toBe(false);
    expect(config.electronFuses.enableNodeOptionsEnvironmentVariable).toBe(false);
    expect(config.electronFuses.enableNodeCliInspectArguments).toBe(false);
    expect(config.electronFuses.onlyLoadAppFromAsar).toBe(true);
  });
});
