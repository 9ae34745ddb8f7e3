// m:ss or h:mm:ss for labels and links; `decimals` adds tenths (short clips).
export function formatClock(seconds: number, decimals = 0): string {
  const scale = 10 ** decimals;
  const total = Math.max(0, Math.floor(seconds * scale + 1e-6) / scale);
  const s = Math.floor(total);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const frac = decimals > 0 ? (total - s).toFixed(decimals).slice(1) : '';
  const sec = String(s % 60).padStart(2, '0') + frac;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
