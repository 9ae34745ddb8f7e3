// How far a progress bar's ETAs were from the time the work actually still took: shared by
// bench/encode-eta.bench.ts and bench/first-answer.bench.ts.

/** One progress event: when (ms), how many were done, and the ETA it showed (ms), if any. */
export interface EtaSample {
  t: number;
  done: number;
  etaMs: number | undefined;
}

export interface EtaErrors {
  /** The first ETA the run emitted: when, predicted, actually left, relative error. */
  first?: { atDone: number; atSeconds: number; predictedSeconds: number; actualSeconds: number; error: number };
  /** Mean |predicted − actual| / actual over every ETA with time still left (near the end a second off is a large share). */
  meanAbsError: number;
  /** Mean |predicted − actual| as a share of the whole run's time (what a user waiting sees). */
  meanAbsErrorOfRun: number;
  etas: number;
}

/** Each ETA against the time the run actually took from that event to its last. */
export function etaErrors(samples: EtaSample[]): EtaErrors {
  const end = samples.at(-1)!.t;
  const start = samples[0]!.t;
  const rows = samples
    .map((s) => ({ s, eta: s.etaMs, actual: end - s.t }))
    .filter((r): r is { s: EtaSample; eta: number; actual: number } => r.eta !== undefined && r.actual > 0);
  const rel = rows.map((r) => Math.abs(r.eta - r.actual) / r.actual);
  const first = rows[0];
  return {
    ...(first === undefined
      ? {}
      : { first: { atDone: first.s.done, atSeconds: (first.s.t - start) / 1000, predictedSeconds: first.eta / 1000, actualSeconds: first.actual / 1000, error: Math.abs(first.eta - first.actual) / first.actual } }),
    meanAbsError: rel.length === 0 ? Number.NaN : rel.reduce((a, b) => a + b, 0) / rel.length,
    meanAbsErrorOfRun: rows.length === 0 ? Number.NaN : rows.reduce((a, r) => a + Math.abs(r.eta - r.actual), 0) / rows.length / (end - start),
    etas: rows.length,
  };
}

/** The errors as a benchmark measurement's columns (the same names in every ETA benchmark). */
export function etaErrorColumns(e: EtaErrors) {
  return {
    firstEtaAtClip: e.first?.atDone,
    firstEtaAfterSeconds: e.first?.atSeconds,
    firstEtaSeconds: e.first?.predictedSeconds,
    firstEtaActualSeconds: e.first?.actualSeconds,
    firstEtaError: e.first?.error,
    meanAbsEtaError: e.meanAbsError,
    meanAbsEtaErrorOfRun: e.meanAbsErrorOfRun,
    etas: e.etas,
  };
}
