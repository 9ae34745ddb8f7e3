// The conversation about the open video: questions and streaming answers with time links, and
// the composer (Enter sends, Shift+Enter breaks the line, Esc stops the answer).
import { memo, useEffect, useRef, useState } from 'react';
import type { ChatTurn } from '../../../electron/shared/app-api';
import { LIMITS } from '../../../electron/shared/limits';
import { getApi } from '../stores/api-instance';
import { isAnswering, useChatStore } from '../stores/chat-store';
import { useVideoStore } from '../stores/video-store';
import { AnswerText } from './AnswerText';
import { CitedClips } from './CitedClips';

function downloadText(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/markdown' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** ‹ 2/3 › between the versions of a turn (Regenerate and Edit keep the earlier ones). */
function VersionSwitch({ turn, busy }: { turn: ChatTurn; busy: boolean }) {
  const selectVersion = useChatStore((s) => s.selectVersion);
  const total = (turn.versions?.length ?? 0) + 1;
  if (total < 2) return null;
  const shown = Math.min(turn.versionIndex ?? total - 1, total - 1);
  const button = 'rounded px-1 hover:bg-zinc-200 disabled:opacity-30 dark:hover:bg-zinc-700';
  return (
    <span data-testid="versions" className="flex items-center gap-0.5 tabular-nums">
      <button type="button" data-testid="version-prev" aria-label="Previous version" disabled={busy || shown === 0} onClick={() => void selectVersion(turn.id, shown - 1)} className={button}>
        ‹
      </button>
      <span data-testid="version-label">
        {shown + 1}/{total}
      </span>
      <button type="button" data-testid="version-next" aria-label="Next version" disabled={busy || shown === total - 1} onClick={() => void selectVersion(turn.id, shown + 1)} className={button}>
        ›
      </button>
    </span>
  );
}

/** "Answered from 21 of 84 clips" (highlighted) or "from all 84 clips". */
function ClipsUsedLabel({ turn }: { turn: ChatTurn }) {
  const used = turn.clipsUsed;
  if (used === undefined) return null;
  const partial = used.used < used.total;
  return (
    <span data-testid="clips-used" data-used={used.used} data-total={used.total} title={partial ? 'Answered before the whole video was watched; ask again once it is, for an answer from every clip' : undefined} className={partial ? 'rounded bg-amber-100 px-1.5 py-0.5 text-amber-900 dark:bg-amber-900/40 dark:text-amber-200' : ''}>
      Answered {used.label}
    </span>
  );
}

// Memoized: a streaming answer changes one turn per token, and the others must not re-render.
const TurnView = memo(function TurnView({ turn, isLast, busy }: { turn: ChatTurn; isLast: boolean; busy: boolean }) {
  const edit = useChatStore((s) => s.edit);
  const regenerate = useChatStore((s) => s.regenerate);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(turn.question);
  // a question sent while the video is encoded waits for it (unless answered now)
  const waitingFor = useVideoStore((s) => (isLast && s.progress?.stage === 'encode' && turn.status === 'pending' ? s.progress : null));
  const [copied, setCopied] = useState(false);
  return (
    <li data-testid="turn" data-status={turn.status} className="flex flex-col gap-2">
      <div className="group flex flex-col items-end gap-1">
        {editing ? (
          <form
            className="flex w-full flex-col gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              setEditing(false);
              void edit(turn.id, draft);
            }}
          >
            <textarea aria-label="Edit question" value={draft} onChange={(e) => setDraft(e.target.value)} rows={2} className="w-full rounded-lg border border-zinc-300 bg-white p-2 text-sm dark:border-zinc-700 dark:bg-zinc-900" />
            <div className="flex gap-2 self-end text-xs">
              <button type="button" onClick={() => setEditing(false)} className="rounded px-2 py-1 hover:bg-zinc-100 dark:hover:bg-zinc-800">
                Cancel
              </button>
              <button type="submit" disabled={draft.trim() === ''} className="rounded bg-indigo-600 px-2 py-1 text-white disabled:opacity-50">
                Send
              </button>
            </div>
          </form>
        ) : (
          <>
            <p data-testid="question" className="max-w-[85%] whitespace-pre-wrap rounded-2xl [overflow-wrap:anywhere] rounded-br-sm bg-indigo-600 px-3 py-2 text-sm text-white">
              {turn.question}
            </p>
            {!busy && (
              <button type="button" data-testid="edit" onClick={() => setEditing(true)} title="Ask this again, edited (the current version is kept)" className="text-xs text-zinc-500 opacity-0 transition group-hover:opacity-100 focus:opacity-100">
                Edit
              </button>
            )}
          </>
        )}
      </div>
      <div className="flex min-w-0 flex-col items-start gap-1">
        <div data-testid="answer" className="min-w-0 max-w-[95%] rounded-2xl rounded-bl-sm bg-zinc-100 px-3 py-2 text-sm leading-relaxed dark:bg-zinc-800/70">
          {turn.answer === '' && (turn.status === 'pending' || turn.status === 'streaming') ? (
            <span data-testid="thinking" className="animate-pulse text-zinc-500">{waitingFor !== null ? `Waiting for the video to be watched (${waitingFor.done} of ${waitingFor.total} clips)… Answer now answers from those.` : 'Thinking…'}</span>
          ) : turn.answer === '' ? (
            <span className="italic text-zinc-500">{turn.status === 'error' ? 'No answer.' : turn.status === 'stopped' ? 'Stopped before any text.' : 'An empty answer.'}</span>
          ) : (
            <AnswerText text={turn.answer} live={turn.status === 'streaming'} />
          )}
          {turn.status === 'streaming' && <span className="ml-0.5 inline-block h-4 w-1.5 animate-pulse bg-zinc-400 align-middle" />}
        </div>
        {turn.answer !== '' && turn.status !== 'pending' && turn.status !== 'streaming' && <CitedClips answer={turn.answer} />}
        <div className="flex flex-wrap items-center gap-3 text-xs text-zinc-500">
          <VersionSwitch turn={turn} busy={busy} />
          <ClipsUsedLabel turn={turn} />
          {turn.status === 'stopped' && <span>Stopped</span>}
          {turn.status === 'error' && <span className="text-red-600 dark:text-red-400">{turn.error?.message ?? 'Something went wrong.'}</span>}
          {turn.timings?.decodeTokensPerSecond !== undefined && <span>{turn.timings.decodeTokensPerSecond.toFixed(1)} tok/s</span>}
          {turn.answer !== '' && (
            <button
              type="button"
              data-testid="copy-answer"
              onClick={() => {
                void navigator.clipboard?.writeText(turn.answer).then(() => {
                  setCopied(true);
                  setTimeout(() => setCopied(false), 1500);
                });
              }}
              className="hover:text-zinc-800 dark:hover:text-zinc-200"
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          )}
          {isLast && !busy && (
            <button type="button" data-testid="regenerate" title="Answer again (this answer is kept as a version)" onClick={() => void regenerate()} className="hover:text-zinc-800 dark:hover:text-zinc-200">
              Regenerate
            </button>
          )}
        </div>
      </div>
    </li>
  );
});

