// `apollo-chat rm MODEL`: removes a model's snapshots (and their prepared folders) and frees the
// blobs no remaining snapshot uses.
import { Option, type Command } from 'commander';
import { loadCatalog } from '../../host/download/model-catalog.js';
import { forgetLocalFolder, removeModel } from '../../host/download/installed-models.js';
import { looksLikePath } from '../../host/download/local-models.js';
import type { RunAction } from '../command-types.js';

export function registerRmCommand(program: Command, run: RunAction): void {
  program
    .command('rm')
    .description('remove a downloaded model (catalog name or org/name) and free the disk space it alone uses')
    .argument('<model>', 'catalog name, repository id, or a local checkpoint folder added with pull')
    .addOption(new Option('--commit <sha>', 'remove only this snapshot (a 40-character commit id)'))
    .action(async (model: string, opts: { commit?: string }, command: Command) => {
      await run(command, async (ctx) => {
        if (looksLikePath(model)) {
          // A local folder: forget it and its prepared folders; the user's files stay.
          const removedPrepared = await forgetLocalFolder(model);
          if (ctx.json) ctx.printJson({ forgotten: model, removedPrepared });
          else ctx.print(`Forgot ${model} (its files are untouched)${removedPrepared.length > 0 ? ` and removed ${removedPrepared.length} prepared folder(s)` : ''}.`);
          return;
        }
        const results = await removeModel(loadCatalog(), model, opts.commit === undefined ? {} : { commit: opts.commit });
        const freedBytes = results.reduce((n, r) => n + r.freedBytes, 0);
        if (ctx.json) ctx.printJson({ removed: results, freedBytes });
        else {
          for (const r of results) ctx.print(`Removed ${r.repoId}: ${r.removedSnapshots.length} snapshot(s), ${r.removedBlobs} file(s), ${(r.freedBytes / 1e9).toFixed(2)} GB freed${r.keptBlobs > 0 ? `; kept ${r.keptBlobs} file(s) another snapshot uses` : ''}${r.removedPrepared.length > 0 ? `; removed ${r.removedPrepared.length} prepared folder(s)` : ''}.`);
        }
      });
    });
}
