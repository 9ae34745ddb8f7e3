// Finds ffmpeg and ffprobe: an explicit path from the environment, then ffmpeg-static's bundled
// binary (an optional dependency whose download may have failed), then the system PATH. ffprobe:
// APOLLO_FFPROBE_PATH, else the one beside the chosen ffmpeg, else @ffprobe-installer/ffprobe's
// (an optional dependency that carries the binary inside its npm tarball), else the PATH's. Probing
// (`plan`) needs only ffprobe, so it works with the bundled ffprobe and no ffmpeg anywhere.
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';

export interface FfmpegInstall {
  ffmpeg: string;
  ffprobe: string;
  source: 'env' | 'ffmpeg-static' | 'system';
}

const exe = process.platform === 'win32' ? '.exe' : '';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name + exe);
    if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function ffmpegStaticPath(): string | undefined {
  try {
    const path = createRequire(import.meta.url)('ffmpeg-static') as string | null;
    return path && existsSync(path) && isExecutable(path) ? path.replace('app.asar', 'app.asar.unpacked') : undefined;
  } catch {
    return undefined;
  }
}

/** @ffprobe-installer/ffprobe's binary for this platform, when that optional dependency installed. */
function bundledFfprobePath(): string | undefined {
  try {
    const path = (createRequire(import.meta.url)('@ffprobe-installer/ffprobe') as { path?: string }).path;
    if (typeof path !== 'string') return undefined;
    const unpacked = path.replace('app.asar', 'app.asar.unpacked');
    return existsSync(unpacked) && isExecutable(unpacked) ? unpacked : undefined;
  } catch {
    return undefined;
  }
}

/** ffprobe alone (probing needs no ffmpeg): the environment's, the system ffmpeg's sibling, the bundled one, then PATH. */
export function resolveFfprobe(env: NodeJS.ProcessEnv = process.env): string {
  if (env.APOLLO_FFPROBE_PATH) return env.APOLLO_FFPROBE_PATH;
  try {
    return resolveFfmpeg(env).ffprobe;
  } catch (error) {
    if (!(error instanceof ApolloError) || error.code !== 'FFMPEG_NOT_FOUND' || env.APOLLO_FFMPEG_PATH) throw error;
  }
  const ffprobe = bundledFfprobePath() ?? findOnPath('ffprobe', env.PATH ?? '');
  if (ffprobe === undefined) throw missingFfprobe();
  return ffprobe;
}

let cached: FfmpegInstall | undefined;

export function resolveFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegInstall {
  if (cached !== undefined && env === process.env) return cached;
  const result = resolveUncached(env);
  if (env === process.env) cached = result;
  return result;
}

function resolveUncached(env: NodeJS.ProcessEnv): FfmpegInstall {
  const pathVar = env.PATH ?? '';
  // An empty APOLLO_FFPROBE_PATH is unset, as an empty APOLLO_FFMPEG_PATH is (and as resolveFfprobe reads it).
  const ffprobeOverride = env.APOLLO_FFPROBE_PATH || undefined;
  const probeNear = (ffmpeg: string): string | undefined => {
    const sibling = join(dirname(ffmpeg), 'ffprobe' + exe);
    return existsSync(sibling) && isExecutable(sibling) ? sibling : (bundledFfprobePath() ?? findOnPath('ffprobe', pathVar));
  };
  if (env.APOLLO_FFMPEG_PATH) {
    const ffmpeg = env.APOLLO_FFMPEG_PATH;
    if (!existsSync(ffmpeg) || !isExecutable(ffmpeg)) {
      throw new ApolloError('FFMPEG_NOT_FOUND', `APOLLO_FFMPEG_PATH points to ${ffmpeg}, which is not an executable file; fix the variable or unset it to use the system ffmpeg.`);
    }
    const ffprobe = ffprobeOverride ?? probeNear(ffmpeg);
    if (ffprobe === undefined) throw missingFfprobe();
    return { ffmpeg, ffprobe, source: 'env' };
  }
  const bundled = ffmpegStaticPath();
  if (bundled !== undefined) {
    const ffprobe = ffprobeOverride ?? probeNear(bundled);
    if (ffprobe !== undefined) return { ffmpeg: bundled, ffprobe, source: 'ffmpeg-static' };
  }
  const ffmpeg = findOnPath('ffmpeg', pathVar);
  if (ffmpeg === undefined) throw new ApolloError('FFMPEG_NOT_FOUND');
  const ffprobe = ffprobeOverride ?? probeNear(ffmpeg);
  if (ffprobe === undefined) throw missingFfprobe();
  return { ffmpeg, ffprobe, source: 'system' };
}

function missingFfprobe(): ApolloError {
  return new ApolloError(
    'FFMPEG_NOT_FOUND',
    'ffprobe (part of ffmpeg) was not found; install the full ffmpeg package (Debian/Ubuntu: `sudo apt-get install ffmpeg`, macOS: `brew install ffmpeg`) or set APOLLO_FFPROBE_PATH.',
  );
}
