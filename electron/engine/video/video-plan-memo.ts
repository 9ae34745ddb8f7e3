// The engine's memo of planned videos: one probe and plan per (video content, sampling settings),
// shared by analyze-video, encode and ask. Keyed by the content fingerprint the host computed when
// the video was opened, so a renamed copy reuses the plan; a video that is gone is still refused.
import { ApolloError } from '../../shared/errors.js';
import { planVideo, type PlannedVideo, type PlanVideoOptions } from './plan-video.js';
import { checkVideoFile } from './probe-video.js';
import type { SamplingSettings } from './sampling-settings.js';

/** A video file and its content fingerprint (common/fingerprint/video-fingerprint.ts). */
export interface FingerprintedVideo {
  path: string;
  key: string;
}

export interface VideoPlanMemoOptions {
  /** Plans kept (least recently used dropped first); a plan is small, but the probe's packet index is not. */
  capacity?: number;
  /** The planner (tests count its runs). */
  plan?: typeof planVideo;
}

function memoKey(videoKey: string, s: SamplingSettings): string {
  return [videoKey, s.clipDuration, s.framesPerClip, s.clipSamplingRatio, s.modelMaxLength, s.numOutputTokens].join('|');
}

export class VideoPlanMemo {
  private readonly plans = new Map<string, Promise<PlannedVideo>>();
  private readonly capacity: number;
  private readonly planner: typeof planVideo;

  constructor(options: VideoPlanMemoOptions = {}) {
    this.capacity = options.capacity ?? 16;
    this.planner = options.plan ?? planVideo;
  }

  /** The video's plan under these settings: probed and planned on the first request only. */
  async plan(video: FingerprintedVideo, settings: SamplingSettings, options: PlanVideoOptions = {}): Promise<PlannedVideo> {
    const id = memoKey(video.key, settings);
    for (;;) {
      const known = this.plans.get(id);
      if (known !== undefined) {
        // Refresh its place in the LRU order, and refuse a file that has gone since.
        this.plans.delete(id);
        this.plans.set(id, known);
        await checkVideoFile(video.path);
      }
      const pending = known ?? this.start(id, video.path, settings, options);
      try {
        return await pending;
      } catch (error) {
        // Another request's cancel stopped a probe this one shares: probe again for this one.
        const cancelledElsewhere = known !== undefined && error instanceof ApolloError && error.code === 'CANCELLED' && options.signal?.aborted !== true;
        if (!cancelledElsewhere) throw error;
      }
    }
  }

  private start(id: string, path: string, settings: SamplingSettings, options: PlanVideoOptions): Promise<PlannedVideo> {
    const pending = this.planner(path, settings, options);
    this.plans.set(id, pending);
    // A failed probe is not kept: the next request tries again.
    pending.catch(() => {
      if (this.plans.get(id) === pending) this.plans.delete(id);
    });
    while (this.plans.size > this.capacity) this.plans.delete(this.plans.keys().next().value!);
    return pending;
  }
}
