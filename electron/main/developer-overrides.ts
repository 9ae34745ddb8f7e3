// Developer overrides are environment variables that make the app load other code: a native addon
// from any path (APOLLO_NATIVE_PATH), any binary as ffmpeg (APOLLO_FFMPEG_PATH,
// APOLLO_FFPROBE_PATH), the engine's crash hooks (APOLLO_ENGINE_TEST_HOOKS). In a packaged app they
// would defeat the fuses (no RunAsNode, asar integrity), so the packaged app removes them from its
// environment at start, before anything reads them and before the engine process inherits it,
// unless the build was made for development with APOLLO_BUILD_DEVELOPER_OVERRIDES=1
// (scripts/build-node.mjs turns that into __APOLLO_DEVELOPER_OVERRIDES__).

declare const __APOLLO_DEVELOPER_OVERRIDES__: boolean | undefined;

export const DEVELOPER_OVERRIDE_VARIABLES = ['APOLLO_NATIVE_PATH', 'APOLLO_FFMPEG_PATH', 'APOLLO_FFPROBE_PATH', 'APOLLO_ENGINE_TEST_HOOKS'] as const;

/** Whether this build honours developer overrides when packaged (set at build time only). */
export const DEVELOPER_OVERRIDES_BUILD: boolean = typeof __APOLLO_DEVELOPER_OVERRIDES__ === 'boolean' ? __APOLLO_DEVELOPER_OVERRIDES__ : false;

/** Removes the overrides from `env` when the app is packaged and the build does not allow them; returns the names removed. */
export function dropDeveloperOverrides(env: NodeJS.ProcessEnv, options: { packaged: boolean; allowed?: boolean }): string[] {
  if (!options.packaged || (options.allowed ?? DEVELOPER_OVERRIDES_BUILD)) return [];
  const removed = DEVELOPER_OVERRIDE_VARIABLES.filter((name) => env[name] !== undefined);
  for (const name of removed) delete env[name];
  return removed;
}
