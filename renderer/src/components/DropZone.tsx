// The first screen and the window-wide drop target: drop a video anywhere, or choose one.
import { useEffect, useRef, useState } from 'react';
import { useVideoStore } from '../stores/video-store';
import { getApi } from '../stores/api-instance';

export function useWindowDrop(onFile: (file: File) => void): boolean {
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') === true;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const file = e.dataTransfer?.files[0];
      if (file !== undefined) onFile(file);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [onFile]);
  return dragging;
}

export function OpenVideoButton({ className = '' }: { className?: string }) {
  const openFile = useVideoStore((s) => s.openFile);
  const pickVideo = useVideoStore((s) => s.pickVideo);
  const input = useRef<HTMLInputElement>(null);
  const hasDialog = getApi().pickVideo !== undefined;
  return (
    <>
      <button
        type="button"
        className={`rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-400 ${className}`}
        onClick={() => (hasDialog ? void pickVideo() : input.current?.click())}
      >
        Choose a video…
      </button>
      <input
        ref={input}
        data-testid="file-input"
        type="file"
        accept="video/*,.mkv,.mov,.avi,.webm,.mp4,.m4v"
        className="hidden"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file !== undefined) void openFile(file);
          e.target.value = '';
        }}
      />
    </>
  );
}

export function EmptyState() {
  return (
    <section
      data-testid="empty-state"
      className="mx-auto flex max-w-xl flex-col items-center gap-4 rounded-2xl border-2 border-dashed border-zinc-300 p-12 text-center dark:border-zinc-700"
    >
      <svg aria-hidden="true" viewBox="0 0 24 24" className="h-12 w-12 text-indigo-500" fill="none" stroke="currentColor" strokeWidth="1.5">
        <path d="M15 10l4.55-2.28A1 1 0 0121 8.62v6.76a1 1 0 01-1.45.9L15 14M5 18h8a2 2 0 002-2V8a2 2 0 00-2-2H5a2 2 0 00-2 2v8a2 2 0 002 2z" />
      </svg>
      <h1 className="text-2xl font-semibold">Drop a video to start</h1>
      <p className="text-zinc-600 dark:text-zinc-400">
        Drag a video file into this window, then ask questions about it. Everything runs on this machine: the video never leaves it.
      </p>
      <OpenVideoButton />
    </section>
  );
}

export function DropOverlay() {
  return (
    <div className="pointer-events-none fixed inset-0 z-50 flex items-center justify-center bg-indigo-600/20 backdrop-blur-sm">
      <div className="rounded-2xl bg-white px-8 py-6 text-lg font-medium shadow-xl dark:bg-zinc-900">Drop to open this video</div>
    </div>
  );
}