export function ChatPanel() {
  const history = useChatStore((s) => s.history);
  const error = useChatStore((s) => s.error);
  const ask = useChatStore((s) => s.ask);
  const stop = useChatStore((s) => s.stop);
  const exportMarkdown = useChatStore((s) => s.exportMarkdown);
  const switchChat = useChatStore((s) => s.switchChat);
  const videoName = useVideoStore((s) => s.video?.name);
  // A file that is not a video (or cannot be read) has nothing to ask about.
  const unreadable = useVideoStore((s) => s.phase === 'error' && s.analysis === null);
  // Some clips are watched, not all (encoding runs, or was cancelled): a question may be answered from those.
  const partial = useVideoStore((s) => (s.clipsWatched !== null && s.clipsWatched.done > 0 && s.clipsWatched.done < s.clipsWatched.total ? s.clipsWatched : null));
  const [question, setQuestion] = useState('');
  const busy = isAnswering(history);
  const length = question.trim().length;
  const tooLong = length > LIMITS.questionChars;
  const list = useRef<HTMLOListElement>(null);
  // The chat follows the answer being written while its end is in view; a user who scrolls up to
  // read is left there until they scroll back down (or send the next question).
  const followEnd = useRef(true);
  const turnCount = history?.turns.length ?? 0;

  useEffect(() => {
    const el = list.current;
    followEnd.current = true;
    if (el) el.scrollTop = el.scrollHeight;
  }, [turnCount, history?.videoId, history?.chatId]);

  useEffect(() => {
    const el = list.current;
    const last = el?.lastElementChild;
    if (!el || !last || typeof ResizeObserver === 'undefined') return;
    // The last turn grows (text, its Markdown rendered later, cited clips, the footer at the end).
    const observer = new ResizeObserver(() => {
      if (followEnd.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(last);
    return () => observer.disconnect();
  }, [turnCount, history?.videoId, history?.chatId]);

  // Esc reads the chat as it is at the key press: a listener tied to a render would miss a press
  // that lands between the answer appearing on screen and React's effects catching up.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const chat = useChatStore.getState();
      if (e.key === 'Escape' && isAnswering(chat.history)) void chat.stop();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const send = async (answerNow = false) => {
    if (question.trim() === '' || busy || tooLong || unreadable) return;
    // The box empties as the question leaves (it shows in the chat at once, and a second Enter
    // cannot send it twice); a question that went nowhere comes back unless something new was typed.
    const sent = question;
    setQuestion('');
    if (!(await ask(sent, answerNow ? { answerNow: true } : undefined))) setQuestion((now) => (now === '' ? sent : now));
  };

  return (
    <section aria-label="Chat" className="flex h-full min-h-0 flex-col">
      <div className="flex items-center justify-between border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
        <h2 className="text-sm font-medium">Chat</h2>
        <span className="flex-1" />
        <button
          type="button"
          data-testid="new-chat"
          disabled={busy || !history || history.turns.length === 0}
          title="Start another chat on this video (this one stays in the Library)"
          onClick={() => void switchChat()}
          className="rounded px-2 py-1 text-xs text-zinc-600 hover:bg-zinc-100 disabled:opacity-40 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          New chat
        </button>
        <button
          type="button"
          data-testid="export"
          disabled={!history || history.turns.length === 0}
          onClick={() => {
            void exportMarkdown().then((md) => md !== null && !getApi().exportSavesFile && downloadText(`${videoName ?? 'chat'}.md`, md));
          }}
          className="rounded px-2 py-1 text-xs text-zinc-600 hover:bg-zinc-100 disabled:opacity-40 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          Export Markdown
        </button>
      </div>
      <ol
        ref={list}
        data-testid="turns"
        onScroll={(e) => {
          const el = e.currentTarget;
          followEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
        }}
        className="flex flex-1 flex-col gap-5 overflow-y-auto p-4"
      >
        {history?.turns.length === 0 && !unreadable && <li className="m-auto max-w-xs text-center text-sm text-zinc-500">Ask anything about this video: what happens, when, who, why. Times in answers are links.</li>}
        {history?.turns.map((turn, i) => <TurnView key={turn.id} turn={turn} isLast={i === history.turns.length - 1} busy={busy} />)}
      </ol>
      {error !== null && <p role="alert" className="mx-4 mb-2 rounded bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">{error}</p>}
      {length > LIMITS.questionChars * 0.8 && (
        <p data-testid="question-counter" data-too-long={tooLong ? 'true' : 'false'} className={`mx-4 mb-1 text-right text-xs tabular-nums ${tooLong ? 'font-medium text-red-600 dark:text-red-400' : 'text-zinc-500'}`}>
          {length.toLocaleString('en-US')} / {LIMITS.questionChars.toLocaleString('en-US')} characters{tooLong ? ' — too long to send; shorten it' : ''}
        </p>
      )}
      <form
        className="flex items-end gap-2 border-t border-zinc-200 p-3 dark:border-zinc-800"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <textarea
          data-testid="composer"
          aria-label="Your question"
          value={question}
          rows={2}
          placeholder={unreadable ? 'Open a video the app can read to ask about it' : 'Ask about the video…'}
          disabled={unreadable}
          onChange={(e) => setQuestion(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
          className="min-h-[2.5rem] min-w-0 flex-1 resize-none disabled:opacity-50 rounded-lg border border-zinc-300 bg-white p-2 text-sm focus:border-indigo-500 focus:outline-none dark:border-zinc-700 dark:bg-zinc-900"
        />
        {busy ? (
          <button type="button" data-testid="stop" onClick={() => void stop()} className="rounded-lg bg-zinc-800 px-4 py-2 text-sm font-medium text-white hover:bg-zinc-700 dark:bg-zinc-200 dark:text-zinc-900">
            Stop
          </button>
        ) : (
          <div className="flex shrink-0 flex-col gap-1">
            {partial !== null && (
              <button
                type="button"
                data-testid="send-answer-now"
                disabled={question.trim() === '' || tooLong || unreadable}
                onClick={() => void send(true)}
                title={`Answer from the ${partial.done} of ${partial.total} clips watched so far, without waiting for the rest`}
                className="rounded-lg border border-indigo-600 px-3 py-1 text-xs font-medium text-indigo-700 hover:bg-indigo-50 disabled:opacity-50 dark:border-indigo-400 dark:text-indigo-300 dark:hover:bg-indigo-950"
              >
                Answer now
              </button>
            )}
            <button type="submit" data-testid="send" disabled={question.trim() === '' || tooLong || unreadable} title={partial !== null ? 'Answer once every clip is watched' : undefined} className="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50">
              Send
            </button>
          </div>
        )}
      </form>
    </section>
  );
}
