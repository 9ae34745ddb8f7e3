// The library: the videos opened before, each with its thumbnail, duration, clips, what is cached
// of it and its chats. Open it again (with one of its chats, or a new one), or remove it: its chats
// and cached data go, the file stays. Shown in a dialog (Library in the top bar) and on the first
// screen under the drop zone.
import { useEffect, useRef, useState } from 'react';
import type { LibraryVideo } from '../../../electron/shared/app-api';
import { getApi } from '../stores/api-instance';
import { useLibraryStore } from '../stores/library-store';
import { ClipThumbnail } from './ClipThumbnail';
import { formatClock } from './format-time';

const size = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`);

function cacheLabel(v: LibraryVideo): { text: string; tone: string } {
  if (v.video === undefined) return { text: 'File missing (moved or deleted)', tone: 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200' };
  const c = v.cache;
  if (c.embeddings === 'complete') return { text: `Watched · cached${c.kvPrefix ? ', answers start at once' : ''}`, tone: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200' };
  if (c.embeddings === 'partial') return { text: `${c.encodedClips ?? 0} of ${c.totalClips ?? '?'} clips cached`, tone: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200' };
  if (c.embeddings === 'unknown') return { text: 'Cache state unknown', tone: 'bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300' };
  return { text: 'Not watched yet', tone: 'bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300' };
}

function LibraryRow({ item }: { item: LibraryVideo }) {
  const reopen = useLibraryStore((s) => s.reopen);
  const remove = useLibraryStore((s) => s.remove);
  const [confirming, setConfirming] = useState(false);
  const [removing, setRemoving] = useState(false);
  const cache = cacheLabel(item);
  const missing = item.video === undefined;
  const facts = [
    item.duration !== undefined ? formatClock(item.duration) : null,
    item.clips !== undefined ? `${item.clips} clip${item.clips === 1 ? '' : 's'}${item.clipSamplingRatio !== undefined ? ` (ratio ${item.clipSamplingRatio})` : ''}` : null,
    item.sizeBytes !== undefined ? size(item.sizeBytes) : null,
    item.cache.bytes > 0 ? `${size(item.cache.bytes)} cached` : null,
  ].filter((f) => f !== null);
  return (
    <li data-testid="library-video" data-id={item.id} data-cache={missing ? 'missing' : item.cache.embeddings} data-kv-prefix={item.cache.kvPrefix ? 'true' : 'false'} className="flex gap-3 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
      <button type="button" disabled={missing} onClick={() => void reopen(item.id)} title={missing ? undefined : `Open ${item.name}`} className="w-28 shrink-0 self-start overflow-hidden rounded-md sm:w-36">
        {item.video !== undefined && item.posterClip !== undefined ? (
          <span data-testid="library-thumbnail">
            <ClipThumbnail src={getApi().thumbnailUrl(item.video, item.posterClip)} />
          </span>
        ) : (
          <span className="flex aspect-video w-full items-center justify-center bg-zinc-200 text-[10px] text-zinc-500 dark:bg-zinc-800">{missing ? 'missing' : 'no preview'}</span>
        )}
      </button>
      <div className="flex min-w-0 flex-1 flex-col gap-1.5">
        <div className="flex min-w-0 items-start justify-between gap-2">
          <h3 data-testid="library-name" className="truncate font-medium" title={item.name}>
            {item.name}
          </h3>
          <span className="shrink-0 text-xs text-zinc-500" title={`Last opened ${new Date(item.openedAt).toLocaleString()}`}>
            {new Date(item.openedAt).toLocaleDateString()}
          </span>
        </div>
        <div data-testid="library-facts" className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-zinc-500">
          {facts.length > 0 && <span className="tabular-nums">{facts.join(' · ')}</span>}
          <span data-testid="library-cache" className={`rounded-full px-2 py-0.5 ${cache.tone}`}>
            {cache.text}
          </span>
        </div>
        {item.chats.length > 0 && (
          <ul aria-label={`Chats about ${item.name}`} className="flex flex-col gap-0.5 text-sm">
            {item.chats.map((chat) => (
              <li key={chat.id}>
                <button type="button" data-testid="library-chat" data-current={chat.current ? 'true' : 'false'} disabled={missing} onClick={() => void reopen(item.id, chat.id)} className="-mx-1 flex w-full min-w-0 items-baseline gap-2 rounded px-1 text-left hover:bg-zinc-100 disabled:opacity-50 dark:hover:bg-zinc-800">
                  <span className="truncate">{chat.title}</span>
                  <span className="shrink-0 text-xs text-zinc-500">
                    {chat.turns} question{chat.turns === 1 ? '' : 's'}
                    {chat.current ? ' · latest' : ''}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="mt-auto flex flex-wrap items-center gap-2 pt-1 text-xs">
          <button type="button" data-testid="library-open" disabled={missing} onClick={() => void reopen(item.id)} className="rounded bg-indigo-600 px-2.5 py-1 font-medium text-white hover:bg-indigo-500 disabled:opacity-50">
            Open
          </button>
          <button type="button" data-testid="library-new-chat" disabled={missing} onClick={() => void reopen(item.id, 'new')} className="rounded border border-zinc-300 px-2.5 py-1 hover:bg-zinc-100 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800">
            New chat
          </button>
          <span className="flex-1" />
          {confirming ? (
            <span data-testid="library-remove-confirm" className="flex flex-wrap items-center gap-2">
              <span className="text-zinc-600 dark:text-zinc-300">Delete its chats and cached data? The file stays.</span>
              <button
                type="button"
                data-testid="library-remove-yes"
                disabled={removing}
                onClick={() => {
                  setRemoving(true);
                  void remove(item.id).then((ok) => {
                    if (!ok) setRemoving(false);
                  });
                }}
                className="rounded bg-red-600 px-2.5 py-1 font-medium text-white hover:bg-red-500 disabled:opacity-50"
              >
                {removing ? 'Removing…' : 'Remove'}
              </button>
              <button type="button" onClick={() => setConfirming(false)} className="rounded px-2 py-1 hover:bg-zinc-100 dark:hover:bg-zinc-800">
                Keep
              </button>
            </span>
          ) : (
            <button type="button" data-testid="library-remove" onClick={() => setConfirming(true)} className="rounded px-2 py-1 text-red-600 hover:bg-red-50 dark:text-red-400 dark:hover:bg-red-950">
              Remove
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

/** The library's videos, newest first; `title` heads it when there is something to show. */
export function LibraryList({ title }: { title?: string }) {
  const videos = useLibraryStore((s) => s.videos);
  const error = useLibraryStore((s) => s.error);
  if (videos === null) return error === null ? <p className="text-sm text-zinc-500">Loading…</p> : <p role="alert" className="text-sm text-red-600">{error}</p>;
  if (videos.length === 0 && title !== undefined) return null;
  return (
    <section aria-label="Library" data-testid="library" className="flex w-full flex-col gap-2">
      {title !== undefined && <h2 className="text-sm font-medium text-zinc-600 dark:text-zinc-400">{title}</h2>}
      {videos.length === 0 ? (
        <p className="text-sm text-zinc-500">No videos yet. The videos you open are listed here, with their chats.</p>
      ) : (
        <ul className="flex flex-col gap-2">
          {videos.map((item) => (
            <LibraryRow key={item.id} item={item} />
          ))}
        </ul>
      )}
      {error !== null && (
        <p role="alert" data-testid="library-error" className="text-sm text-red-600">
          {error}
        </p>
      )}
    </section>
  );
}

/** The first screen's list of videos opened before. */
export function RecentVideos() {
  const load = useLibraryStore((s) => s.load);
  useEffect(() => void load(), [load]);
  return (
    <div className="w-full max-w-3xl">
      <LibraryList title="Opened before" />
    </div>
  );
}

export function LibraryDialog() {
  const open = useLibraryStore((s) => s.open);
  const setOpen = useLibraryStore((s) => s.setOpen);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (open) dialog.current?.showModal?.();
    else dialog.current?.close?.();
  }, [open]);
  return (
    <dialog ref={dialog} data-testid="library-dialog" onClose={() => setOpen(false)} className="m-auto w-[48rem] max-w-[95vw] rounded-xl bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-black/40 dark:bg-zinc-900 dark:text-zinc-100">
      <div className="flex max-h-[85vh] flex-col gap-4 overflow-y-auto p-5">
        <div className="flex items-center justify-between">
          <h2 className="text-lg font-semibold">Library</h2>
          <button type="button" onClick={() => setOpen(false)} className="rounded px-2 py-1 text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800">
            Close
          </button>
        </div>
        {open && <LibraryList />}
      </div>
    </dialog>
  );
}
