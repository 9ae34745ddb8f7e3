// The encoding ETA (engine/vision/encode-eta.ts), table-driven on simulated clocks: the first clip's
// start-up is kept out of the rate, a rate measured before on this device stands in until the run
// has its own (and is blended while few clips are measured), and the run reports what it measured.
import { describe, expect, it } from 'vitest';
import { EncodeEtaEstimator } from '../../electron/engine/vision/encode-eta.js';

/** Feeds (done, time) reports and returns the ETAs. */
function etas(estimator: EncodeEtaEstimator, reports: Array<[number, number]>): Array<number | undefined> {
  return reports.map(([done, now]) => estimator.update(done, now));
}

describe('EncodeEtaEstimator', () => {
  it('keeps the first clip (start-up) out of the rate: 10 clips at 1 s after a 5 s start-up', () => {
    const est = new EncodeEtaEstimator(10);
    const out = etas(est, [[0, 0], [1, 6000], [2, 7000], [3, 8000]]);
    // no basis before two clips are done; then 1 s per clip, not the 3.5 s a plain average of the first two gives
    expect(out).toEqual([undefined, undefined, 8000, 7000]);
    expect(est.measured()).toEqual({ msPerClip: 1000, startupMs: 5000 });
  });

  it('with a rate measured before, answers at once (start-up included) and is exact when the run matches it', () => {
    const est = new EncodeEtaEstimator(10, { msPerClip: 1000, startupMs: 5000 });
    const out = etas(est, [[0, 0], [1, 6000], [2, 7000], [10, 15000]]);
    expect(out).toEqual([15000, 9000, 8000, 0]);
    // the first ETA (15 s) is the whole run's actual time
  });

  it('blends the expected rate with the measured one, the measurement winning as clips accumulate', () => {
    // expected 2 s per clip, the run does 1 s per clip
    const est = new EncodeEtaEstimator(100, { msPerClip: 2000, startupMs: 0 });
    expect(est.update(0, 0)).toBe(200_000);
    expect(est.update(1, 1000)).toBe(99 * 2000);
    // one steady clip measured: (3·2000 + 1·1000) / 4 = 1750 ms per clip
    expect(est.update(2, 2000)).toBe(98 * 1750);
    // 30 steady clips: (3·2000 + 30·1000) / 33
    expect(est.update(31, 31_000)).toBeCloseTo(69 * (36_000 / 33), 6);
  });

  it('drops a remembered rate more than twice off the measured one (stale: another device or load)', () => {
    const est = new EncodeEtaEstimator(100, { msPerClip: 60_000, startupMs: 0 });
    expect(est.update(0, 0)).toBe(6_000_000);
    expect(est.update(1, 1000)).toBe(99 * 60_000);
    // one steady clip at 1 s: 60× off, so not blended (a blend would say (3·60 + 1) / 4 = 45 s per clip)
    expect(est.update(2, 2000)).toBe(98 * 1000);
    // and just under the limit it is blended: expected 1.9 s vs 1 s measured
    const near = new EncodeEtaEstimator(100, { msPerClip: 1900, startupMs: 0 });
    etas(near, [[0, 0], [1, 1000]]);
    expect(near.update(2, 2000)).toBe(98 * ((3 * 1900 + 1000) / 4));
  });

  it('a resumed run counts from the clips it found done, and a finished or empty one has nothing left', () => {
    const est = new EncodeEtaEstimator(10, { msPerClip: 1000, startupMs: 0 });
    expect(est.update(6, 0)).toBe(4000);
    expect(new EncodeEtaEstimator(4).update(4, 0)).toBe(0);
    const short = new EncodeEtaEstimator(1);
    expect(etas(short, [[0, 0], [1, 500]])).toEqual([undefined, 0]);
    // one clip is no steady rate: nothing to remember
    expect(short.measured()).toBeUndefined();
  });

  it('a clip costs at least what the first chunk took to extract per clip: the pipeline goes at its slower stage', () => {
    // 25 clips extracted in 20 s (0.8 s each) before the first is encoded; the towers then take 0.5 s a clip
    const est = new EncodeEtaEstimator(50);
    est.update(0, 0);
    est.prepared(25, 20_000);
    expect(etas(est, [[1, 20_500], [2, 21_000]])).toEqual([undefined, 48 * 800]);
    expect(est.measured()).toEqual({ msPerClip: 800, startupMs: 19_700 });
    // towers slower than extraction: their rate stands
    const slow = new EncodeEtaEstimator(50);
    slow.update(0, 0);
    slow.prepared(25, 5000);
    expect(etas(slow, [[1, 7000], [2, 9000]])).toEqual([undefined, 48 * 2000]);
  });

  it('batches of clips per report: the rate is per clip', () => {
    const est = new EncodeEtaEstimator(12);
    expect(etas(est, [[0, 0], [4, 3000], [8, 5000]])).toEqual([undefined, undefined, 4 * 500]);
    expect(est.measured()).toEqual({ msPerClip: 500, startupMs: 1000 });
  });
});
