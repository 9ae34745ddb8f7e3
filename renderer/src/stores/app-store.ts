// Connection to the host, and notices for the user (engine restarts, dropped context, errors).
import { create } from 'zustand';
import type { DeviceStatus } from '../../../electron/shared/app-api';
import type { HostInfo } from '../../../electron/shared/app-contract';
import { errorMessage, getApi } from './api-instance';

export type ConnectionState = { status: 'connecting' } | { status: 'ready'; info: HostInfo } | { status: 'error'; message: string };

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

interface AppStore {
  connection: ConnectionState;
  notices: Notice[];
  device: DeviceStatus | null;
  connect(): Promise<void>;
  notify(level: Notice['level'], message: string): void;
  dismiss(id: number): void;
  setDevice(device: DeviceStatus): void;
}

let nextNotice = 1;

export const useAppStore = create<AppStore>((set) => ({
  connection: { status: 'connecting' },
  notices: [],
  device: null,
  async connect() {
    try {
      set({ connection: { status: 'ready', info: await getApi().hostInfo() } });
    } catch (error) {
      set({ connection: { status: 'error', message: errorMessage(error) } });
    }
  },
  notify(level, message) {
    set((s) => ({ notices: [...s.notices.slice(-4), { id: nextNotice++, level, message }] }));
  },
  dismiss(id) {
    set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  },
  setDevice(device) {
    set({ device });
  },
}));
