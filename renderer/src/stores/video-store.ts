// The open video: its analysis (probe + clip plan), the work in progress, and the player's time.
// Seeking is a request (time + nonce) the player carries out, so any component can ask for it.
import { create } from 'zustand';
import type { ClipSummary, VideoAnalysis, VideoRef } from '../../../electron/shared/app-api';
import type { ProgressEvent } from '../../../electron/shared/progress';
import { errorMessage, getApi } from './api-instance';
import { nearestClip } from '../chat/cited-clips';
import { useAppStore } from './app-store';
import { useChatStore } from './chat-store';

export type VideoPhase = 'empty' | 'uploading' | 'analyzing' | 'ready' | 'error';

interface VideoStore {
  video: VideoRef | null;
  analysis: VideoAnalysis | null;
  phase: VideoPhase;
  error: string | null;
  progress: ProgressEvent | null;
  currentTime: number;
  seekRequest: { time: number; nonce: number } | null;
  /** The clips a clicked time link points at: one for a time, every covered clip for a range
   * (highlighted until the playhead leaves them). */
  focusedClips: number[] | null;
  /** Set after the user cancelled the video's encoding (the panel says so; asking resumes it). */
  encodeCancelled: boolean;
  /** How many of the video's clips are encoded, as the last encoding progress said (null before any). */
  clipsWatched: { done: number; total: number } | null;
  /** Between the clip plan and the first encoding progress (the model loads): the panel says so. */
  startingEncode: boolean;
  /** The host finished or gave up the background encoding (device event, error notice). */
  encodeSettled(): void;
  openFile(file: File): Promise<void>;
  pickVideo(): Promise<void>;
  openVideo(video: VideoRef): Promise<void>;
  cancel(): Promise<void>;
  /** Closes the open video (it was removed from the library). */
  close(): void;
  /** Encodes the rest of the video after a Cancel (the clips already encoded are kept). */
  resumeEncoding(): Promise<void>;
  /** The host (re)analyzed a video: the open one's filmstrip follows the new clip plan. */
  applyAnalysis(analysis: VideoAnalysis): void;
  /** Analyzes the open video again (after a setting that changes its clip plan). */
  reanalyze(): Promise<void>;
  setProgress(progress: ProgressEvent): void;
  setCurrentTime(time: number): void;
  /** Seeks to `time`; with `end`, the range's clips are highlighted. */
  seekTo(time: number, end?: number): void;
}

let nonce = 0;
/** The upload in flight (web mode), so Cancel can abort it. */
let upload: AbortController | null = null;

/** Every clip that overlaps [start, end] (at least the one at start). */
export function clipsInRange(clips: ClipSummary[], start: number, end: number): number[] {
  const first = clipAt(clips, start);
  const inside = clips.filter((c) => c.end >= start - 1e-6 && c.start <= end + 1e-6).map((c) => c.index);
  if (first !== null && !inside.includes(first)) inside.unshift(first);
  return inside;
}

/** The clip that covers a time, or the nearest one before it (times between clips). */
export function clipAt(clips: ClipSummary[], time: number): number | null {
  let best: number | null = null;
  for (const clip of clips) {
    if (time >= clip.start - 1e-6) best = clip.index;
    if (time <= clip.end + 1e-6 && time >= clip.start - 1e-6) return clip.index;
  }
  return best;
}

/** The video whose work the user cancelled, until the host confirms it (see cancel). */
let cancelling: string | null = null;
/** Counts re-plans (see reanalyze): only the latest one's outcome is shown. */
let reanalyses = 0;

