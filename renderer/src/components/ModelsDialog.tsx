// The model manager: what is installed (use, delete), what can be downloaded (with the memory each
// needs and the pick for this machine), and downloads with pause, resume and cancel.
import { useEffect, useRef, useState } from 'react';
import type { CatalogEntry, ModelDownload } from '../../../electron/shared/app-api';
import { formatDuration } from '../../../electron/shared/progress';
import { useModelsStore } from '../stores/models-store';
import { ProgressPanel } from './ProgressPanel';

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
/** MB below a gigabyte, so small transfers do not read as 0.0 GB. */
const size = (bytes: number) => (bytes >= 1e9 ? gb(bytes) : `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`);

function DownloadRow({ download }: { download: ModelDownload }) {
  const pause = useModelsStore((s) => s.pause);
  const resume = useModelsStore((s) => s.resume);
  const cancel = useModelsStore((s) => s.cancel);
  const preparing = useModelsStore((s) => s.preparing[download.spec]);
  const active = download.state === 'downloading' || download.state === 'paused';
  const pct = download.totalBytes > 0 ? (100 * download.doneBytes) / download.totalBytes : 0;
  return (
    <div data-testid="download" data-state={download.state} className="mt-2 flex flex-col gap-1 text-xs">
      {active && (
        <>
          <div className="h-1.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800">
            <div className="h-full bg-indigo-500" style={{ width: `${pct}%` }} />
          </div>
          <div className="flex items-center justify-between gap-2 tabular-nums text-zinc-500">
            <span>
              {size(download.doneBytes)} / {size(download.totalBytes)}
              {download.state === 'paused' ? ' · paused' : ` · ${(download.bytesPerSecond / 1e6).toFixed(1)} MB/s${download.etaMs !== undefined ? ` · ${formatDuration(download.etaMs)} left` : ''}`}
            </span>
            <span className="flex gap-2">
              {download.state === 'paused' ? (
                <button type="button" onClick={() => void resume(download.spec)} className="hover:text-zinc-900 dark:hover:text-zinc-100">Resume</button>
              ) : (
                <button type="button" onClick={() => void pause(download.spec)} className="hover:text-zinc-900 dark:hover:text-zinc-100">Pause</button>
              )}
              <button type="button" onClick={() => void cancel(download.spec)} className="hover:text-zinc-900 dark:hover:text-zinc-100">Cancel</button>
            </span>
          </div>
        </>
      )}
      {download.state === 'preparing' && preparing !== undefined && <ProgressPanel progress={preparing} />}
      {download.message !== undefined && <span className={download.state === 'error' ? 'text-red-600' : 'text-zinc-500'}>{download.message}</span>}
    </div>
  );
}

function CatalogRow({ entry, recommended, precision: defaultPrecision }: { entry: CatalogEntry; recommended: boolean; precision: 'fp16' | 'int4' }) {
  const pull = useModelsStore((s) => s.pull);
  const download = useModelsStore((s) => s.overview?.downloads.find((d) => d.spec === entry.name));
  const [precision, setPrecision] = useState(defaultPrecision);
  const busy = download !== undefined && ['downloading', 'paused', 'preparing'].includes(download.state);
  return (
    <li data-testid="catalog-model" data-name={entry.name} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
      <div className="flex items-center justify-between gap-3">
        <div>
          <div className="font-medium">
            {entry.title}
            {recommended && <span className="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100">recommended here</span>}
          </div>
          <div className="text-xs text-zinc-500">
            ~{gb(entry.approxDownloadBytes)} download · needs {gb(entry.memory.int4)} (int4) / {gb(entry.memory.fp16)} (fp16) of memory
          </div>
        </div>
        <div className="flex items-center gap-2">
          <select aria-label="Precision" value={precision} onChange={(e) => setPrecision(e.target.value as 'fp16' | 'int4')} className="rounded border border-zinc-300 bg-white px-1 py-0.5 text-xs dark:border-zinc-700 dark:bg-zinc-900">
            <option value="int4">int4</option>
            <option value="fp16">fp16</option>
          </select>
          <button type="button" disabled={busy} onClick={() => void pull(entry.name, precision)} className="rounded bg-indigo-600 px-3 py-1 text-xs font-medium text-white hover:bg-indigo-500 disabled:opacity-50">
            Download
          </button>
        </div>
      </div>
      {download !== undefined && <DownloadRow download={download} />}
    </li>
  );
}

