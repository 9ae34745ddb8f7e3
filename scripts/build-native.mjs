// Builds the node-addon-api addon in native/ with node-gyp. During `npm install` a failure is not
// fatal: the TypeScript twins take over and the app says why. `--required` makes it fatal (CI).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.argv.includes('--required');
if (!existsSync(join(root, 'native', 'binding.gyp'))) process.exit(0);
const gyp = process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp';
const run = spawnSync(gyp, ['rebuild', '--directory', join(root, 'native')], { stdio: 'inherit', shell: process.platform === 'win32' });
if (run.status !== 0) {
  const message = `native addon build failed (node-gyp exit ${run.status ?? run.error?.message}); the TypeScript fallbacks will be used`;
  if (required) { console.error(message); process.exit(1); }
  console.warn(`warning: ${message}`);
}
