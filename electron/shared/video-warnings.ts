// Warnings about a video that Apollo still answers on: the plan (`plan --json`), the engine's
// `analyze-video`, `encode` and `ask` results (`ask --json`) and the app's notices carry them, so a
// damaged or unusual file is never used silently.

export interface VideoWarning {
  /** FRAMES_DAMAGED: planned frames that even a decode from the beginning gives with decoder errors.
   *  FRAMES_MISSING: planned frames the container lists but the decoder never gives; the frame shown at that time stands in.
   *  FRAME_RATE_DERIVED: the container declares no average frame rate; it was derived (see `message`). */
  code: 'FRAMES_DAMAGED' | 'FRAMES_MISSING' | 'FRAME_RATE_DERIVED';
  /** A sentence for the user. */
  message: string;
  /** FRAMES_DAMAGED / FRAMES_MISSING: the frames' times in seconds from the start, ascending. */
  times?: number[];
}

/** m:ss.s (or h:mm:ss.s), as the player shows a time. */
export function formatVideoTime(seconds: number): string {
  const tenths = Math.round(seconds * 10);
  const s = (tenths % 600) / 10;
  const m = Math.floor(tenths / 600) % 60;
  const h = Math.floor(tenths / 36000);
  const ss = s.toFixed(1).padStart(4, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The warning for damaged planned frames (none when `times` is empty). */
export function damagedFramesWarning(times: readonly number[]): VideoWarning[] {
  if (times.length === 0) return [];
  const sorted = [...new Set(times)].sort((a, b) => a - b);
  const shown = sorted.slice(0, 8).map(formatVideoTime).join(', ');
  const more = sorted.length > 8 ? ` and ${sorted.length - 8} more` : '';
  return [
    {
      code: 'FRAMES_DAMAGED',
      message: `The video is damaged: ${sorted.length} of the frames Apollo looks at (at ${shown}${more}) could only be decoded with errors, so answers about those moments may be wrong; re-encode or download the video again for exact frames.`,
      times: sorted,
    },
  ];
}

/** The warning for planned frames the decoder never gives (none when `times` is empty). */
export function missingFramesWarning(times: readonly number[]): VideoWarning[] {
  if (times.length === 0) return [];
  const sorted = [...new Set(times)].sort((a, b) => a - b);
  const shown = sorted.slice(0, 8).map(formatVideoTime).join(', ');
  const more = sorted.length > 8 ? ` and ${sorted.length - 8} more` : '';
  return [
    {
      code: 'FRAMES_MISSING',
      message: `${sorted.length} of the frames Apollo looks at (at ${shown}${more}) are listed in the video file but its decoder does not give them, so the picture shown at those times was used instead; re-encode the video if answers about those moments look wrong.`,
      times: sorted,
    },
  ];
}

/** Both frame warnings from an extraction's damaged and missing times. */
export function frameWarnings(damagedTimes: readonly number[], missingTimes: readonly number[]): VideoWarning[] {
  return [...damagedFramesWarning(damagedTimes), ...missingFramesWarning(missingTimes)];
}
