// The work in progress on the open video: stage, done/total, ETA, a cancel button, and (while a
// question waits for the encoding) "Answer now".
import { formatDuration, type ProgressEvent } from '../../../electron/shared/progress';

const STAGE_NAMES: Record<string, string> = {
  upload: 'Uploading',
  probe: 'Reading the video',
  plan: 'Planning clips',
  extract: 'Extracting frames',
  preprocess: 'Preparing frames',
  encode: 'Watching the video',
  prefill: 'Reading your question',
  download: 'Downloading',
  verify: 'Verifying',
  prepare: 'Preparing the model',
  starting: 'Getting ready to watch the video',
};

/** An ETA is shown once it rests on enough measured work (the first items include start-up). */
function trustedEta(e: ProgressEvent): number | undefined {
  if (e.etaMs === undefined) return undefined;
  // the engine's encoding estimate already leaves out the start-up, or rests on a rate measured here before (encode-eta.ts)
  if (e.unit === 'bytes' || e.stage === 'encode') return e.etaMs;
  return e.done >= Math.min(2, e.total) && e.done > 0 ? e.etaMs : undefined;
}

function amount(e: ProgressEvent): string {
  if (e.total <= 0) return '';
  if (e.unit === 'bytes') return `${(e.done / 1e6).toFixed(1)} / ${(e.total / 1e6).toFixed(1)} MB`;
  return `${e.done} / ${e.total}${e.unit ? ` ${e.unit}` : ''}`;
}

export function ProgressPanel({ progress, onCancel, onAnswerNow }: { progress: ProgressEvent; onCancel?: () => void; onAnswerNow?: () => void }) {
  const pct = progress.total > 0 ? Math.min(100, (100 * progress.done) / progress.total) : 0;
  const eta = trustedEta(progress);
  const indeterminate = progress.total <= 0;
  return (
    <div data-testid="progress" data-stage={progress.stage} data-done={progress.done} data-total={progress.total} className="rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800">
      <div className="mb-2 flex items-center justify-between gap-3">
        <span className="font-medium">{STAGE_NAMES[progress.stage] ?? STAGE_NAMES[progress.stage.split(':')[0]!] ?? progress.stage}</span>
        <span className="tabular-nums text-zinc-500">
          {amount(progress)}
          {eta !== undefined ? ` · ${formatDuration(eta)} left` : progress.total > 0 && progress.done < progress.total ? ' · estimating time left…' : ''}
        </span>
        {onAnswerNow && (
          <button type="button" data-testid="answer-now" onClick={onAnswerNow} title={`Answer the waiting question from the ${progress.done} clips watched so far; watching goes on after it`} className="shrink-0 rounded bg-indigo-600 px-2 py-0.5 text-xs font-medium text-white hover:bg-indigo-500">
            Answer now
          </button>
        )}
        {onCancel && (
          <button type="button" data-testid="cancel-work" onClick={onCancel} className="rounded px-2 py-0.5 text-xs text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800">
            Cancel
          </button>
        )}
      </div>
      <div className="h-1.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="progressbar" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
        <div className={`h-full rounded-full bg-indigo-500 ${indeterminate ? 'w-1/3 animate-pulse' : 'transition-[width]'}`} style={indeterminate ? undefined : { width: `${pct}%` }} />
      </div>
    </div>
  );
}
