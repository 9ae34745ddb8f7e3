// Apollo's clip plan (spec section 3; reference: mm_utils.py `ApolloMMLoader.load_video` and
// `calculate_sample_indices`), reproduced with the reference's exact integer and float arithmetic.
import { ApolloError } from '../../shared/errors.js';
import type { SamplingSettings } from './sampling-settings.js';

/** What the plan needs from a probe: decord's `len(VideoReader)` and `get_avg_fps()`. */
export interface PlanInput {
  frameCount: number;
  fps: number;
}

export interface PlannedClip {
  index: number;
  /**
   * The reference's indices for this clip, in order, duplicates kept. They may be -1 in the
   * reference's fps < 0.5 corner case; decord then reads frame N-1 (see `decodeFrameIndex`).
   */
  frameIndices: number[];
  /** Seconds: first and last sampled frame index / fps (not the window edges). */
  start: number;
  end: number;
}

export interface ClipPlan {
  frameCount: number;
  fps: number;
  /** frameCount / fps, as the reference computes it. */
  duration: number;
  /** min(1, M·r / (duration·R / D)). */
  effectiveRatio: number;
  /** Clips planned (K); the prompt has one timestamp line per planned clip. */
  clips: PlannedClip[];
  /** All indices concatenated in clip order (what the reference passes to get_batch). */
  allIndices: number[];
  /** floor(allIndices.length / framesPerClip): the clips the towers see and the prompt's count. */
  groupCount: number;
  branch: 'normal' | 'low-fps';
}

const floorDiv = (a: number, b: number): number => Math.floor(a / b);
/** numpy.arange(start, stop, step) for integers. */
function arange(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  for (let v = start; v < stop; v += step) out.push(v);
  return out;
}
/** numpy.clip: minimum(maximum(x, lo), hi), so hi wins when lo > hi (as numpy does). */
const clip = (values: number[], lo: number, hi: number): number[] => values.map((v) => Math.min(Math.max(v, lo), hi));

/** The reference's effective sampling ratio (ApolloMMLoader.load_video). */
export function effectiveSamplingRatio(duration: number, s: SamplingSettings): number {
  const r = (s.modelMaxLength * s.clipSamplingRatio) / ((duration * s.numOutputTokens) / s.clipDuration);
  return r < 1 ? r : 1;
}

/** decord's get_batch reads negative indices from the end (`indices[indices < 0] += N`). */
export function decodeFrameIndex(index: number, frameCount: number): number {
  return index < 0 ? index + frameCount : index;
}

export function planApolloClips(video: PlanInput, settings: SamplingSettings): ClipPlan {
  const N = video.frameCount;
  const fps = video.fps;
  if (!Number.isInteger(N) || N < 1 || !(fps > 0) || !Number.isFinite(fps)) {
    throw new ApolloError('VIDEO_EMPTY', `The video has ${N} frames at ${fps} fps (zero duration); choose another file.`);
  }
  const D = settings.clipDuration;
  const F = settings.framesPerClip;
  const duration = N / fps;
  const ratio = effectiveSamplingRatio(duration, settings);

  // calculate_sample_indices
  const sampleFps = F / D;
  const K = Math.ceil((duration / D) * ratio);
  let frameStep = fps / sampleFps;
  const P = floorDiv(N, K);
  const clips: PlannedClip[] = [];
  let branch: ClipPlan['branch'];
  const push = (indices: number[]) => {
    const first = indices[0]!;
    const last = indices[indices.length - 1]!;
    clips.push({ index: clips.length, frameIndices: indices, start: first / fps, end: last / fps });
  };

  if (frameStep > 0.5) {
    branch = 'normal';
    frameStep = Math.max(1, Math.trunc(fps / sampleFps));
    const L = Math.trunc(F * frameStep);
    const S = Math.min(L, N);
    const clipStep = N > L ? floorDiv(N - L, Math.max(1, K - 1)) : 0;
    for (let i = 0; i < K; i++) {
      let indices: number[];
      if (P > L) {
        const start = floorDiv(P - L, 2);
        indices = clip(arange(start, start + L, frameStep), 0, P - 1).map((v) => v + i * P);
      } else {
        indices = arange(0, S, frameStep);
        while (indices.length < F) indices.push(S);
        indices = clip(indices, 0, S - 1).map((v) => v + i * clipStep);
      }
      push(indices);
    }
  } else {
    // The video's fps is below twice the sampling rate: frames are repeated.
    branch = 'low-fps';
    const repeats = Math.trunc(Math.ceil(1 / frameStep));
    let L = Math.trunc(F * frameStep);
    const base: number[] = [];
    for (let v = 0; v < L; v++) for (let r = 0; r < repeats; r++) base.push(v);
    L = Math.min(L, base.length);
    const clipStep = N > L ? floorDiv(N - L, Math.max(1, K - 1)) : 0;
    const S = Math.min(L, N);
    while (base.length < F) base.push(S);
    for (let i = 0; i < K; i++) push(clip(base, 0, S - 1).map((v) => v + i * clipStep));
  }

  const allIndices = clips.flatMap((c) => c.frameIndices);
  return { frameCount: N, fps, duration, effectiveRatio: ratio, clips, allIndices, groupCount: Math.floor(allIndices.length / F), branch };
}
