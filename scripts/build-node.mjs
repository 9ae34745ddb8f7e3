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

// The bundles that can load onnxruntime-node import this first: it sets ORT_DISABLE_TELEMETRY before
// the library loads (electron/common/platform/onnxruntime-privacy.ts). An ES module's imports run
// before its body, in source order, so it has to be an import placed before every other one.
const onnxruntimeFirst = { js: `import './onnxruntime-env.mjs'; ${common.banner.js}` };

await Promise.all([
  build({ ...common, format: 'esm', entryPoints: ['electron/common/platform/onnxruntime-env.ts'], outfile: 'dist/onnxruntime-env.mjs' }),
  // The packaged app drops developer overrides (APOLLO_NATIVE_PATH, APOLLO_FFMPEG_PATH, …) unless
  // built with APOLLO_BUILD_DEVELOPER_OVERRIDES=1 (electron/main/developer-overrides.ts).
  build({ ...common, format: 'esm', entryPoints: ['electron/main/index.ts'], outfile: 'dist/main.mjs', define: { __APOLLO_DEVELOPER_OVERRIDES__: JSON.stringify(process.env.APOLLO_BUILD_DEVELOPER_OVERRIDES === '1') } }),
  build({ ...common, banner: onnxruntimeFirst, format: 'esm', entryPoints: ['electron/engine/server/engine-main.ts'], outfile: 'dist/engine.mjs' }),
  build({ ...common, banner: onnxruntimeFirst, format: 'esm', entryPoints: ['electron/cli/main.ts'], outfile: 'dist/cli.mjs' }),
  // A sandboxed preload must be CommonJS.
  build({ ...common, banner: {}, format: 'cjs', entryPoints: ['electron/preload/index.ts'], outfile: 'dist/preload.cjs' }),
]);
