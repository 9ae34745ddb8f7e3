// Finds the times an answer names ("at 1:23", "83.5 seconds", "2.0-3.5 seconds", "between 0:10 and
// 0:20", "the 45-second mark", "01:02:03") so the chat can turn them into links that seek the
// player. Pure: text in, segments out. Bare number pairs ("3-2", dates, versions) are not times.

export type AnswerSegment =
  | { kind: 'text'; text: string }
  | { kind: 'time'; text: string; start: number; end?: number };

// A clock time: M:SS, MM:SS or H:MM:SS, optional fraction. Not part of a larger number or ratio,
// and not a time of day ("10:30 am").
const CLOCK = String.raw`(?<![\d:.])(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:\.(\d{1,3}))?(?!\d|:\d|\.\d|\s*(?:[ap]\.?m\b\.?))`;
const NUM = String.raw`(\d{1,6}(?:\.\d+)?)`;
const SEC_UNIT = String.raw`(?:seconds?|secs?|s)\b`;
const MIN_UNIT = String.raw`(?:minutes?|mins?)\b`;

interface Rule {
  re: RegExp;
  parse(m: RegExpExecArray): { start: number; end?: number } | undefined;
}

function clockFromGroups(h: string | undefined, m: string, s: string, frac: string | undefined): number | undefined {
  const minutes = Number(m);
  const seconds = Number(s);
  if (seconds >= 60) return undefined;
  if (h !== undefined && minutes >= 60) return undefined;
  return (h === undefined ? 0 : Number(h) * 3600) + minutes * 60 + seconds + (frac === undefined ? 0 : Number(`0.${frac}`));
}

/** Parses a standalone time expression (clock or "12s"/"12 seconds") to seconds. */
function parseTimeToken(token: string): number | undefined {
  const clock = new RegExp(`^${CLOCK}$`).exec(token.trim());
  if (clock) return clockFromGroups(clock[1], clock[2]!, clock[3]!, clock[4]);
  const secs = new RegExp(`^${NUM}\\s*(?:${SEC_UNIT})?$`).exec(token.trim());
  if (secs) return Number(secs[1]);
  return undefined;
}

const TIME_TOKEN = String.raw`(?:${CLOCK.replace(/\((?!\?)/g, '(?:')}|\d{1,6}(?:\.\d+)?\s*(?:${SEC_UNIT})?)`;

