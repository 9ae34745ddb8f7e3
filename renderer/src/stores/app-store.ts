// Connection to the host (Electron main or the web server): state and the action that fills it.
import { create } from 'zustand';
import type { ApolloApi, HostInfo } from '../api/apollo-api';

export type ConnectionState = { status: 'connecting' } | { status: 'ready'; info: HostInfo } | { status: 'error'; message: string };

interface AppStore {
  connection: ConnectionState;
  connect(api: ApolloApi): Promise<void>;
}

export const useAppStore = create<AppStore>((set) => ({
  connection: { status: 'connecting' },
  async connect(api) {
    try {
      set({ connection: { status: 'ready', info: await api.hostInfo() } });
    } catch (error) {
      set({ connection: { status: 'error', message: error instanceof Error ? error.message : String(error) } });
    }
  },
}));
