// Pause, resume and cancel for a running pull (the app's buttons). Pausing aborts the requests in
// flight and keeps every `.incomplete` file; resuming continues them with HTTP Range. Cancelling
// also keeps them, so the next pull of the same model resumes.
import { ApolloError } from '../../shared/errors.js';

/** Why a request was aborted when the user paused: not a failure and not a retry. */
export class PauseInterrupt extends Error {
  constructor() {
    super('paused');
    this.name = 'PauseInterrupt';
  }
}

export class DownloadController {
  private readonly cancelController = new AbortController();
  // Aborted by pause(); a fresh one is made by resume(), so in-flight requests see a pause.
  private epoch = new AbortController();
  private pausedNow = false;
  private resumeWaiters: Array<() => void> = [];
  private readonly listeners = new Set<(paused: boolean) => void>();

  constructor(external?: AbortSignal) {
    if (external !== undefined) {
      if (external.aborted) this.cancel();
      else external.addEventListener('abort', () => this.cancel(), { once: true });
    }
  }

  get paused(): boolean {
    return this.pausedNow;
  }

  get cancelled(): boolean {
    return this.cancelController.signal.aborted;
  }

  /** Aborted on cancel only. */
  get cancelSignal(): AbortSignal {
    return this.cancelController.signal;
  }

  pause(): void {
    if (this.paused || this.cancelled) return;
    this.pausedNow = true;
    this.epoch.abort(new PauseInterrupt());
    for (const l of this.listeners) l(true);
  }

  resume(): void {
    if (!this.paused) return;
    this.pausedNow = false;
    this.epoch = new AbortController();
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
    for (const l of this.listeners) l(false);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelController.abort(new ApolloError('CANCELLED', 'The download was cancelled; what was downloaded is kept, and pulling again resumes it.'));
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  onPauseChange(listener: (paused: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A signal for one request: aborted by a cancel or by a pause. */
  requestSignal(): AbortSignal {
    return AbortSignal.any([this.cancelController.signal, this.epoch.signal]);
  }

  throwIfCancelled(): void {
    if (this.cancelled) throw this.cancelController.signal.reason as Error;
  }

  /** Resolves at once when running, after resume() when paused; throws when cancelled. */
  async waitWhilePaused(): Promise<void> {
    this.throwIfCancelled();
    if (!this.paused) return;
    await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
    this.throwIfCancelled();
  }
}
