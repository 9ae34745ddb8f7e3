// The videos the user opened: opaque ids for the renderer, paths and content keys for the host,
// and a persisted recent list (so File › Open Recent and web mode can reopen them).
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { VideoRef } from '../../shared/app-api.js';
import { ApolloError } from '../../shared/errors.js';
import { GrantedFiles } from '../media/granted-files.js';
import { videoFingerprint } from '../../common/fingerprint/video-fingerprint.js';
import { readJsonValidated, writeJsonAtomic } from '../../common/persist/atomic-file.js';

export interface OpenedVideo {
  ref: VideoRef;
  path: string;
  /** Content fingerprint: the key of its chat and its cached embeddings. */
  key: string;
}

const recentSchema = z.array(z.object({ path: z.string(), name: z.string(), openedAt: z.string() })).max(100);
export type RecentVideo = z.infer<typeof recentSchema>[number];

export class VideoLibrary {
  private readonly granted = new GrantedFiles();
  private readonly opened = new Map<string, OpenedVideo>();

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
    await this.remember(path, displayName);
    return video;
  }

  get(id: unknown): OpenedVideo {
    const video = typeof id === 'string' ? this.opened.get(id) : undefined;
    if (video === undefined) throw new ApolloError('INVALID_ARGUMENT', 'This video is not open any more; open it again.', { details: { status: 404 } });
    return this.fresh(video);
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

  private remember(path: string, name: string): Promise<void> {
    const write = this.recentWrites.then(async () => {
      const list = (await this.recent()).filter((v) => v.path !== path);
      list.unshift({ path, name, openedAt: new Date().toISOString() });
      await writeJsonAtomic(this.recentPath, list.slice(0, 20));
    });
    this.recentWrites = write.catch(() => undefined);
    return write;
  }
}
