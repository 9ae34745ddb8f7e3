// User settings (device, precision, sampling, clip sampling ratio, cache size).
import { create } from 'zustand';
import { DEFAULT_SETTINGS, type AppSettings } from '../../../electron/shared/app-api';
import { errorMessage, getApi } from './api-instance';

interface SettingsStore {
  settings: AppSettings;
  error: string | null;
  load(): Promise<void>;
  update(patch: Partial<AppSettings>): Promise<boolean>;
}

export const useSettingsStore = create<SettingsStore>((set) => ({
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
      set({ settings: await getApi().updateSettings(patch), error: null });
      return true;
    } catch (error) {
      set({ error: errorMessage(error) });
      return false;
    }
  },
}));
