// The player: the browser's own controls, the app's own bar (speed, picture-in-picture,
// fullscreen), the keys video players use when focus is not in a text field (k/Space play-pause,
// j/l ±10 s, ←/→ ±5 s (Shift ±1 s), f fullscreen, m mute, < > speed, Home/End, 0–9 jump to tenths),
// and seeking when any part of the app asks for it (filmstrip, time links).
import { useEffect, useRef, useState } from 'react';
import { useVideoStore } from '../stores/video-store';

export const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

function typingInField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return el !== null && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

function toggleFullscreen(el: HTMLVideoElement): void {
  if (document.fullscreenElement) void document.exitFullscreen?.();
  else void el.requestFullscreen?.();
}

async function togglePictureInPicture(el: HTMLVideoElement): Promise<void> {
  if (document.pictureInPictureElement) await document.exitPictureInPicture();
  else await el.requestPictureInPicture();
}

export function VideoPlayer() {
  const video = useVideoStore((s) => s.video);
  const seekRequest = useVideoStore((s) => s.seekRequest);
  const setCurrentTime = useVideoStore((s) => s.setCurrentTime);
  const ref = useRef<HTMLVideoElement>(null);
  const [rate, setRate] = useState(1);
  const [pip, setPip] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const pipSupported = typeof document !== 'undefined' && document.pictureInPictureEnabled === true;

  useEffect(() => {
    const el = ref.current;
    if (el === null || seekRequest === null) return;
    el.currentTime = seekRequest.time;
  }, [seekRequest]);

  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    const enter = () => setPip(true);
    const leave = () => setPip(false);
    el.addEventListener('enterpictureinpicture', enter);
    el.addEventListener('leavepictureinpicture', leave);
    return () => {
      el.removeEventListener('enterpictureinpicture', enter);
      el.removeEventListener('leavepictureinpicture', leave);
    };
  }, [video?.id]);

  useEffect(() => {
    if (flash === null) return;
    const t = setTimeout(() => setFlash(null), 900);
    return () => clearTimeout(t);
  }, [flash]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = ref.current;
      if (el === null || typingInField(e.target) || e.metaKey || e.ctrlKey || e.altKey) return;
      // A focused button keeps Space/Enter for itself.
      if (e.key === ' ' && (e.target as HTMLElement | null)?.tagName === 'BUTTON') return;
      const duration = Number.isFinite(el.duration) ? el.duration : Infinity;
      const seekBy = (delta: number) => {
        el.currentTime = Math.max(0, Math.min(duration, el.currentTime + delta));
      };
      const speed = (dir: 1 | -1) => {
        const i = SPEEDS.findIndex((s) => s >= el.playbackRate - 1e-9);
        const next = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, (i < 0 ? SPEEDS.indexOf(1) : i) + dir))]!;
        el.playbackRate = next;
        setFlash(`${next}×`);
      };
      let handled = true;
      switch (e.key) {
        case ' ':
        case 'k':
        case 'K':
          if (el.paused) void el.play();
          else el.pause();
          break;
        case 'j':
        case 'J':
          seekBy(-10);
          break;
        case 'l':
        case 'L':
          seekBy(10);
          break;
        case 'ArrowLeft':
          seekBy(e.shiftKey ? -1 : -5);
          break;
        case 'ArrowRight':
          seekBy(e.shiftKey ? 1 : 5);
          break;
        case 'Home':
          el.currentTime = 0;
          break;
        case 'End':
          if (Number.isFinite(el.duration)) el.currentTime = el.duration;
          break;
        case 'f':
        case 'F':
          toggleFullscreen(el);
          break;
        case 'm':
        case 'M':
          el.muted = !el.muted;
          setFlash(el.muted ? 'Muted' : 'Sound on');
          break;
        case '<':
          speed(-1);
          break;
        case '>':
          speed(1);
          break;
        default:
          if (/^[0-9]$/.test(e.key) && Number.isFinite(el.duration)) el.currentTime = (Number(e.key) / 10) * el.duration;
          else handled = false;
      }
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (video === null) return null;
  const bar = 'rounded px-2 py-1 text-xs text-zinc-600 hover:bg-zinc-100 disabled:opacity-40 dark:text-zinc-300 dark:hover:bg-zinc-800';
  return (
    <div className="flex flex-col gap-1.5">
      <div className="relative">
        <video
          ref={ref}
          data-testid="player"
          src={video.mediaUrl}
          controls
          preload="metadata"
          className="aspect-video max-h-[70vh] w-full rounded-lg bg-black"
          onTimeUpdate={(e) => setCurrentTime(e.currentTarget.currentTime)}
          onSeeked={(e) => setCurrentTime(e.currentTarget.currentTime)}
          onRateChange={(e) => setRate(e.currentTarget.playbackRate)}
        />
        {flash !== null && (
          <span data-testid="player-flash" className="pointer-events-none absolute left-1/2 top-4 -translate-x-1/2 rounded bg-black/70 px-2 py-1 text-sm text-white">
            {flash}
          </span>
        )}
      </div>
      <div className="flex flex-wrap items-center gap-1" aria-label="Player controls">
        <label className="flex items-center gap-1 text-xs text-zinc-600 dark:text-zinc-300">
          Speed
          <select
            data-testid="playback-speed"
            value={rate}
            onChange={(e) => {
              if (ref.current) ref.current.playbackRate = Number(e.target.value);
            }}
            className="rounded border border-zinc-300 bg-white px-1 py-0.5 text-xs dark:border-zinc-700 dark:bg-zinc-900"
          >
            {(SPEEDS as readonly number[]).includes(rate) ? null : <option value={rate}>{rate}×</option>}
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          data-testid="pip"
          disabled={!pipSupported}
          title={pipSupported ? 'Keep the video in a floating window while you read' : 'Picture-in-picture is not available in this browser'}
          onClick={() => {
            if (ref.current) void togglePictureInPicture(ref.current).catch(() => setFlash('Picture-in-picture is not available'));
          }}
          className={bar}
        >
          {pip ? 'Exit picture-in-picture' : 'Picture-in-picture'}
        </button>
        <button type="button" data-testid="fullscreen" onClick={() => ref.current && toggleFullscreen(ref.current)} className={bar}>
          Fullscreen
        </button>
        <span className="ml-auto hidden text-[11px] text-zinc-400 sm:inline" title="k/Space play · j/l ±10 s · ←/→ ±5 s · f fullscreen · m mute · < > speed · 0–9 jump">
          Keys: k j l ← → f m &lt; &gt; 0–9
        </span>
      </div>
    </div>
  );
}
