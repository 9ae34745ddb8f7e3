// The renderer's only door to the app: one interface, one implementation per host (Electron's
// preload bridge, or HTTP in web mode). Stores call it; components never do.
import { deserializeError } from '../../../electron/shared/errors';

export interface HostInfo {
  host: 'electron' | 'web';
  version: string;
}

export interface ApolloApi {
  hostInfo(): Promise<HostInfo>;
}

declare global {
  interface Window {
    /** Exposed by electron/preload through contextBridge; absent in web mode. */
    apolloBridge?: { hostInfo(): Promise<HostInfo> };
  }
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body = (await response.json()) as unknown;
  if (!response.ok) throw deserializeError((body as { error?: unknown }).error);
  return body as T;
}

const webApi: ApolloApi = {
  async hostInfo() {
    const health = await getJson<{ version: string }>('api/health');
    return { host: 'web', version: health.version };
  },
};

export function createApolloApi(): ApolloApi {
  const bridge = window.apolloBridge;
  if (bridge !== undefined) return { hostInfo: () => bridge.hostInfo() };
  return webApi;
}
