// Copies the checkpoint's small files (configs, tokenizer, chat template) into the prepared
// folder, so that a prepared folder is self-contained for the runtime.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { PrepareArtifact } from './prepare-artifact.js';

const CONFIG_FILE = /\.(json|jinja|txt|model)$/;

async function listConfigFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (CONFIG_FILE.test(e.name) && !e.name.endsWith('.safetensors.index.json')) out.push(p);
    }
  };
  await walk(root);
  return out.sort();
}

export const configFilesArtifact: PrepareArtifact = {
  name: 'config',
  version: '1',
  async build(ctx) {
    const files = await listConfigFiles(ctx.sourceDir);
    let done = 0;
    for (const src of files) {
      ctx.signal.throwIfAborted();
      const dst = join(ctx.outDir, relative(ctx.sourceDir, src));
      await mkdir(dirname(dst), { recursive: true });
      await copyFile(src, dst);
      ctx.progress(++done, files.length, 'files', relative(ctx.sourceDir, src));
    }
    return { info: { files: files.length } };
  },
};
