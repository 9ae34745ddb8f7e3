// Renders progress events on stderr: a live bar with stage, done/total and ETA on a TTY; on a pipe,
// a plain line per stage change and at most one line every few seconds (logs stay readable).
import { SingleBar } from 'cli-progress';
import { formatDuration, type ProgressEvent, type ProgressListener } from '../shared/progress.js';

function formatAmount(n: number, unit: string | undefined): string {
  if (unit === 'bytes') {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let v = n;
    let i = 0;
    while (v >= 1000 && i < units.length - 1) {
      v /= 1000;
      i++;
    }
    return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  }
  return String(n);
}

export function describeProgress(e: ProgressEvent): string {
  const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0;
  const eta = e.etaMs === undefined ? '' : ` ETA ${formatDuration(e.etaMs)}`;
  const unit = e.unit !== undefined && e.unit !== 'bytes' ? ` ${e.unit}` : '';
  return `${e.stage}: ${formatAmount(e.done, e.unit)}/${formatAmount(e.total, e.unit)}${unit} (${pct}%)${eta}${e.detail ? ` ${e.detail}` : ''}`;
}

export interface ProgressRenderer {
  listener: ProgressListener;
  stop(): void;
}

export function createProgressRenderer(stream: NodeJS.WriteStream | NodeJS.WritableStream, isTTY: boolean): ProgressRenderer {
  if (!isTTY) {
    let lastStage = '';
    let lastTime = 0;
    return {
      listener: (e) => {
        const now = Date.now();
        const finished = e.done >= e.total;
        if (e.stage !== lastStage || now - lastTime > 5000 || finished) {
          stream.write(describeProgress(e) + '\n');
          lastStage = e.stage;
          lastTime = now;
        }
      },
      stop: () => {},
    };
  }
  let bar: SingleBar | undefined;
  let stage = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    listener: (e) => {
      if (bar === undefined || e.stage !== stage) {
        stop();
        stage = e.stage;
        bar = new SingleBar({
          stream: stream as NodeJS.WriteStream,
          format: '{stage} [{bar}] {amount} {percentage}% ETA {eta_text} {detail}',
          hideCursor: true,
          clearOnComplete: false,
          barsize: 28,
        });
        bar.start(Math.max(1, e.total), e.done, { stage: e.stage, amount: '', eta_text: '--:--', detail: '' });
      }
      bar.setTotal(Math.max(1, e.total));
      bar.update(e.done, {
        stage: e.stage,
        amount: `${formatAmount(e.done, e.unit)}/${formatAmount(e.total, e.unit)}${e.unit && e.unit !== 'bytes' ? ' ' + e.unit : ''}`,
        eta_text: e.etaMs === undefined ? '--:--' : formatDuration(e.etaMs),
        detail: e.detail ?? '',
      });
    },
    stop,
  };
}
