// `apollo-chat pull [MODEL]`: download a model into the Hugging Face cache (resumable, verified),
// then prepare it for onnxruntime.
import { Option, type Command } from 'commander';
import { PRECISIONS, type Precision } from '../../engine/prepare/prepare-manifest.js';
import { prepareModel, type PreparedModel } from '../../engine/prepare/prepare-model.js';
import { addLocalModel, looksLikePath } from '../../host/download/local-models.js';
import { detectMachineProfile } from '../../host/download/machine-profile.js';
import { isSkippedFile, loadCatalog, pickDefaultModel, resolveModelSource } from '../../host/download/model-catalog.js';
import { pullModel } from '../../host/download/model-pull.js';
import type { RunAction } from '../command-types.js';
import { parseIntegerOption } from '../option-parsers.js';

interface PullCliOptions {
  precision?: Precision;
  prepare?: boolean;
  concurrency: number;
}

export function registerPullCommand(program: Command, run: RunAction): void {
  program
    .command('pull')
    .description('download a model (catalog name like apollo-3b, or a repository id org/name[@revision]) into the Hugging Face cache, verify it and prepare it')
    .argument('[model]', 'catalog name, repository id, or the path of a checkpoint folder you have (default: the largest catalog model that fits this machine)')
    .addOption(new Option('--precision <p>', 'precision to prepare (default: fp16 on a GPU where it fits, else int4)').choices(PRECISIONS))
    .addOption(new Option('--no-prepare', 'only download and verify; prepare later (or on first use)'))
    .addOption(new Option('--concurrency <n>', 'files downloaded at the same time').argParser(parseIntegerOption('--concurrency', 1, 16)).default(4))
    .action(async (model: string | undefined, opts: PullCliOptions, command: Command) => {
      await run(command, async (ctx) => {
        const catalog = loadCatalog();
        const machine = detectMachineProfile();
        const pick = pickDefaultModel(catalog, machine);
        const spec = model ?? pick.name;
        if (model === undefined) ctx.stderr.write(`Pulling ${pick.name} (${pick.precision}): ${pick.reason}.\n`);
        if (looksLikePath(spec)) {
          // A checkpoint folder the user already has: remembered for `models`, prepared, never copied.
          const dir = await addLocalModel(spec);
          const precision: Precision = opts.precision ?? (machine.device === 'gpu' ? 'fp16' : 'int4');
          const prepared = opts.prepare === false ? undefined : await prepareModel(dir, { precision, onProgress: ctx.progress, signal: ctx.signal });
          const summary = { model: dir, source: 'local-folder', snapshotDir: dir, downloadedBytes: 0, verified: false, precision, prepared: prepared === undefined ? null : { preparedDir: prepared.preparedDir, reused: prepared.reused } };
          if (ctx.json) ctx.printJson(summary);
          else {
            ctx.print(`Added the local checkpoint ${dir} (nothing downloaded; its files are used in place).`);
            ctx.print(prepared === undefined ? 'Not prepared yet (--no-prepare): it is prepared on first use.' : `Prepared (${precision}): ${prepared.preparedDir}`);
          }
          return;
        }
        const source = resolveModelSource(catalog, spec);
        const result = await pullModel({
          repos: source.repos,
          revision: source.revision,
          signal: ctx.signal,
          concurrency: opts.concurrency,
          onProgress: ctx.progress,
          onMessage: (text) => ctx.stderr.write(`note: ${text}\n`),
          skip: (path) => isSkippedFile(catalog, path),
        });
        const precision: Precision = opts.precision ?? (model === undefined || source.kind === 'catalog' ? pick.precision : machine.device === 'gpu' ? 'fp16' : 'int4');
        let prepared: PreparedModel | undefined;
        if (opts.prepare !== false) prepared = await prepareModel(result.snapshotDir, { precision, onProgress: ctx.progress, signal: ctx.signal });
        const summary = {
          model: source.kind === 'catalog' ? source.model.name : result.repoId,
          repoId: result.repoId,
          revision: result.revision,
          commit: result.commit,
          cacheDir: result.cacheDir,
          snapshotDir: result.snapshotDir,
          files: result.files.length,
          totalBytes: result.totalBytes,
          downloadedBytes: result.downloadedBytes,
          verified: result.verified,
          sizeOnly: result.sizeOnly,
          mirrors: result.mirrors,
          precision,
          prepared: prepared === undefined ? null : { preparedDir: prepared.preparedDir, reused: prepared.reused },
        };
        if (ctx.json) ctx.printJson(summary);
        else {
          const gb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);
          ctx.print(`${summary.model}: ${result.repoId} at ${result.commit.slice(0, 12)}, ${result.files.length} files, ${gb(result.totalBytes)} (${gb(result.downloadedBytes)} downloaded now), ${result.verified ? 'every file verified' : `${result.sizeOnly.length} file(s) checked by size only (the hub sent no hash for ${result.sizeOnly.join(', ')}), the rest verified`}.`);
          ctx.print(`Files: ${result.snapshotDir}`);
          ctx.print(prepared === undefined ? 'Not prepared yet (--no-prepare): it is prepared on first use.' : `Prepared (${precision}): ${prepared.preparedDir}`);
        }
      });
    });
}
