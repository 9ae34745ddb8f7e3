// Python's and numpy's text for numbers, as the reference prompt prints them:
// str(datetime.timedelta(seconds=x)), numpy round(x, 1) and the shortest repr of a float64.

/** C's round(): half away from zero. */
function cRound(x: number): number {
  const a = Math.abs(x);
  const f = Math.floor(a);
  const r = a - f >= 0.5 ? f + 1 : f; // a - f is exact, unlike floor(a + 0.5)
  return x < 0 ? -r : r;
}

/**
 * Microseconds of `datetime.timedelta(seconds=x)` for x >= 0, following CPython's delta_new/accum:
 * whole seconds exactly, the fraction·1e6 split into whole and leftover µs, the leftover rounded
 * half-even on the running total.
 */
export function timedeltaMicroseconds(seconds: number): number {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new RangeError(`timedelta: ${seconds} is not a finite non-negative number`);
  const intpart = Math.trunc(seconds);
  let frac = seconds - intpart;
  let total = intpart * 1_000_000;
  let leftover = 0;
  if (frac !== 0) {
    const us = 1_000_000 * frac;
    const whole = Math.trunc(us);
    frac = us - whole;
    total += whole;
    leftover += frac;
  }
  if (leftover !== 0) {
    let wholeUs = cRound(leftover);
    if (Math.abs(wholeUs - leftover) === 0.5) {
      const odd = total % 2 === 1 ? 1 : 0;
      wholeUs = 2.0 * cRound((leftover + odd) * 0.5) - odd;
    }
    total += Math.trunc(wholeUs);
  }
  return total;
}

/** str(datetime.timedelta(seconds=x)): "0:00:10", "1:00:00", "0:00:30.033333", "1 day, 2:03:04". */
export function formatTimedelta(seconds: number): string {
  const totalUs = timedeltaMicroseconds(seconds);
  const us = totalUs % 1_000_000;
  const totalS = (totalUs - us) / 1_000_000;
  const days = Math.floor(totalS / 86_400);
  const secs = totalS - days * 86_400;
  const hh = Math.floor(secs / 3600);
  const mm = Math.floor((secs % 3600) / 60);
  const ss = secs % 60;
  let text = `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
  if (days) text = `${days} day${days === 1 ? '' : 's'}, ${text}`;
  if (us) text += `.${String(us).padStart(6, '0')}`;
  return text;
}

/** numpy's rint: round half to even. */
function rintHalfEven(y: number): number {
  const f = Math.floor(y);
  const d = y - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** round(np.float64(x), decimals): numpy multiplies by 10^decimals, rints, and divides back. */
export function numpyRound(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  const y = x * scale;
  const r = rintHalfEven(y);
  return (r === 0 && (y < 0 || Object.is(y, -0)) ? -0 : r) / scale; // rint keeps the sign: round(-0.04, 1) is -0.0
}

/** str(np.float64(x)) / repr(float): shortest round-trip digits, Python's notation. */
export function formatPythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mantissa, exp] = x.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}
