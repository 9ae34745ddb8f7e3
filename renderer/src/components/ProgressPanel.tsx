// The work in progress on the open video: stage, done/total, ETA, and a cancel button.
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
};

function amount(e: ProgressEvent): string {
  if (e.unit === 'bytes') return `${(e.done / 1e6).toFixed(1)} / ${(e.total / 1e6).toFixed(1)} MB`;
  return `${e.done} / ${e.total}${e.unit ? ` ${e.unit}` : ''}`;
}

export function ProgressPanel({ progress, onCancel }: { progress: ProgressEvent; onCancel?: () => void }) {
  const pct = progress.total > 0 ? Math.min(100, (100 * progress.done) / progress.total) : 0;
  return (
    <div data-testid="progress" data-stage={progress.stage} className="rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800">
      <div className="mb-2 flex items-center justify-between gap-3">
        <span className="font-medium">{STAGE_NAMES[progress.stage] ?? progress.stage}</span>
        <span className="tabular-nums text-zinc-500">
          {amount(progress)}
          {progress.etaMs !== undefined ? ` · ${formatDuration(progress.etaMs)} left` : ''}
        </span>
        {onCancel && (
          <button type="button" onClick={onCancel} className="rounded px-2 py-0.5 text-xs text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800">
            Cancel
          </button>
        )}
      </div>
      <div className="h-1.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="progressbar" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
        <div className="h-full rounded-full bg-indigo-500 transition-[width]" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
