// Connection to the host, and notices for the user (engine restarts, dropped context, errors).
// The connection state is kept true: web mode watches its event stream, and while it is down the
// host is polled, so "Connected" never shows after the server stopped, and a server that came
// back with a new session token (a restart) says so instead of failing request by request.
import { create } from 'zustand';
import type { DeviceStatus } from '../../../electron/shared/app-api';
import type { HostInfo } from '../../../electron/shared/app-contract';
import { ApolloError } from '../../../electron/shared/errors';
import { errorMessage, getApi } from './api-instance';

export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'ready'; info: HostInfo }
  /** `restarted`: the server answers but no longer knows this page's session (it was restarted). */
  | { status: 'error'; message: string; restarted?: boolean };

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
  /** The event stream dropped (web mode): checks the host until it answers again. */
  lost(): void;
  notify(level: Notice['level'], message: string): void;
  dismiss(id: number): void;
  setDevice(device: DeviceStatus): void;
}

let nextNotice = 1;
let retry: ReturnType<typeof setTimeout> | undefined;

export const RESTARTED_MESSAGE = 'The Apollo server was restarted, so this page’s session ended: open the new address it printed (…/?token=…).';
export const UNREACHABLE_MESSAGE = 'The Apollo server cannot be reached; start `apollo-chat serve` again, then open the address it prints.';

export const useAppStore = create<AppStore>((set, get) => ({
  connection: { status: 'connecting' },
  notices: [],
  device: null,
  async connect() {
    clearTimeout(retry);
    try {
      const info = await getApi().hostInfo();
      set((s) => ({ connection: { status: 'ready', info }, device: info.device ?? (s.connection.status === 'ready' ? s.device : null) }));
    } catch (error) {
      const restarted = error instanceof ApolloError && error.code === 'UNAUTHORIZED';
      set({ connection: { status: 'error', message: restarted ? RESTARTED_MESSAGE : errorMessage(error), restarted } });
      // A restarted server will never accept this page again; an unreachable one may come back.
      if (!restarted) retry = setTimeout(() => void get().connect(), 2000);
    }
  },
  lost() {
    if (get().connection.status === 'error') return;
    set({ connection: { status: 'error', message: UNREACHABLE_MESSAGE } });
    clearTimeout(retry);
    retry = setTimeout(() => void get().connect(), 1000);
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