export function ModelsDialog() {
  const open = useModelsStore((s) => s.open);
  const setOpen = useModelsStore((s) => s.setOpen);
  const overview = useModelsStore((s) => s.overview);
  const error = useModelsStore((s) => s.error);
  const select = useModelsStore((s) => s.select);
  const remove = useModelsStore((s) => s.remove);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    if (open) dialog.current?.showModal?.();
    else dialog.current?.close?.();
  }, [open]);

  return (
    <dialog ref={dialog} data-testid="models-dialog" onClose={() => setOpen(false)} className="m-auto w-[40rem] max-w-[95vw] rounded-xl bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-black/40 dark:bg-zinc-900 dark:text-zinc-100">
      <div className="flex max-h-[85vh] flex-col gap-4 overflow-y-auto p-5">
        <div className="flex items-center justify-between">
          <h2 className="text-lg font-semibold">Models</h2>
          <button type="button" onClick={() => setOpen(false)} className="rounded px-2 py-1 text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800">
            Close
          </button>
        </div>
        {overview === null ? (
          <p className="text-sm text-zinc-500">Loading…</p>
        ) : (
          <>
            <section>
              <h3 className="mb-2 text-sm font-medium text-zinc-600 dark:text-zinc-400">On this computer</h3>
              {overview.installed.length === 0 ? (
                <p className="text-sm text-zinc-500">No model yet. Download one below; after that, nothing leaves this machine.</p>
              ) : (
                <ul className="flex flex-col gap-2">
                  {overview.installed.map((m) => (
                    <li key={`${m.repoId}@${m.revision}`} data-testid="installed-model" className="flex items-center justify-between gap-3 rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800">
                      <div>
                        <div className="font-medium">{m.name ?? m.repoId}</div>
                        <div className="text-xs text-zinc-500">
                          {m.repoId} @ {m.revision} · {size(m.sizeBytes)} · {m.verified ? 'verified' : m.sizeOnly > 0 ? `size only: the hub sent no hash for ${m.sizeOnly} file(s)` : 'not verified'} · {m.prepared.length > 0 ? `prepared (${m.prepared.join(', ')})` : 'not prepared'}
                        </div>
                      </div>
                      <div className="flex gap-2 text-xs">
                        {overview.selected === m.spec ? (
                          <span className="rounded-full bg-indigo-100 px-2 py-0.5 text-indigo-800 dark:bg-indigo-900 dark:text-indigo-100">In use</span>
                        ) : (
                          <button type="button" onClick={() => void select(m.spec)} className="rounded bg-indigo-600 px-2 py-1 text-white hover:bg-indigo-500">
                            Use
                          </button>
                        )}
                        <button type="button" onClick={() => void remove(m.spec)} className="rounded px-2 py-1 text-red-600 hover:bg-red-50 dark:hover:bg-red-950">
                          Delete
                        </button>
                      </div>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section>
              <h3 className="mb-1 text-sm font-medium text-zinc-600 dark:text-zinc-400">Download</h3>
              <p className="mb-2 text-xs text-zinc-500">
                Recommended for this machine: {overview.defaultPick.name} ({overview.defaultPick.precision}), because it {overview.defaultPick.reason}.
                {overview.freeBytes !== undefined ? ` ${gb(overview.freeBytes)} free on the model disk.` : ''}
              </p>
              <ul className="flex flex-col gap-2">
                {overview.catalog.map((entry) => (
                  <CatalogRow key={entry.name} entry={entry} recommended={entry.name === overview.defaultPick.name} precision={entry.name === overview.defaultPick.name ? overview.defaultPick.precision : 'int4'} />
                ))}
              </ul>
            </section>
          </>
        )}
        {error !== null && <p role="alert" className="text-sm text-red-600">{error}</p>}
      </div>
    </dialog>
  );
}
