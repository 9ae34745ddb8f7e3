// Which prepared folders exist for a checkpoint, found from disk without building anything.
// The host lists and removes prepared folders (installed models, `rm`), the engine builds them:
// whether a folder is current depends on the builders' versions (default-artifacts.ts), so the
// lookup lives here beside them. It reads manifests only and never loads onnxruntime or the addon;
// it is the one engine-side module host code may import (see eslint.config.js).
import { preparedRootDir } from '../../common/platform/prepare-cache-dir.js';
import { PRECISIONS, type Precision } from './prepare-manifest.js';
import { resolvePreparedModel } from './prepare-model.js';

/** The prepared folders of a snapshot, one per precision, found without building anything. */
export async function preparedFolders(snapshotDir: string, env: NodeJS.ProcessEnv): Promise<Array<{ precision: Precision; dir: string }>> {
  const out: Array<{ precision: Precision; dir: string }> = [];
  for (const precision of PRECISIONS) {
    try {
      const p = await resolvePreparedModel(snapshotDir, { precision, prepareIfMissing: false, cacheDir: preparedRootDir(env) });
      out.push({ precision, dir: p.preparedDir });
    } catch {
      // not prepared at this precision (or stale)
    }
  }
  return out;
}
