// Where the app keeps its data (chats, settings, uploads) when Electron's userData is not there
// to ask (CLI, web mode): APOLLO_DATA_DIR, else the platform's usual place.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.APOLLO_DATA_DIR) return env.APOLLO_DATA_DIR;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Apollo Desktop');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Apollo Desktop');
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'apollo-desktop');
}
