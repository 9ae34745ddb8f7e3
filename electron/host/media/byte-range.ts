// HTTP Range (RFC 9110 §14) for serving a local video to a <video> element: seeking needs 206
// Partial Content, and a range past the end needs 416. One byte range per request, as media
// elements ask; multi-range requests are answered with the first range.

export type ByteRange =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number } // inclusive end
  | { kind: 'unsatisfiable' };

export function parseByteRange(header: string | null | undefined, size: number): ByteRange {
  if (header === null || header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*([^,]*)/i.exec(header);
  // A malformed Range header is ignored (RFC 9110: the server may ignore it and send 200).
  if (!m) return { kind: 'full' };
  const spec = m[1]!.trim();
  const parts = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
  if (!parts || (parts[1] === '' && parts[2] === '')) return { kind: 'full' };
  if (parts[1] === '') {
    // suffix range: the last N bytes
    const n = Number(parts[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(parts[1]);
  const end = parts[2] === '' ? size - 1 : Math.min(Number(parts[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  if (end < start) return { kind: 'full' };
  return { kind: 'partial', start, end };
}
