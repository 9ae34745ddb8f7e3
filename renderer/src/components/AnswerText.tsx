// An answer with its time references as links: a click seeks the player and highlights the clip.
import { splitAnswerIntoSegments } from '../chat/time-references';
import { useVideoStore } from '../stores/video-store';

export function AnswerText({ text }: { text: string }) {
  const seekTo = useVideoStore((s) => s.seekTo);
  return (
    <>
      {splitAnswerIntoSegments(text).map((segment, i) =>
        segment.kind === 'text' ? (
          <span key={i}>{segment.text}</span>
        ) : (
          <button
            key={i}
            type="button"
            data-testid="time-link"
            data-start={segment.start}
            onClick={() => seekTo(segment.start)}
            className="rounded px-0.5 font-medium text-indigo-600 underline decoration-indigo-300 underline-offset-2 hover:bg-indigo-50 dark:text-indigo-400 dark:hover:bg-indigo-950"
          >
            {segment.text}
          </button>
        ),
      )}
    </>
  );
}
