import { describe, expect, it } from 'vitest';
import { EtaEstimator, formatDuration, withEta, type ProgressEvent } from '../../electron/shared/progress.js';
import { describeProgress } from '../../electron/cli/progress-bar.js';

describe('progress', () => {
  it('estimates time left from a steady rate', () => {
    const est = new EtaEstimator();
    expect(est.update(0, 100, 0)).toBeUndefined();
    expect(est.update(10, 100, 1000)).toBeCloseTo(9000);
    expect(est.update(20, 100, 2000)).toBeCloseTo(8000);
  });

  it('adds an ETA per stage', () => {
    let t = 0;
    const seen: ProgressEvent[] = [];
    const listener = withEta((e) => seen.push(e), () => t);
    listener({ stage: 'encode', done: 0, total: 4 });
    t = 2000;
    listener({ stage: 'encode', done: 1, total: 4 });
    t = 2500;
    listener({ stage: 'prefill', done: 0, total: 10 });
    expect(seen[1]!.etaMs).toBeCloseTo(6000);
    expect(seen[2]!.etaMs).toBeUndefined();
  });

  it('describes events for logs', () => {
    expect(describeProgress({ stage: 'download', done: 1_500_000, total: 3_000_000, unit: 'bytes', etaMs: 61_000 })).toBe('download: 1.5 MB/3.0 MB (50%) ETA 1:01');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(Number.NaN)).toBe('--:--');
  });
});
