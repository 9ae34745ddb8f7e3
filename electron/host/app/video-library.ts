// The videos the user opened: opaque ids for the renderer, paths and content keys for the host,
// and the persisted library of videos opened before (File › Open Recent, the app's Library, and web
// mode across restarts), one entry per content with what its last clip plan said about it.
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { VideoRef } from '../../shared/app-api.js';
import { ApolloError } from '../../shared/errors.js';
import { LIMITS } from '../../shared/limits.js';
import { GrantedFiles } from '../media/granted-files.js';
import { videoFingerprint } from '../../common/fingerprint/video-fingerprint.js';
import { readJsonValidated, writeJsonAtomic } from '../../common/persist/atomic-file.js';

export interface OpenedVideo {
  ref: VideoRef;
  path: string;
  /** Content fingerprint: the key of its chat and its cached embeddings. */
  key: string;
}

const entrySchema = z.object({
  path: z.string(),
  name: z.string(),
  openedAt: z.string(),
  /** Content fingerprint (absent in lists written before the library). */
  key: z.string().regex(/^[0-9a-f]{16,128}$/).optional(),
  sizeBytes: z.number().nonnegative().optional(),
  duration: z.number().nonnegative().optional(),
  clips: z.number().int().nonnegative().optional(),
  clipSamplingRatio: z.number().positive().max(1).optional(),
  /** The clip that stands for the video, and the time its thumbnail is taken at. */
  poster: z.object({ clip: z.number().int().nonnegative(), at: z.number().nonnegative() }).optional(),
});
const recentSchema = z.array(entrySchema).max(LIMITS.libraryVideos);
export type RecentVideo = z.infer<typeof entrySchema>;
export type LibraryEntry = RecentVideo & { key: string };

export class VideoLibrary {
  private readonly granted = new GrantedFiles();
  private readonly opened = new Map<string, OpenedVideo>();
  /** Library videos not opened in this run, granted so their thumbnails can load. */
  private readonly listed = new Map<string, OpenedVideo>();

  constructor(
    private readonly dataDir: string,
    private readonly mediaUrlFor: (id: string, capability?: string) => string,
    private readonly mediaCapabilityFor?: (id: string) => string,
  ) {}

  /** The renderer's view of a video, with a fresh media capability where the host issues them. */
  private refFor(id: string, name: string, sizeBytes: number): VideoRef {
    const capability = this.mediaCapabilityFor?.(id);
    return { id, name, sizeBytes, mediaUrl: this.mediaUrlFor(id, capability), ...(capability === undefined ? {} : { mediaCapability: capability }) };
  }

  private fresh(video: OpenedVideo): OpenedVideo {
    return this.mediaCapabilityFor === undefined ? video : { ...video, ref: this.refFor(video.ref.id, video.ref.name, video.ref.sizeBytes) };
  }

  /** Registers a path the user chose (drop, dialog, recent list, command line). */
  async open(path: string, displayName = basename(path)): Promise<OpenedVideo> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new ApolloError('FILE_UNREADABLE', `${displayName} cannot be read; check its permissions.`);
      throw new ApolloError('FILE_NOT_FOUND', `${displayName} does not exist (it may have been moved or deleted).`);
    }
    if (!info.isFile()) throw new ApolloError('NOT_A_FILE', `${displayName} is a folder, not a video file; choose a video file.`);
    const id = this.granted.grant(path);
    const key = await videoFingerprint(path);
    const video: OpenedVideo = { ref: this.refFor(id, displayName, info.size), path, key };
    this.opened.set(id, video);
    this.listed.delete(id);
    await this.remember({ path, name: displayName, key, sizeBytes: info.size });
    return video;
  }

  get(id: unknown): OpenedVideo {
    const video = typeof id === 'string' ? this.opened.get(id) : undefined;
    if (video === undefined) throw new ApolloError('INVALID_ARGUMENT', 'This video is not open any more; open it again.', { details: { status: 404 } });
    return this.fresh(video);
  }

  /** An opened video, or a library video listed in this run (for its thumbnail). */
  known(id: unknown): OpenedVideo {
    const video = typeof id === 'string' ? this.listed.get(id) : undefined;
    return video === undefined ? this.get(id) : this.fresh(video);
  }

  /** A library entry's video, granted for its thumbnails (not opened: no analysis, no encoding). */
  grantListed(entry: LibraryEntry, sizeBytes: number): VideoRef {
    const id = this.granted.grant(entry.path);
    const video = this.opened.get(id) ?? { ref: this.refFor(id, entry.name, sizeBytes), path: entry.path, key: entry.key };
    if (!this.opened.has(id)) this.listed.set(id, video);
    return this.fresh(video).ref;
  }

  /** Forgets a video: its library entry, and the ids of its opened copies. */
  async forget(key: string): Promise<void> {
    for (const [id, video] of [...this.opened, ...this.listed]) {
      if (video.key !== key) continue;
      this.opened.delete(id);
      this.listed.delete(id);
      this.granted.revoke(id);
    }
    await this.rewrite((list) => list.filter((v) => v.key !== key));
  }

  /** Keeps what the clip plan says about a video (the library shows it before the video is opened again). */
  recordPlan(key: string, plan: Pick<RecentVideo, 'duration' | 'clips' | 'clipSamplingRatio' | 'poster'>): Promise<void> {
    return this.rewrite((list) => list.map((v) => (v.key === key ? { ...v, ...plan } : v)));
  }

  /** The library: one entry per content, newest first (older lists' entries get their key when their file is there). */
  async entries(): Promise<LibraryEntry[]> {
    const list = await this.recent();
    if (list.every((v) => v.key !== undefined)) return list as LibraryEntry[];
    const keyed: LibraryEntry[] = [];
    for (const v of list) {
      const key = v.key ?? (await videoFingerprint(v.path).catch(() => undefined));
      if (key !== undefined && !keyed.some((k) => k.key === key)) keyed.push({ ...v, key });
    }
    await this.rewrite(() => keyed);
    return keyed;
  }

  /** Videos opened in this run, newest first. */
  list(): VideoRef[] {
    return [...this.opened.values()].reverse().map((v) => this.fresh(v).ref);
  }

  /** The path behind a granted id (the media protocol's lookup). */
  pathOf(id: unknown): string | undefined {
    return this.granted.resolve(id);
  }

  private get recentPath(): string {
    return join(this.dataDir, 'recent-videos.json');
  }

  async recent(): Promise<RecentVideo[]> {
    const r = await readJsonValidated(this.recentPath, recentSchema);
    return r.ok ? r.value : [];
  }

  /** Read-modify-write of the recent list, one at a time (concurrent opens lost entries). */
  private recentWrites: Promise<void> = Promise.resolve();

  private rewrite(change: (list: RecentVideo[]) => RecentVideo[]): Promise<void> {
    const write = this.recentWrites.then(async () => {
      await writeJsonAtomic(this.recentPath, change(await this.recent()).slice(0, LIMITS.libraryVideos));
    });
    this.recentWrites = write.catch(() => undefined);
    return write;
  }

  /** Puts the video first; a renamed copy or a new place of the same content replaces its entry (keeping its plan). */
  private remember(video: { path: string; name: string; key: string; sizeBytes: number }): Promise<void> {
    return this.rewrite((list) => {
      const earlier = list.find((v) => v.key === video.key);
      const rest = list.filter((v) => v.path !== video.path && v.key !== video.key);
      return [{ ...earlier, ...video, openedAt: new Date().toISOString() }, ...rest];
    });
  }
}
