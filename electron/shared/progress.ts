// Progress events: every long step reports (stage, done, total) and an ETA; shared by CLI, IPC
// and web mode. No Node, no Electron.

export interface ProgressEvent {
  /** Machine-readable stage name, e.g. 'probe', 'extract', 'encode', 'prefill', 'download'. */
  stage: string;
  done: number;
  total: number;
  /** What is being counted, e.g. 'clips', 'bytes', 'tokens'. */
  unit?: string;
  /** Estimated milliseconds left for this stage, when known. */
  etaMs?: number;
  /** A short human line, e.g. a file name. */
  detail?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

/**
 * Estimates time left from the recent rate, smoothed exponentially so that one slow item does not
 * make the ETA jump. Time is injected so the estimator is a pure, testable function of its inputs.
 */
export class EtaEstimator {
  private lastTime: number | undefined;
  private lastDone = 0;
  private rate: number | undefined; // units per ms

  constructor(private readonly smoothing = 0.3) {}

  update(done: number, total: number, now: number): number | undefined {
    if (this.lastTime === undefined) {
      this.lastTime = now;
      this.lastDone = done;
      return undefined;
    }
    const dt = now - this.lastTime;
    const dd = done - this.lastDone;
    if (dt > 0 && dd > 0) {
      const instant = dd / dt;
      this.rate = this.rate === undefined ? instant : this.smoothing * instant + (1 - this.smoothing) * this.rate;
      this.lastTime = now;
      this.lastDone = done;
    }
    if (this.rate === undefined || this.rate <= 0) return undefined;
    return Math.max(0, (total - done) / this.rate);
  }
}

/** Wraps a listener so that each event carries an ETA for its stage. */
export function withEta(listener: ProgressListener, now: () => number = () => Date.now()): ProgressListener {
  const estimators = new Map<string, EtaEstimator>();
  return (event) => {
    let est = estimators.get(event.stage);
    if (est === undefined) {
      est = new EtaEstimator();
      estimators.set(event.stage, est);
    }
    const etaMs = event.etaMs ?? est.update(event.done, event.total, now());
    listener(etaMs === undefined ? event : { ...event, etaMs });
  };
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
