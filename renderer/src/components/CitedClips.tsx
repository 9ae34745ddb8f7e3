// Under an answer: the clips it cites (each time snapped to the clip the model saw there), as
// thumbnails (retried when one fails to load); a click seeks to the cited time and highlights the clip.
import { citedClips } from '../chat/cited-clips';
import { getApi } from '../stores/api-instance';
import { useVideoStore } from '../stores/video-store';
import { ClipThumbnail } from './ClipThumbnail';
import { formatClock } from './format-time';

export function CitedClips({ answer }: { answer: string }) {
  const analysis = useVideoStore((s) => s.analysis);
  const seekTo = useVideoStore((s) => s.seekTo);
  if (analysis === null) return null;
  const cited = citedClips(answer, analysis.clips, analysis.probe.duration);
  if (cited.length === 0) return null;
  return (
    <ul data-testid="cited-clips" aria-label="Moments this answer cites" className="flex max-w-full gap-1.5 overflow-x-auto pb-1">
      {cited.map(({ clip, time }) => {
        const c = analysis.clips[clip]!;
        return (
          <li key={clip} className="shrink-0">
            <button
              type="button"
              data-testid="cited-clip"
              data-clip={clip}
              title={`Clip ${clip + 1} (${formatClock(c.start)}–${formatClock(c.end)}): seek to ${formatClock(time)}`}
              onClick={() => seekTo(Math.max(c.start, Math.min(time, c.end)), undefined)}
              className="flex w-20 flex-col overflow-hidden rounded border border-zinc-200 text-left text-[10px] hover:border-indigo-400 dark:border-zinc-700"
            >
              <ClipThumbnail src={getApi().thumbnailUrl(analysis.video, clip)} />
              <span className="px-1 py-0.5 tabular-nums text-zinc-600 dark:text-zinc-300">{formatClock(c.start)}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
