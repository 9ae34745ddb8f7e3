// The clips an answer cites: every time it names, snapped to the clip that covers it (or the
// nearest one when the time falls between clips), in order of first mention, so the chat can show
// the moments the model talks about. Times past the end of the video are left out. Pure.
import type { ClipSummary } from '../../../electron/shared/app-api';
import { findTimeReferences } from './time-references';

export interface CitedClip {
  clip: number;
  /** The time the answer names (the start of a range). */
  time: number;
  end?: number;
}

export function nearestClip(clips: ClipSummary[], time: number): number | null {
  let best: number | null = null;
  let distance = Infinity;
  for (const c of clips) {
    const d = time < c.start ? c.start - time : time > c.end ? time - c.end : 0;
    if (d < distance) {
      distance = d;
      best = c.index;
    }
  }
  return best;
}

export function citedClips(answer: string, clips: ClipSummary[], duration: number): CitedClip[] {
  const seen = new Set<number>();
  const cited: CitedClip[] = [];
  // Code is never a citation (the rendered answer does not link times inside code either).
  const prose = answer.replace(/```[\s\S]*?(?:```|$)/g, ' ').replace(/`[^`\n]*`/g, ' ');
  for (const ref of findTimeReferences(prose)) {
    if (ref.start > duration + 0.5) continue;
    const covered = ref.end !== undefined ? clips.filter((c) => c.end >= ref.start && c.start <= ref.end!).map((c) => c.index) : [];
    const indices = covered.length > 0 ? covered : [nearestClip(clips, ref.start)].filter((i): i is number => i !== null);
    for (const clip of indices) {
      if (seen.has(clip)) continue;
      seen.add(clip);
      cited.push({ clip, time: ref.start, ...(ref.end !== undefined ? { end: ref.end } : {}) });
    }
  }
  return cited;
}