export const useVideoStore = create<VideoStore>((set, get) => ({
  video: null,
  analysis: null,
  phase: 'empty',
  error: null,
  progress: null,
  currentTime: 0,
  seekRequest: null,
  focusedClips: null,
  encodeCancelled: false,
  clipsWatched: null,
  startingEncode: false,
  encodeSettled() {
    if (get().startingEncode) set({ startingEncode: false });
  },
  async openFile(file) {
    upload?.abort();
    const controller = new AbortController();
    upload = controller;
    const before = { phase: get().phase, error: get().error };
    set({ phase: 'uploading', error: null, progress: { stage: 'upload', done: 0, total: file.size, unit: 'bytes' } });
    try {
      const video = await getApi().openFile(file, (done, total) => {
        if (upload === controller) set({ progress: { stage: 'upload', done, total, unit: 'bytes' } });
      }, controller.signal);
      if (upload !== controller) return;
      upload = null;
      await get().openVideo(video);
    } catch (error) {
      if (upload !== controller) return;
      upload = null;
      // A cancelled upload leaves the app as it was (the open video stays open).
      if (controller.signal.aborted) set({ phase: get().video !== null && before.phase !== 'uploading' ? before.phase : get().video !== null ? 'ready' : 'empty', error: before.error, progress: null });
      else set({ phase: 'error', error: errorMessage(error), progress: null });
    }
  },
  async pickVideo() {
    const api = getApi();
    if (api.pickVideo === undefined) return;
    try {
      const video = await api.pickVideo();
      if (video !== null) await get().openVideo(video);
    } catch (error) {
      set({ phase: 'error', error: errorMessage(error) });
    }
  },
  async openVideo(video) {
    reanalyses++;
    set({ video, analysis: null, phase: 'analyzing', error: null, progress: null, currentTime: 0, focusedClips: null, encodeCancelled: false, clipsWatched: null, startingEncode: false });
    void useChatStore.getState().load(video.id);
    try {
      const analysis = await getApi().analyzeVideo(video.id);
      const connection = useAppStore.getState().connection;
      const willEncode = connection.status === 'ready' && connection.info.modelReady;
      // The encode's first progress may take seconds (the model loads): never a blank spell.
      if (get().video?.id === video.id) set({ analysis, phase: 'ready', progress: get().progress, startingEncode: willEncode && get().progress === null });
      if (willEncode) setTimeout(() => get().encodeSettled(), 120_000);
    } catch (error) {
      if (get().video?.id === video.id) set({ phase: 'error', error: errorMessage(error), progress: null });
    }
  },
  async cancel() {
    if (get().phase === 'uploading' && upload !== null) {
      upload.abort();
      return;
    }
    const video = get().video;
    if (video === null) return;
    // The panel goes at once: the host stops the work, and no event says "cancelled". Until the
    // host has answered, a progress report still on its way is the cancelled work's: not shown.
    set({ progress: null, encodeCancelled: get().analysis !== null, startingEncode: false });
    cancelling = video.id;
    try {
      await getApi().cancelVideoWork(video.id);
    } finally {
      if (cancelling === video.id) cancelling = null;
    }
  },
  close() {
    set({ video: null, analysis: null, phase: 'empty', error: null, progress: null, focusedClips: null, encodeCancelled: false, startingEncode: false });
  },
  async resumeEncoding() {
    const video = get().video;
    if (video === null) return;
    set({ encodeCancelled: false, startingEncode: true, error: null });
    try {
      await getApi().resumeEncoding(video.id);
    } catch (error) {
      if (get().video?.id === video.id) set({ encodeCancelled: true, startingEncode: false });
      useAppStore.getState().notify('error', errorMessage(error));
    }
  },
  applyAnalysis(analysis) {
    const { video, phase, focusedClips } = get();
    if (video?.id !== analysis.video.id) return;
    set({
      analysis,
      phase: phase === 'analyzing' ? 'ready' : phase,
      focusedClips: focusedClips?.every((i) => i < analysis.clips.length) ? focusedClips : null,
    });
  },
  async reanalyze() {
    const video = get().video;
    if (video === null || get().phase === 'uploading') return;
    // A newer re-plan (the ratio changed again) cancels this one in the host: its outcome, the
    // cancellation included, is not this video's state any more.
    const generation = ++reanalyses;
    const current = () => generation === reanalyses && get().video?.id === video.id && get().phase !== 'uploading';
    try {
      // The result also arrives as an 'analysis' event (applyAnalysis); this keeps errors visible.
      const analysis = await getApi().analyzeVideo(video.id);
      if (!current()) return;
      get().applyAnalysis(analysis);
      // The encoding restarts with the new plan: the old one's progress no longer applies.
      const connection = useAppStore.getState().connection;
      if (connection.status === 'ready' && connection.info.modelReady) set({ progress: null, encodeCancelled: false, startingEncode: true });
    } catch (error) {
      if (current()) set({ phase: 'error', error: errorMessage(error), progress: null });
    }
  },
  setProgress(progress) {
    // While a new file uploads, the previous video's work does not take over the panel.
    if (get().phase === 'uploading' || cancelling === get().video?.id) return;
    set({ progress: progress.done >= progress.total ? null : progress, startingEncode: false, ...(progress.stage === 'encode' ? { encodeCancelled: false, clipsWatched: { done: progress.done, total: progress.total } } : {}) });
  },
  setCurrentTime(time) {
    const { focusedClips, analysis } = get();
    const focused = (focusedClips ?? []).map((i) => analysis?.clips[i]).filter((c) => c !== undefined);
    // The link's highlight follows the playhead once it leaves the clips.
    const stillInside = focused.length > 0 && time >= Math.min(...focused.map((c) => c.start)) - 0.25 && time <= Math.max(...focused.map((c) => c.end)) + 0.25;
    set({ currentTime: time, focusedClips: stillInside ? focusedClips : null });
  },
  seekTo(time, end) {
    const clips = get().analysis?.clips ?? [];
    // A time between two clips is snapped to the nearer one (the moment the model saw).
    const at = nearestClip(clips, time);
    const focusedClips = end !== undefined && end > time ? clipsInRange(clips, time, end) : at === null ? null : [at];
    set({ seekRequest: { time, nonce: ++nonce }, currentTime: time, focusedClips: focusedClips?.length ? focusedClips : null });
  },
}));
