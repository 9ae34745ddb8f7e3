// Bytes done/total, speed and ETA per file and overall. The clock is injected so the arithmetic is
// a pure, testable function of the samples it is given.

export interface TransferStats {
  done: number;
  total: number;
  /** Recent bytes per second (over the last few seconds), 0 until measured. */
  bytesPerSecond: number;
  /** Milliseconds left at the recent speed; undefined until a speed is known. */
  etaMs: number | undefined;
}

export type FileState = 'queued' | 'downloading' | 'verifying' | 'done' | 'present';

export interface FileProgress extends TransferStats {
  path: string;
  state: FileState;
}

export interface DownloadProgress {
  repoId: string;
  overall: TransferStats;
  files: FileProgress[];
  paused: boolean;
}

/** Speed over a sliding window of (time, bytes) samples. */
export class RateMeter {
  private readonly samples: Array<{ t: number; done: number }> = [];

  constructor(private readonly windowMs = 5000) {}

  sample(t: number, done: number): void {
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[0]!.t > this.windowMs) this.samples.shift();
  }

  /** Bytes per second between the oldest and newest sample in the window. */
  rate(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dt = last.t - first.t;
    return dt > 0 ? Math.max(0, ((last.done - first.done) * 1000) / dt) : 0;
  }

  /** Forget old speed (after a pause, a resume must not report the speed from before). */
  reset(): void {
    this.samples.length = 0;
  }
}

export function statsOf(done: number, total: number, bytesPerSecond: number): TransferStats {
  const left = Math.max(0, total - done);
  const etaMs = left === 0 ? 0 : bytesPerSecond > 0 ? (left * 1000) / bytesPerSecond : undefined;
  return { done, total, bytesPerSecond, etaMs };
}

interface FileEntry {
  path: string;
  done: number;
  total: number;
  state: FileState;
  meter: RateMeter;
}

export class DownloadProgressTracker {
  private readonly files = new Map<string, FileEntry>();
  private readonly overallMeter = new RateMeter();
  private paused = false;

  constructor(
    private readonly repoId: string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  addFile(path: string, total: number, done: number, state: FileState): void {
    this.files.set(path, { path, done, total, state, meter: new RateMeter() });
  }

  /** Bytes arrived (or, negative, were thrown away after a failed check) for a file. */
  add(path: string, delta: number): void {
    const f = this.files.get(path);
    if (f === undefined) return;
    f.done = Math.max(0, Math.min(f.total, f.done + delta));
    f.state = 'downloading';
    const t = this.now();
    f.meter.sample(t, f.done);
    this.overallMeter.sample(t, this.done());
  }

  setState(path: string, state: FileState): void {
    const f = this.files.get(path);
    if (f === undefined) return;
    f.state = state;
    if (state === 'done' || state === 'present') f.done = f.total;
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) {
      this.overallMeter.reset();
      for (const f of this.files.values()) f.meter.reset();
    }
  }

  done(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.done;
    return n;
  }

  total(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.total;
    return n;
  }

  snapshot(): DownloadProgress {
    const files = [...this.files.values()].map((f): FileProgress => ({ path: f.path, state: f.state, ...statsOf(f.done, f.total, this.paused ? 0 : f.meter.rate()) }));
    return { repoId: this.repoId, overall: statsOf(this.done(), this.total(), this.paused ? 0 : this.overallMeter.rate()), files, paused: this.paused };
  }
}
