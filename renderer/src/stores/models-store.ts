// The model manager's state: catalog, installed models, downloads in progress, and actions.
import { create } from 'zustand';
import type { ModelDownload, ModelsOverview } from '../../../electron/shared/app-api';
import type { ProgressEvent } from '../../../electron/shared/progress';
import { errorMessage, getApi } from './api-instance';
import { useAppStore } from './app-store';

interface ModelsStore {
  overview: ModelsOverview | null;
  open: boolean;
  error: string | null;
  /** Prepare progress per model spec (after its download). */
  preparing: Record<string, ProgressEvent>;
  setOpen(open: boolean): void;
  load(): Promise<void>;
  pull(spec: string, precision: 'fp16' | 'int4'): Promise<void>;
  pause(spec: string): Promise<void>;
  resume(spec: string): Promise<void>;
  cancel(spec: string): Promise<void>;
  select(spec: string): Promise<void>;
  remove(spec: string): Promise<void>;
  applyDownload(download: ModelDownload): void;
  applyProgress(spec: string, progress: ProgressEvent): void;
}

export const useModelsStore = create<ModelsStore>((set, get) => {
  const run = async (action: () => Promise<unknown>) => {
    set({ error: null });
    try {
      await action();
    } catch (error) {
      set({ error: errorMessage(error) });
    }
  };
  return {
    overview: null,
    open: false,
    error: null,
    preparing: {},
    setOpen(open) {
      set({ open });
      if (open) void get().load();
    },
    load: () =>
      run(async () => {
        set({ overview: await getApi().getModels() });
      }),
    pull: (spec, precision) => run(() => getApi().pullModel(spec, precision)),
    pause: (spec) => run(() => getApi().pauseDownload(spec)),
    resume: (spec) => run(() => getApi().resumeDownload(spec)),
    cancel: (spec) => run(() => getApi().cancelDownload(spec)),
    select: (spec) =>
      run(async () => {
        await getApi().selectModel(spec);
        await Promise.all([get().load(), useAppStore.getState().connect()]);
      }),
    remove: (spec) =>
      run(async () => {
        await getApi().removeModel(spec);
        await get().load();
      }),
    applyProgress(spec, progress) {
      set((s) => ({ preparing: { ...s.preparing, [spec]: progress } }));
    },
    applyDownload(download) {
      set((s) => {
        if (s.overview === null) return {};
        const others = s.overview.downloads.filter((d) => d.spec !== download.spec);
        return { overview: { ...s.overview, downloads: [...others, download] } };
      });
    },
  };
});
