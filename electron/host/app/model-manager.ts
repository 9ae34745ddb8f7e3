// The app's model manager: the catalog, what is installed, downloads (pause, resume, cancel) and
// the prepare step, as events for the UI. Downloads run here (network I/O); prepare runs in the
// engine process (heavy CPU) through its `prepare` method.
import { existsSync } from 'node:fs';
import type { InstalledModelInfo, ModelDownload, ModelsOverview } from '../../shared/app-api.js';
import { ApolloError, serializeError, toApolloError } from '../../shared/errors.js';
import type { ProgressEvent } from '../../shared/progress.js';
import { DownloadController } from '../download/download-controller.js';
import { hubCacheDir } from '../download/hf-cache-layout.js';
import { listInstalledModels, removeModel, resolveInstalledModel } from '../download/installed-models.js';
import { detectMachineProfile } from '../download/machine-profile.js';
import { estimateMemory, isSkippedFile, loadCatalog, pickDefaultModel, resolveModelSource, type ModelCatalog } from '../download/model-catalog.js';
import { freeBytesAt, pullModel } from '../download/model-pull.js';
import type { EngineClient } from '../engine-client/engine-client.js';

interface ActiveDownload {
  controller: DownloadController;
  status: ModelDownload;
}

export interface ModelManagerEvents {
  download(download: ModelDownload): void;
  progress(spec: string, progress: ProgressEvent): void;
  changed(): void;
}

export class ModelManager {
  private readonly catalog: ModelCatalog;
  private readonly downloads = new Map<string, ActiveDownload>();

  constructor(
    private readonly engine: EngineClient,
    private readonly events: ModelManagerEvents,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.catalog = loadCatalog();
  }

  async overview(selected: string | undefined): Promise<ModelsOverview> {
    const listing = await listInstalledModels(this.catalog, this.env);
    const installed: InstalledModelInfo[] = listing.models.map((m) => ({
      spec: m.name ?? m.repoId,
      ...(m.name ? { name: m.name } : {}),
      repoId: m.repoId,
      revision: m.commit.slice(0, 12),
      sizeBytes: m.sizeBytes,
      verified: m.verified,
      sizeOnly: m.sizeOnly.length,
      prepared: m.prepared,
    }));
    const cacheDir = hubCacheDir(this.env);
    return {
      catalog: this.catalog.models.map((m) => ({
        name: m.name,
        title: m.title,
        approxDownloadBytes: m.approxDownloadBytes,
        memory: { fp16: estimateMemory(this.catalog, m, 'fp16').totalBytes, int4: estimateMemory(this.catalog, m, 'int4').totalBytes },
      })),
      installed,
      ...(selected ? { selected } : {}),
      defaultPick: pickDefaultModel(this.catalog, detectMachineProfile(this.env)),
      downloads: [...this.downloads.values()].map((d) => ({ ...d.status })),
      ...(existsSync(cacheDir) ? { freeBytes: await freeBytesAt(cacheDir) } : {}),
    };
  }

  /** The folder of an installed model (catalog name, repo id, or a local folder), from disk only. */
  async resolve(spec: string): Promise<string> {
    return (await resolveInstalledModel(this.catalog, spec, this.env)).dir;
  }

  private update(spec: string, patch: Partial<ModelDownload>): void {
    const active = this.downloads.get(spec);
    if (active === undefined) return;
    active.status = { ...active.status, ...patch };
    this.events.download({ ...active.status });
  }

  /**
   * Starts downloading (then preparing) a model. Bad input and a download already running are
   * thrown at once; `finished` settles when it is done, failed or cancelled (also as events).
   */
  pull(spec: string, precision: 'fp16' | 'int4'): { finished: Promise<void> } {
    const source = resolveModelSource(this.catalog, spec);
    const existing = this.downloads.get(spec);
    if (existing !== undefined && ['downloading', 'paused', 'preparing'].includes(existing.status.state)) {
      throw new ApolloError('INVALID_ARGUMENT', `${spec} is already being downloaded.`, { details: { status: 409 } });
    }
    const controller = new DownloadController();
    this.downloads.set(spec, { controller, status: { spec, state: 'downloading', doneBytes: 0, totalBytes: 0, bytesPerSecond: 0 } });
    this.events.download({ ...this.downloads.get(spec)!.status });
    controller.onPauseChange((paused) => this.update(spec, { state: paused ? 'paused' : 'downloading' }));
    return { finished: this.download(spec, source, precision, controller) };
  }

  private async download(spec: string, source: ReturnType<typeof resolveModelSource>, precision: 'fp16' | 'int4', controller: DownloadController): Promise<void> {
    try {
      const result = await pullModel({
        repos: source.repos,
        revision: source.revision,
        env: this.env,
        controller,
        skip: (path) => isSkippedFile(this.catalog, path),
        onDownloadProgress: (p) =>
          this.update(spec, {
            state: p.paused ? 'paused' : 'downloading',
            doneBytes: p.overall.done,
            totalBytes: p.overall.total,
            bytesPerSecond: p.overall.bytesPerSecond,
            ...(p.overall.etaMs === undefined ? {} : { etaMs: p.overall.etaMs }),
          }),
        onMessage: (text) => this.update(spec, { message: text }),
      });
      this.update(spec, { state: 'preparing', message: 'Preparing the model for this machine…' });
      await this.engine.call('prepare', { modelDir: result.snapshotDir, precision }, { signal: controller.cancelSignal, onEvent: (progress) => this.events.progress(spec, progress) });
      this.update(spec, { state: 'done', message: 'Ready.' });
    } catch (error) {
      const e = toApolloError(error);
      if (e.code === 'CANCELLED' || controller.cancelled) this.update(spec, { state: 'cancelled', message: 'Cancelled; what was downloaded is kept for next time.' });
      else this.update(spec, { state: 'error', error: serializeError(e), message: e.message });
    } finally {
      this.events.changed();
    }
  }

  private active(spec: string): ActiveDownload {
    const active = this.downloads.get(spec);
    if (active === undefined) throw new ApolloError('INVALID_ARGUMENT', `${spec} is not being downloaded.`, { details: { status: 404 } });
    return active;
  }

  pause(spec: string): void {
    this.active(spec).controller.pause();
  }

  resume(spec: string): void {
    this.active(spec).controller.resume();
  }

  cancel(spec: string): void {
    this.active(spec).controller.cancel();
  }

  async remove(spec: string): Promise<void> {
    const busy = this.downloads.get(spec);
    if (busy !== undefined && ['downloading', 'paused', 'preparing'].includes(busy.status.state)) {
      throw new ApolloError('INVALID_ARGUMENT', `${spec} is being downloaded; cancel the download first.`, { details: { status: 409 } });
    }
    await removeModel(this.catalog, spec, { env: this.env });
    this.downloads.delete(spec);
    this.events.changed();
  }
}
