// Probe → Apollo clip plan → video text, for one file: the one implementation of these steps. The
// CLI (`apollo-chat plan`, `frames`, `embed`) calls it directly; the engine calls it through its
// memo (video-plan-memo.ts), so analyze, encode and ask share one probe per video and settings.
import type { ProgressListener } from '../../shared/progress.js';
import type { VideoWarning } from '../../shared/video-warnings.js';
import { planApolloClips, type ClipPlan } from './apollo-clip-plan.js';
import { probeVideo, summarizeProbe, type VideoProbe } from './probe-video.js';
import type { SamplingSettings } from './sampling-settings.js';
import { buildVideoText, clipLabel } from './video-text.js';

export interface PlanVideoOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface PlannedVideo {
  probe: VideoProbe;
  settings: SamplingSettings;
  plan: ClipPlan;
  videoText: string;
  /** What the user should know about the video before any frame is decoded (e.g. a derived frame rate). */
  warnings: VideoWarning[];
}

/** The JSON document of `apollo-chat plan --json`. */
export interface PlanReport {
  video: ReturnType<typeof summarizeProbe>;
  settings: SamplingSettings & { effectiveRatio: number };
  clips: { index: number; frameIndices: number[]; start: number; end: number; label: string }[];
  videoText: string;
  warnings: VideoWarning[];
}

export async function planVideo(path: string, settings: SamplingSettings, options: PlanVideoOptions = {}): Promise<PlannedVideo> {
  const probe = await probeVideo(path, { ...(options.signal === undefined ? {} : { signal: options.signal }), ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }) });
  const plan = planApolloClips(probe, settings);
  return { probe, settings, plan, videoText: buildVideoText(plan, settings), warnings: probeWarnings(probe) };
}

export function planReport({ probe, settings, plan, videoText, warnings }: PlannedVideo): PlanReport {
  return {
    video: summarizeProbe(probe),
    settings: { ...settings, effectiveRatio: plan.effectiveRatio },
    clips: plan.clips.map((c) => ({ index: c.index, frameIndices: c.frameIndices, start: c.start, end: c.end, label: clipLabel(c.start, c.end) })),
    videoText,
    warnings,
  };
}

const RATE_SOURCE_TEXT = {
  r_frame_rate: "the stream's own frame rate, which its timestamps confirm",
  'packet-timestamps': "its frames' timestamps",
  'container-duration': "the container's duration",
} as const;

/** Warnings that the probe alone gives: a frame rate the file does not declare (the reference would divide by zero there). */
export function probeWarnings(probe: VideoProbe): VideoWarning[] {
  if (probe.frameRateSource === 'avg_frame_rate') return [];
  return [
    {
      code: 'FRAME_RATE_DERIVED',
      message: `The video declares no average frame rate; ${Number(probe.fps.toFixed(3))} fps was taken from ${RATE_SOURCE_TEXT[probe.frameRateSource]}, so clip times follow that rate.`,
    },
  ];
}
