// Probe → settings → Apollo clip plan → video text, for one file: what `apollo-chat plan` prints
// and what the engine needs before extraction.
import type { ProgressListener } from '../../shared/progress.js';
import { planApolloClips, type ClipPlan } from './apollo-clip-plan.js';
import { probeVideo, summarizeProbe, type VideoProbe } from './probe-video.js';
import { DEFAULT_SAMPLING_SETTINGS, loadSamplingSettings, validateSamplingSettings, type SamplingSettings } from './sampling-settings.js';
import { buildVideoText, clipLabel } from './video-text.js';

export interface PlanVideoOptions {
  /** An Apollo checkpoint folder whose config.json gives the settings; Apollo-3B-t32 values otherwise. */
  modelDir?: string;
  clipSamplingRatio?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface PlannedVideo {
  probe: VideoProbe;
  settings: SamplingSettings;
  plan: ClipPlan;
  videoText: string;
}

/** The JSON document of `apollo-chat plan --json`. */
export interface PlanReport {
  video: ReturnType<typeof summarizeProbe>;
  settings: SamplingSettings & { effectiveRatio: number };
  clips: { index: number; frameIndices: number[]; start: number; end: number; label: string }[];
  videoText: string;
}

export async function planVideo(path: string, options: PlanVideoOptions = {}): Promise<PlannedVideo> {
  const overrides = options.clipSamplingRatio === undefined ? {} : { clipSamplingRatio: options.clipSamplingRatio };
  const settings = options.modelDir === undefined ? validateSamplingSettings({ ...DEFAULT_SAMPLING_SETTINGS, ...overrides }) : await loadSamplingSettings(options.modelDir, overrides);
  const probe = await probeVideo(path, { signal: options.signal, onProgress: options.onProgress });
  const plan = planApolloClips(probe, settings);
  return { probe, settings, plan, videoText: buildVideoText(plan, settings) };
}

export function planReport({ probe, settings, plan, videoText }: PlannedVideo): PlanReport {
  return {
    video: summarizeProbe(probe),
    settings: { ...settings, effectiveRatio: plan.effectiveRatio },
    clips: plan.clips.map((c) => ({ index: c.index, frameIndices: c.frameIndices, start: c.start, end: c.end, label: clipLabel(c.start, c.end) })),
    videoText,
  };
}
