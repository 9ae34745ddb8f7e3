// Where prepared models live: APOLLO_CACHE_DIR when set, else the platform's per-user cache folder.
// Prepared folders are derived data (rebuildable from the checkpoint), hence a cache, not app data.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function apolloCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.APOLLO_CACHE_DIR !== undefined && env.APOLLO_CACHE_DIR !== '') return env.APOLLO_CACHE_DIR;
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'apollo-desktop');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'apollo-desktop', 'Cache');
  return join(env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(home, '.cache'), 'apollo-desktop');
}

export function preparedRootDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(apolloCacheDir(env), 'prepared');
}
