// `apollo-chat models`: installed models (size, source repo, revision, verified and prepared state),
// or with --catalog the models that can be pulled with their memory needs. Never uses the network.
import { Option, type Command } from 'commander';
import { detectMachineProfile } from '../../host/download/machine-profile.js';
import { listInstalledModels } from '../../host/download/installed-models.js';
import { estimateMemory, loadCatalog, pickDefaultModel, PRECISIONS } from '../../host/download/model-catalog.js';
import type { RunAction } from '../command-types.js';

// GB from a gigabyte up, MB below (a tokenizer-only repo should not read 0.00 GB).
const gb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);

export function registerModelsCommand(program: Command, run: RunAction): void {
  program
    .command('models')
    .description('list installed models (from the Hugging Face cache) or, with --catalog, the models that can be pulled')
    .addOption(new Option('--catalog', 'list the catalog: mirrors, download size and memory per precision, and the default pick'))
    .action(async (opts: { catalog?: boolean }, command: Command) => {
      await run(command, async (ctx) => {
        const catalog = loadCatalog();
        if (opts.catalog === true) {
          const machine = detectMachineProfile();
          const pick = pickDefaultModel(catalog, machine);
          const models = catalog.models.map((m) => ({
            name: m.name,
            title: m.title,
            repos: m.repos,
            approxDownloadBytes: m.approxDownloadBytes,
            memory: Object.fromEntries(PRECISIONS.map((p) => [p, estimateMemory(catalog, m, p)])),
          }));
          if (ctx.json) ctx.printJson({ models, defaultPick: { ...pick, device: machine.device, deviceReason: machine.reason, systemMemoryBytes: machine.systemMemoryBytes } });
          else {
            for (const m of models) ctx.print(`${m.name.padEnd(12)} download ~${gb(m.approxDownloadBytes)}, memory fp16 ~${gb(m.memory.fp16!.totalBytes)}, int4 ~${gb(m.memory.int4!.totalBytes)}; mirrors: ${m.repos.join(', ')}`);
            ctx.print(`Default here: ${pick.name} (${pick.precision}): ${pick.reason}.`);
          }
          return;
        }
        const listing = await listInstalledModels(catalog);
        if (ctx.json) ctx.printJson(listing);
        else if (listing.models.length === 0 && listing.localFolders.length === 0) ctx.print(`No models installed in ${listing.cacheDir}. Run \`apollo-chat pull\` to download one.`);
        else {
          for (const l of listing.localFolders) {
            ctx.print(`local        ${l.dir}  ${l.present ? `${gb(l.sizeBytes)}, ${l.fileCount} files, ${l.prepared.length > 0 ? `prepared ${l.prepared.join(', ')}` : 'not prepared'}` : 'missing (moved or deleted)'}`);
          }
          ctx.print(`Models in ${listing.cacheDir}:`);
          for (const m of listing.models) {
            const state = [m.verified ? 'verified' : m.sizeOnly.length > 0 ? `size only (no hash from the hub for ${m.sizeOnly.length} file(s))` : 'not verified by Apollo', m.prepared.length > 0 ? `prepared ${m.prepared.join(', ')}` : 'not prepared'].join(', ');
            ctx.print(`${(m.name ?? m.repoId).padEnd(12)} ${m.repoId}@${m.commit.slice(0, 12)}${m.refs.length > 0 ? ` (${m.refs.join(', ')})` : ''}  ${gb(m.sizeBytes)}, ${m.fileCount} files, ${state}`);
          }
        }
        for (const w of listing.warnings) ctx.stderr.write(`warning: ${w}\n`);
      });
    });
}
