// Settings: device, precision, sampling, clip sampling ratio and cache size, validated by the host.
import { useEffect, useRef, useState } from 'react';
import type { AppSettings } from '../../../electron/shared/app-api';
import { useSettingsStore } from '../stores/settings-store';

// The browser checks min/max only: a step attribute would make values off its grid (min + k·step)
// "invalid", and a form the browser refuses to submit silently (the default cache size, 10, was
// one). The host validates every setting and names the one that is wrong.
function NumberField({ label, hint, value, min, max, testId, onChange }: { label: string; hint: string; value: number; min: number; max: number; testId: string; onChange(v: number): void }) {
  return (
    <label className="flex flex-col gap-1 text-sm">
      <span className="font-medium">{label}</span>
      <input type="number" data-testid={testId} value={value} min={min} max={max} step="any" onChange={(e) => onChange(Number(e.target.value))} className="rounded border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900" />
      <span className="text-xs text-zinc-500">{hint}</span>
    </label>
  );
}

/**
 * Mounted while open. It shows the host's settings, read again on open (another window, the web
 * mode or the CLI may have changed them), and saves only the fields changed here: a value changed
 * elsewhere is never put back to what this window saw before.
 */
export function SettingsDialog({ onClose }: { onClose(): void }) {
  const settings = useSettingsStore((s) => s.settings);
  const error = useSettingsStore((s) => s.error);
  const update = useSettingsStore((s) => s.update);
  const load = useSettingsStore((s) => s.load);
  const [edits, setEdits] = useState<Partial<AppSettings>>({});
  const draft: AppSettings = { ...settings, ...edits };
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    dialog.current?.showModal?.();
    void load();
  }, [load]);

  const set = <K extends keyof AppSettings>(key: K, value: AppSettings[K]) => setEdits((d) => ({ ...d, [key]: value }));
  return (
    <dialog ref={dialog} onClose={onClose} className="m-auto w-[28rem] max-w-[calc(100vw-2rem)] rounded-xl bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-black/40 dark:bg-zinc-900 dark:text-zinc-100">
      <form
        method="dialog"
        noValidate
        className="flex flex-col gap-4 p-5"
        onSubmit={(e) => {
          e.preventDefault();
          if (Object.keys(edits).length === 0) onClose();
          else void update(edits).then((ok) => ok && onClose());
        }}
      >
        <h2 className="text-lg font-semibold">Settings</h2>
        <div className="grid grid-cols-2 gap-4">
          <label className="flex flex-col gap-1 text-sm">
            <span className="font-medium">Device</span>
            <select value={draft.device} onChange={(e) => set('device', e.target.value as AppSettings['device'])} className="rounded border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900">
              <option value="auto">Automatic</option>
              <option value="cuda">CUDA (NVIDIA)</option>
              <option value="webgpu">WebGPU (Metal / Vulkan / D3D12)</option>
              <option value="dml">DirectML (Windows)</option>
              <option value="cpu">CPU</option>
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm">
            <span className="font-medium">Precision</span>
            <select value={draft.precision} onChange={(e) => set('precision', e.target.value as AppSettings['precision'])} className="rounded border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900">
              <option value="int4">int4 (smallest, fastest on CPU)</option>
              <option value="fp16">fp16</option>
              <option value="fp32">fp32 (exact, largest)</option>
            </select>
          </label>
          <NumberField label="Temperature" hint="0 = always the most likely word" value={draft.temperature} min={0} max={2} testId="setting-temperature" onChange={(v) => set('temperature', v)} />
          <NumberField label="Top-p" hint="Nucleus sampling mass" value={draft.topP} min={0.05} max={1} testId="setting-top-p" onChange={(v) => set('topP', v)} />
          <NumberField label="Max new tokens" hint="Longest answer, in tokens" value={draft.maxNewTokens} min={1} max={4096} testId="setting-max-new-tokens" onChange={(v) => set('maxNewTokens', v)} />
          <NumberField label="Clip sampling ratio" hint="Lower: fewer clips, faster, less detail" value={draft.clipSamplingRatio} min={0.05} max={1} testId="setting-clip-ratio" onChange={(v) => set('clipSamplingRatio', v)} />
          <NumberField label="Cache size (GiB)" hint="Clip embeddings kept on disk" value={draft.cacheSizeGiB} min={0.1} max={1024} testId="setting-cache-size" onChange={(v) => set('cacheSizeGiB', v)} />
        </div>
        {error !== null && <p role="alert" className="text-sm text-red-600">{error}</p>}
        <div className="flex justify-end gap-2">
          <button type="button" onClick={onClose} className="rounded px-3 py-1.5 text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800">
            Cancel
          </button>
          <button type="submit" data-testid="settings-save" className="rounded bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
            Save
          </button>
        </div>
      </form>
    </dialog>
  );
}
