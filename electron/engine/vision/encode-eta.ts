// Time left while clips are encoded. The first clip carries the start-up (the first chunk's
// extraction and preprocessing, which later chunks overlap with encoding, and the first runs of
// fresh sessions), so the per-clip rate is measured from the first finished clip on. Extraction of
// the next chunk runs beside the towers, so the pipeline goes at the slower of the two: the first
// chunk's preparation (nothing overlaps it) gives the extraction's rate (`prepared`), and a clip
// costs at least that. Until two clips are done, the rate last measured on this device and model
// (the host's encode-rates.json, passed in as `expected`) stands in, and it keeps some weight while
// few clips are measured, unless it is more than twice off the measurement. Time is injected: a pure function of its inputs (test/unit/encode-eta.test.ts).

import type { EncodeRate } from '../../shared/engine-protocol.js';

export type { EncodeRate };

/** How many measured clips the expected rate counts for when blended with the measurement. */
const EXPECTED_WEIGHT_CLIPS = 3;
/** An expected rate this many times off the measured one is not blended in. */
const STALE_RATIO = 2;

export class EncodeEtaEstimator {
  private start: { time: number; done: number } | undefined;
  private first: { time: number; done: number } | undefined;
  private last: { time: number; done: number } | undefined;
  private prepareMsPerClip: number | undefined;

  constructor(
    private readonly total: number,
    private readonly expected?: EncodeRate,
  ) {}

  /** The first chunk (`clips` clips) was extracted and preprocessed in `ms`, with nothing beside it. */
  prepared(clips: number, ms: number): void {
    if (clips > 0 && ms >= 0) this.prepareMsPerClip = ms / clips;
  }

  /** Called at every progress report (`done` clips encoded at `now` ms); ms left, or undefined when there is no basis yet. */
  update(done: number, now: number): number | undefined {
    if (this.start === undefined) {
      this.start = { time: now, done };
      if (done >= this.total) return 0;
      return this.expected === undefined ? undefined : this.expected.startupMs + (this.total - done) * this.expected.msPerClip;
    }
    if (done > this.start.done && this.first === undefined) this.first = { time: now, done };
    if (done > (this.last?.done ?? this.start.done)) this.last = { time: now, done };
    const left = this.total - done;
    if (left <= 0) return 0;
    const perClip = this.msPerClip();
    return perClip === undefined ? undefined : left * perClip;
  }

  /** The per-clip estimate now: the measured steady rate, blended with the expected one while few clips are measured. */
  private msPerClip(): number | undefined {
    const steady = this.steady();
    const expected = this.expected?.msPerClip;
    if (steady === undefined) return expected;
    const measured = Math.max(steady.msPerClip, this.prepareMsPerClip ?? 0);
    // A remembered rate more than twice off what this run measures is stale (another device,
    // other load, a planted value): the measurement alone is the better guess.
    if (expected === undefined || Math.max(expected / measured, measured / expected) > STALE_RATIO) return measured;
    return (EXPECTED_WEIGHT_CLIPS * expected + steady.clips * measured) / (EXPECTED_WEIGHT_CLIPS + steady.clips);
  }

  /** The rate over the clips after the first finished one (undefined until there are some). */
  private steady(): { msPerClip: number; clips: number } | undefined {
    if (this.first === undefined || this.last === undefined || this.last.done <= this.first.done) return undefined;
    const clips = this.last.done - this.first.done;
    return { msPerClip: (this.last.time - this.first.time) / clips, clips };
  }

  /** What this run measured (undefined when it encoded fewer than two reports' worth of clips). */
  measured(): EncodeRate | undefined {
    const steady = this.steady();
    if (steady === undefined || this.start === undefined || this.first === undefined) return undefined;
    const firstClips = this.first.done - this.start.done;
    const msPerClip = Math.max(steady.msPerClip, this.prepareMsPerClip ?? 0);
    return { msPerClip, startupMs: Math.max(0, this.first.time - this.start.time - firstClips * msPerClip) };
  }
}
