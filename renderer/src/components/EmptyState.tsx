// First screen: tells the user the one thing to do.
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
    </section>
  );
}
