#!/usr/bin/env node
// `apollo-chat`: runs the built CLI bundle (npm run build makes dist/cli.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('error [NOT_BUILT]: apollo-chat is not built yet; run `npm run build` in the project folder first.\n');
  process.exit(1);
}
await import(pathToFileURL(bundle).href);
