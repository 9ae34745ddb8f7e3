// Bundles the Node-side targets with esbuild: Electron main, preload, the engine process and the
// CLI. Native and platform-specific packages stay external (loaded from node_modules at run time).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const external = ['electron', 'onnxruntime-node', 'onnxruntime-common', 'ffmpeg-static', 'playwright-core'];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external,
  logLevel: 'warning',
  absWorkingDir: root,
  // Bundled ESM still needs `require` for CommonJS dependencies.
  banner: { js: "import { createRequire as __apolloCreateRequire } from 'node:module'; const require = __apolloCreateRequire(import.meta.url);" },
};

await Promise.all([
  build({ ...common, format: 'esm', entryPoints: ['electron/main/index.ts'], outfile: 'dist/main.mjs' }),
  build({ ...common, format: 'esm', entryPoints: ['electron/engine/server/engine-main.ts'], outfile: 'dist/engine.mjs' }),
  build({ ...common, format: 'esm', entryPoints: ['electron/cli/main.ts'], outfile: 'dist/cli.mjs' }),
  // A sandboxed preload must be CommonJS.
  build({ ...common, banner: {}, format: 'cjs', entryPoints: ['electron/preload/index.ts'], outfile: 'dist/preload.cjs' }),
]);
