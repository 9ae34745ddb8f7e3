// Finds the installed app's root folder (the one holding our package.json), whether this code runs
// from source (tests), from dist/ bundles (CLI, engine) or from inside an Electron asar archive.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const name = (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown }).name;
        if (name === 'apollo-desktop') return (cached = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('apollo-desktop package root not found');
    dir = parent;
  }
}
