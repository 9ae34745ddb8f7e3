// A video's files in the engine's cache folder (clip embeddings, whole or partial, and the saved KV
// caches of its prompt prefix), found by the video's content fingerprint in each file's header: what
// the library shows as "cached", and what removing a video from the library frees.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { VideoCacheStatus } from '../../shared/engine-protocol.js';
import { readKvPrefixVideoKey } from '../llm/kv-prefix-cache.js';
import { CACHE_ENTRY_SUFFIXES, readEntryHeader } from './clip-embedding-cache.js';

interface CacheFile {
  path: string;
  bytes: number;
  videoKey: string;
  kind: 'embeddings' | 'partial' | 'kv-prefix';
  /** Embeddings: the clips it holds (all of them for a whole entry). */
  clips?: { encoded: number; total: number };
}

/** Every cache file whose header names one of `videoKeys` (all videos when absent). Older files without the name are skipped. */
async function videoCacheFiles(dir: string, videoKeys?: ReadonlySet<string>): Promise<CacheFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files: CacheFile[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    let file: CacheFile | undefined;
    if (name.endsWith(CACHE_ENTRY_SUFFIXES.clipEmbeddings)) {
      const header = await readEntryHeader(path);
      const videoKey = header?.metadata.videoFingerprint;
      if (header === undefined || typeof videoKey !== 'string') continue;
      const list = header.metadata.encodedClips;
      const encoded = Array.isArray(list) ? new Set(list).size : header.clips;
      file = { path, bytes: 0, videoKey, kind: Array.isArray(list) ? 'partial' : 'embeddings', clips: { encoded, total: header.clips } };
    } else if (name.endsWith(CACHE_ENTRY_SUFFIXES.kvPrefix)) {
      const videoKey = await readKvPrefixVideoKey(path);
      if (videoKey === undefined) continue;
      file = { path, bytes: 0, videoKey, kind: 'kv-prefix' };
    }
    if (file === undefined || (videoKeys !== undefined && !videoKeys.has(file.videoKey))) continue;
    try {
      file.bytes = (await stat(path)).size;
    } catch {
      continue; // evicted meanwhile
    }
    files.push(file);
  }
  return files;
}

/** What the cache holds of each video: whole embeddings (any settings), else the most clips of a partial one, and saved prefixes. */
export async function videoCacheStatus(dir: string, videoKeys: readonly string[]): Promise<VideoCacheStatus[]> {
  const files = await videoCacheFiles(dir, new Set(videoKeys));
  return videoKeys.map((videoKey) => {
    const mine = files.filter((f) => f.videoKey === videoKey);
    const whole = mine.find((f) => f.kind === 'embeddings');
    const partial = mine.filter((f) => f.kind === 'partial').sort((a, b) => (b.clips?.encoded ?? 0) - (a.clips?.encoded ?? 0))[0];
    const clips = whole?.clips ?? partial?.clips;
    return {
      videoKey,
      embeddings: whole !== undefined ? 'complete' : partial !== undefined ? 'partial' : 'none',
      ...(clips === undefined ? {} : { encodedClips: clips.encoded, totalClips: clips.total }),
      kvPrefix: mine.some((f) => f.kind === 'kv-prefix'),
      bytes: mine.reduce((sum, f) => sum + f.bytes, 0),
    };
  });
}

/** Deletes every cache file of a video; returns how many and their bytes. */
export async function removeVideoCacheFiles(dir: string, videoKey: string): Promise<{ removedFiles: number; freedBytes: number }> {
  const files = await videoCacheFiles(dir, new Set([videoKey]));
  let freedBytes = 0;
  let removedFiles = 0;
  for (const f of files) {
    await rm(f.path, { force: true });
    freedBytes += f.bytes;
    removedFiles++;
  }
  return { removedFiles, freedBytes };
}
