// A seek bar of the clips the model samples: each clip a mark at its place in the video, the
// playhead, and the highlighted clips; a click anywhere seeks there.
import { clipAt, useVideoStore } from '../stores/video-store';
import { formatClock } from './format-time';

export function ClipTrack() {
  const analysis = useVideoStore((s) => s.analysis);
  const currentTime = useVideoStore((s) => s.currentTime);
  const focusedClips = useVideoStore((s) => s.focusedClips);
  const seekTo = useVideoStore((s) => s.seekTo);
  if (analysis === null || analysis.probe.duration <= 0) return null;
  const duration = analysis.probe.duration;
  const playing = clipAt(analysis.clips, currentTime);
  const active = focusedClips ?? (playing === null ? [] : [playing]);
  const pct = (t: number) => `${Math.max(0, Math.min(100, (100 * t) / duration))}%`;
  return (
    <div
      data-testid="clip-track"
      role="slider"
      aria-label="Sampled clips along the video"
      aria-valuemin={0}
      aria-valuemax={Math.round(duration)}
      aria-valuenow={Math.round(currentTime)}
      aria-valuetext={formatClock(currentTime)}
      tabIndex={-1}
      title="The clips the model looks at; click to seek"
      onClick={(e) => {
        const box = e.currentTarget.getBoundingClientRect();
        seekTo(((e.clientX - box.left) / box.width) * duration);
      }}
      className="relative h-3 w-full cursor-pointer rounded-full bg-zinc-200 dark:bg-zinc-800"
    >
      {analysis.clips.map((c) => (
        <span
          key={c.index}
          data-testid="clip-mark"
          data-active={active.includes(c.index) ? 'true' : 'false'}
          className={`absolute top-0.5 h-2 rounded-sm ${active.includes(c.index) ? 'bg-indigo-500' : 'bg-zinc-400 dark:bg-zinc-600'}`}
          style={{ left: pct(c.start), width: `max(2px, ${pct(c.end - c.start)})` }}
        />
      ))}
      <span aria-hidden="true" className="absolute -top-0.5 h-4 w-0.5 rounded bg-red-500" style={{ left: pct(currentTime) }} />
    </div>
  );
}
