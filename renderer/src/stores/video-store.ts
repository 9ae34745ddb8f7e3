// The open video: its analysis (probe + clip plan), the work in progress, and the player's time.
// Seeking is a request (time + nonce) the player carries out, so any component can ask for it.
import { create } from 'zustand';
import type { ClipSummary, VideoAnalysis, VideoRef } from '../../../electron/shared/app-api';
import type { ProgressEvent } from '../../../electron/shared/progress';
import { errorMessage, getApi } from './api-instance';
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
  /** The clip a clicked time link points at (highlighted until the playhead leaves it). */
  focusedClip: number | null;
  openFile(file: File): Promise<void>;
  pickVideo(): Promise<void>;
  openVideo(video: VideoRef): Promise<void>;
  cancel(): Promise<void>;
  /** The host (re)analyzed a video: the open one's filmstrip follows the new clip plan. */
  applyAnalysis(analysis: VideoAnalysis): void;
  /** Analyzes the open video again (after a setting that changes its clip plan). */
  reanalyze(): Promise<void>;
  setProgress(progress: ProgressEvent): void;
  setCurrentTime(time: number): void;
  seekTo(time: number): void;
}

let nonce = 0;

/** The clip that covers a time, or the nearest one before it (times between clips). */
export function clipAt(clips: ClipSummary[], time: number): number | null {
  let best: number | null = null;
  for (const clip of clips) {
    if (time >= clip.start - 1e-6) best = clip.index;
    if (time <= clip.end + 1e-6 && time >= clip.start - 1e-6) return clip.index;
  }
  return best;
}

export const useVideoStore = create<VideoStore>((set, get) => ({
  video: null,
  analysis: null,
  phase: 'empty',
  error: null,
  progress: null,
  currentTime: 0,
  seekRequest: null,
  focusedClip: null,
  async openFile(file) {
    set({ phase: 'uploading', error: null, progress: { stage: 'upload', done: 0, total: file.size, unit: 'bytes' } });
    try {
      const video = await getApi().openFile(file, (done, total) => set({ progress: { stage: 'upload', done, total, unit: 'bytes' } }));
      await get().openVideo(video);
    } catch (error) {
      set({ phase: 'error', error: errorMessage(error), progress: null });
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
    set({ video, analysis: null, phase: 'analyzing', error: null, progress: null, currentTime: 0, focusedClip: null });
    void useChatStore.getState().load(video.id);
    try {
      const analysis = await getApi().analyzeVideo(video.id);
      if (get().video?.id === video.id) set({ analysis, phase: 'ready', progress: null });
    } catch (error) {
      if (get().video?.id === video.id) set({ phase: 'error', error: errorMessage(error), progress: null });
    }
  },
  async cancel() {
    const video = get().video;
    if (video !== null) await getApi().cancelVideoWork(video.id);
  },
  applyAnalysis(analysis) {
    const { video, phase, focusedClip } = get();
    if (video?.id !== analysis.video.id) return;
    set({
      analysis,
      phase: phase === 'analyzing' ? 'ready' : phase,
      focusedClip: focusedClip !== null && focusedClip < analysis.clips.length ? focusedClip : null,
    });
  },
  async reanalyze() {
    const video = get().video;
    if (video === null || get().phase === 'uploading') return;
    try {
      // The result also arrives as an 'analysis' event (applyAnalysis); this keeps errors visible.
      get().applyAnalysis(await getApi().analyzeVideo(video.id));
    } catch (error) {
      if (get().video?.id === video.id) set({ phase: 'error', error: errorMessage(error), progress: null });
    }
  },
  setProgress(progress) {
    set({ progress: progress.done >= progress.total ? null : progress });
  },
  setCurrentTime(time) {
    const { focusedClip, analysis } = get();
    const clip = focusedClip === null ? undefined : analysis?.clips[focusedClip];
    // The link's highlight follows the playhead once it leaves the clip.
    const stillInside = clip !== undefined && time >= clip.start - 0.25 && time <= clip.end + 0.25;
    set({ currentTime: time, focusedClip: stillInside ? focusedClip : null });
  },
  seekTo(time) {
    const clips = get().analysis?.clips ?? [];
    set({ seekRequest: { time, nonce: ++nonce }, currentTime: time, focusedClip: clipAt(clips, time) });
  },
}));