const rules: Rule[] = [
  {
    // between 0:10 and 0:20 / from 12s to 15s / from 1:05 until 1:30
    re: new RegExp(String.raw`\b(?:between|from)\s+(${TIME_TOKEN})\s+(?:and|to|until|till)\s+(${TIME_TOKEN})`, 'gi'),
    parse(m) {
      const a = parseTimeToken(m[1]!);
      const b = parseTimeToken(m[2]!);
      // Bare numbers only count when one side says they are times (a unit or a clock).
      const unitless = (s: string) => /^\d+(?:\.\d+)?$/.test(s.trim());
      if (a === undefined || b === undefined || (unitless(m[1]!) && unitless(m[2]!)) || b < a) return undefined;
      return { start: a, end: b };
    },
  },
  {
    // 2.0-3.5 seconds, 12 to 15 seconds, 12s-15s
    re: new RegExp(String.raw`(?<![\d.])${NUM}\s*(?:s\b|secs?\b|seconds?\b)?\s*(?:-|–|—|to)\s*${NUM}\s*${SEC_UNIT}`, 'gi'),
    parse(m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      return b >= a ? { start: a, end: b } : undefined;
    },
  },
  {
    // 0:10-0:20 / 1:02:03 – 1:02:30
    re: new RegExp(`${CLOCK}\\s*(?:-|–|—|to)\\s*${CLOCK}`, 'g'),
    parse(m) {
      const a = clockFromGroups(m[1], m[2]!, m[3]!, m[4]);
      const b = clockFromGroups(m[5], m[6]!, m[7]!, m[8]);
      return a !== undefined && b !== undefined && b >= a ? { start: a, end: b } : undefined;
    },
  },
  {
    // the 45-second mark / the 2-minute mark
    re: new RegExp(String.raw`\b(\d{1,6}(?:\.\d+)?)[- ](second|minute)s?\s+mark\b`, 'gi'),
    parse(m) {
      const n = Number(m[1]);
      return { start: m[2]!.toLowerCase() === 'minute' ? n * 60 : n };
    },
  },
  {
    // 2 minutes 30 seconds / 1 min 5 s
    re: new RegExp(String.raw`(?<![\d.])(\d{1,4})\s*${MIN_UNIT}(?:\s*(?:and\s*)?(\d{1,2}(?:\.\d+)?)\s*${SEC_UNIT})?`, 'gi'),
    parse(m) {
      // A bare "N minutes" is usually a duration ("a 3 minutes video"); link it only with seconds.
      if (m[2] === undefined) return undefined;
      return { start: Number(m[1]) * 60 + Number(m[2]) };
    },
  },
  {
    // 1m30s / 1m 30s / 1h2m3s / 2m (compact units: one token, one link, never "30s" alone)
    re: /(?<![\w.])(?:(\d{1,3})\s?h\s?)?(?:(\d{1,4})\s?m\s?)?(?:(\d{1,2}(?:\.\d+)?)\s?s)?(?![\w.])/gi,
    parse(m) {
      const [, h, mi, s] = m;
      // At least two units, or minutes with hours ("2m" alone is often metres).
      if ([h, mi, s].filter((x) => x !== undefined).length < 2) return undefined;
      if ((h !== undefined || mi !== undefined) && s !== undefined && Number(s) >= 60) return undefined;
      if (h !== undefined && mi !== undefined && Number(mi) >= 60) return undefined;
      return { start: Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(s ?? 0) };
    },
  },
  {
    // 83.5 seconds / 12s
    re: new RegExp(String.raw`(?<![\d.:\-–])${NUM}\s*${SEC_UNIT}`, 'gi'),
    parse(m) {
      return { start: Number(m[1]) };
    },
  },
  {
    // at 1:23 / 01:02:03
    re: new RegExp(CLOCK, 'g'),
    parse(m) {
      const t = clockFromGroups(m[1], m[2]!, m[3]!, m[4]);
      return t === undefined ? undefined : { start: t };
    },
  },
];

interface Found {
  index: number;
  length: number;
  start: number;
  end?: number;
  priority: number;
}

export function findTimeReferences(text: string): Found[] {
  const found: Found[] = [];
  rules.forEach((rule, priority) => {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m !== null; m = rule.re.exec(text)) {
      const parsed = rule.parse(m);
      if (parsed !== undefined && Number.isFinite(parsed.start)) found.push({ index: m.index, length: m[0].length, priority, ...parsed });
      if (m[0].length === 0) rule.re.lastIndex++;
    }
  });
  // Earliest first; at the same place the longer (then the higher-priority) match wins; no overlaps.
  found.sort((a, b) => a.index - b.index || b.length - a.length || a.priority - b.priority);
  const chosen: Found[] = [];
  let cursor = 0;
  for (const f of found) {
    if (f.index < cursor) continue;
    chosen.push(f);
    cursor = f.index + f.length;
  }
  return chosen;
}

export function splitAnswerIntoSegments(text: string): AnswerSegment[] {
  const segments: AnswerSegment[] = [];
  let cursor = 0;
  for (const f of findTimeReferences(text)) {
    if (f.index > cursor) segments.push({ kind: 'text', text: text.slice(cursor, f.index) });
    const seg: AnswerSegment = { kind: 'time', text: text.slice(f.index, f.index + f.length), start: f.start };
    if (f.end !== undefined) seg.end = f.end;
    segments.push(seg);
    cursor = f.index + f.length;
  }
  if (cursor < text.length) segments.push({ kind: 'text', text: text.slice(cursor) });
  return segments;
}
