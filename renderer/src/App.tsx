import { useCallback, useState } from 'react';
import { ChatPanel } from './components/ChatPanel';
import { ClipTrack } from './components/ClipTrack';
import { DropOverlay, EmptyState, OpenVideoButton, useWindowDrop } from './components/DropZone';
import { Filmstrip } from './components/Filmstrip';
import { LibraryDialog, RecentVideos } from './components/Library';
import { ModelsDialog } from './components/ModelsDialog';
import { Notices } from './components/Notices';
import { ProgressPanel } from './components/ProgressPanel';
import { SettingsDialog } from './components/SettingsDialog';
import { DeviceBadge, StatusBar } from './components/StatusBar';
import { VideoPlayer } from './components/VideoPlayer';
import { useLibraryStore } from './stores/library-store';
import { isWaiting, useChatStore } from './stores/chat-store';
import { useModelsStore } from './stores/models-store';
import { useVideoStore } from './stores/video-store';

function VideoWorkspace() {
  const video = useVideoStore((s) => s.video);
  const phase = useVideoStore((s) => s.phase);
  const analysis = useVideoStore((s) => s.analysis);
  const progress = useVideoStore((s) => s.progress);
  const error = useVideoStore((s) => s.error);
  const cancel = useVideoStore((s) => s.cancel);
  const encodeCancelled = useVideoStore((s) => s.encodeCancelled);
  const startingEncode = useVideoStore((s) => s.startingEncode);
  const resumeEncoding = useVideoStore((s) => s.resumeEncoding);
  const clipsWatched = useVideoStore((s) => s.clipsWatched);
  // "Answer now": a question waits for the encoding, and some clips are encoded already.
  const waiting = useChatStore((s) => isWaiting(s.history));
  const answerNow = useChatStore((s) => s.answerNow);
  const canAnswerNow = waiting && progress?.stage === 'encode' && progress.done > 0;
  // A file that could not be read as a video: no black player, only what went wrong.
  const unreadable = phase === 'error' && analysis === null;
  // Wide windows: player and chat side by side, each scrolling on its own. Below 1000 px the chat
  // stacks under the player and the whole page scrolls, so nothing is cut off.
  return (
    <div data-testid="workspace" className="flex h-full min-h-0 flex-col overflow-y-auto min-[1000px]:grid min-[1000px]:grid-cols-[minmax(0,3fr)_minmax(22rem,2fr)] min-[1000px]:overflow-hidden">
      <div data-testid="video-column" className="flex shrink-0 flex-col gap-4 p-4 min-[1000px]:min-h-0 min-[1000px]:overflow-y-auto">
        <div className="flex items-center justify-between gap-2">
          <h1 data-testid="video-name" className="truncate text-base font-semibold" title={video?.name}>
            {video?.name}
          </h1>
          <OpenVideoButton className="shrink-0 !px-3 !py-1 !text-xs" />
        </div>
        {!unreadable && <VideoPlayer />}
        {!unreadable && <ClipTrack />}
        {progress !== null && <ProgressPanel progress={progress} onCancel={() => void cancel()} {...(canAnswerNow ? { onAnswerNow: () => void answerNow() } : {})} />}
        {progress === null && startingEncode && phase === 'ready' && <ProgressPanel progress={{ stage: 'starting', done: 0, total: 0 }} onCancel={() => void cancel()} />}
        {progress === null && encodeCancelled && (
          <p data-testid="encode-cancelled" className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-zinc-500">
            <span>
              Watching the video was cancelled
              {clipsWatched !== null && clipsWatched.done > 0 ? ` after ${clipsWatched.done} of ${clipsWatched.total} clips (kept; Answer now answers from them)` : ''}; it goes on when you ask a question.
            </span>
            <button type="button" data-testid="resume-encoding" onClick={() => void resumeEncoding()} className="rounded border border-zinc-300 px-2 py-0.5 text-xs text-zinc-700 hover:bg-zinc-100 dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800">
              Resume watching
            </button>
          </p>
        )}
        {phase === 'analyzing' && progress === null && <p className="text-sm text-zinc-500">Reading the video…</p>}
        {phase === 'error' && error !== null && (
          <p role="alert" data-testid="video-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">
            {error}
          </p>
        )}
        <Filmstrip />
      </div>
      <div data-testid="chat-column" className="h-[85vh] min-h-[26rem] shrink-0 border-t border-zinc-200 min-[1000px]:h-auto min-[1000px]:min-h-0 min-[1000px]:border-l min-[1000px]:border-t-0 dark:border-zinc-800">
        <ChatPanel />
      </div>
    </div>
  );
}

export function App() {
  const video = useVideoStore((s) => s.video);
  const phase = useVideoStore((s) => s.phase);
  const error = useVideoStore((s) => s.error);
  const progress = useVideoStore((s) => s.progress);
  const openFile = useVideoStore((s) => s.openFile);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const openModels = useModelsStore((s) => s.setOpen);
  const openLibrary = useLibraryStore((s) => s.setOpen);
  const dragging = useWindowDrop(useCallback((file: File) => void openFile(file), [openFile]));
  return (
    <div className="flex h-full flex-col">
      <header className="flex min-w-0 items-center gap-2 border-b sm:gap-3 border-zinc-200 px-4 py-2.5 dark:border-zinc-800">
        <span className="text-lg font-semibold tracking-tight">Apollo</span>
        <span className="hidden truncate text-sm text-zinc-500 md:inline">chat with your videos, offline</span>
        <span className="flex-1" />
        <DeviceBadge />
        <button type="button" data-testid="open-library" onClick={() => openLibrary(true)} className="rounded px-2 py-1 text-sm text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800">
          Library
        </button>
        <button type="button" data-testid="open-models" onClick={() => openModels(true)} className="rounded px-2 py-1 text-sm text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800">
          Models
        </button>
        <button type="button" data-testid="open-settings" onClick={() => setSettingsOpen(true)} className="rounded px-2 py-1 text-sm text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800">
          Settings
        </button>
      </header>
      <Notices />
      <main className="min-h-0 flex-1">
        {video === null ? (
          <div className="flex h-full flex-col items-center gap-6 overflow-y-auto p-6">
            <span className="flex-1" />
            <EmptyState />
            {progress !== null && (
              <div className="w-full max-w-xl">
                <ProgressPanel progress={progress} />
              </div>
            )}
            {phase === 'error' && error !== null && (
              <p role="alert" data-testid="video-error" className="max-w-xl rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">
                {error}
              </p>
            )}
            <RecentVideos />
            <span className="flex-1" />
          </div>
        ) : (
          <VideoWorkspace />
        )}
      </main>
      <StatusBar />
      {settingsOpen && <SettingsDialog onClose={() => setSettingsOpen(false)} />}
      <ModelsDialog />
      <LibraryDialog />
      {dragging && <DropOverlay />}
    </div>
  );
}
