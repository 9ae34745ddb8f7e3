// The player: the browser's own controls, plus Space / arrow keys when focus is not in a text
// field, and seeking when any part of the app asks for it (filmstrip, time links).
import { useEffect, useRef } from 'react';
import { useVideoStore } from '../stores/video-store';

function typingInField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return el !== null && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function VideoPlayer() {
  const video = useVideoStore((s) => s.video);
  const seekRequest = useVideoStore((s) => s.seekRequest);
  const setCurrentTime = useVideoStore((s) => s.setCurrentTime);
  const ref = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    const el = ref.current;
    if (el === null || seekRequest === null) return;
    el.currentTime = seekRequest.time;
  }, [seekRequest]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = ref.current;
      if (el === null || typingInField(e.target) || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === ' ' || e.key === 'k') {
        e.preventDefault();
        if (el.paused) void el.play();
        else el.pause();
      } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault();
        const step = e.shiftKey ? 1 : 5;
        el.currentTime = Math.max(0, Math.min(el.duration || Infinity, el.currentTime + (e.key === 'ArrowLeft' ? -step : step)));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (video === null) return null;
  return (
    <video
      ref={ref}
      data-testid="player"
      src={video.mediaUrl}
      controls
      preload="metadata"
      className="aspect-video w-full rounded-lg bg-black"
      onTimeUpdate={(e) => setCurrentTime(e.currentTarget.currentTime)}
      onSeeked={(e) => setCurrentTime(e.currentTarget.currentTime)}
    />
  );
}
