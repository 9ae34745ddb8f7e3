// The clips the model looks at: a thumbnail and time range each; a click seeks to the clip; the
// clip under the playhead (or the one a time link points at) is highlighted.
import { useEffect, useRef } from 'react';
import { getApi } from '../stores/api-instance';
import { clipAt, useVideoStore } from '../stores/video-store';
import { formatClock } from './format-time';

export function Filmstrip() {
  const analysis = useVideoStore((s) => s.analysis);
  const currentTime = useVideoStore((s) => s.currentTime);
  const focusedClip = useVideoStore((s) => s.focusedClip);
  const seekTo = useVideoStore((s) => s.seekTo);
  const strip = useRef<HTMLOListElement>(null);
  const clips = analysis?.clips ?? [];
  const active = focusedClip ?? clipAt(clips, currentTime);

  useEffect(() => {
    if (active === null) return;
    const el = strip.current?.querySelector<HTMLElement>(`[data-clip="${active}"]`);
    el?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
  }, [active]);

  if (analysis === null) return null;
  return (
    <section aria-label="Clips the model looks at">
      <h2 className="mb-2 text-sm font-medium text-zinc-600 dark:text-zinc-400">
        {clips.length} clip{clips.length === 1 ? '' : 's'} sampled from {formatClock(analysis.probe.duration)}
      </h2>
      <ol ref={strip} data-testid="filmstrip" className="flex gap-2 overflow-x-auto pb-2">
        {clips.map((clip) => (
          <li key={clip.index} data-clip={clip.index}>
            <button
              type="button"
              data-testid="clip"
              data-active={clip.index === active ? 'true' : 'false'}
              onClick={() => seekTo(clip.start)}
              title={`Clip ${clip.index + 1}: ${clip.label} seconds`}
              className={`flex w-28 flex-col overflow-hidden rounded-md border text-left text-xs transition ${
                clip.index === active ? 'border-indigo-500 ring-2 ring-indigo-500' : 'border-zinc-200 hover:border-zinc-400 dark:border-zinc-800'
              }`}
            >
              <img src={getApi().thumbnailUrl(analysis.video, clip.index)} alt="" loading="lazy" className="aspect-video w-full bg-zinc-200 object-cover dark:bg-zinc-800" />
              <span className="px-1.5 py-1 tabular-nums">
                {formatClock(clip.start)}–{formatClock(clip.end)}
              </span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
