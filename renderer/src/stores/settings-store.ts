// User settings (device, precision, sampling, clip sampling ratio, cache size).
import { create } from 'zustand';
import { DEFAULT_SETTINGS, type AppSettings } from '../../../electron/shared/app-api';
import { errorMessage, getApi } from './api-instance';
import { useVideoStore } from './video-store';

interface SettingsStore {
  settings: AppSettings;
  error: string | null;
  load(): Promise<void>;
  update(patch: Partial<AppSettings>): Promise<boolean>;
}

export const useSettingsStore = create<SettingsStore>((set, get) => ({
  settings: DEFAULT_SETTINGS,
  error: null,
  async load() {
    try {
      set({ settings: await getApi().getSettings(), error: null });
    } catch (error) {
      set({ error: errorMessage(error) });
    }
  },
  async update(patch) {
    try {
      const before = get().settings;
      const settings = await getApi().updateSettings(patch);
      set({ settings, error: null });
      // The clip plan depends on the ratio: the open video's filmstrip is planned again.
      if (settings.clipSamplingRatio !== before.clipSamplingRatio) void useVideoStore.getState().reanalyze();
      return true;
    } catch (error) {
      set({ error: errorMessage(error) });
      return false;
    }
  },
}));
