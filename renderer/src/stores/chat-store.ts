// The chat of the open video: its turns (restored from the host), the streaming answer, actions.
import { create } from 'zustand';
import type { ChatHistory, ChatTurn } from '../../../electron/shared/app-api';
import { errorMessage, getApi } from './api-instance';

interface ChatStore {
  history: ChatHistory | null;
  loading: boolean;
  error: string | null;
  load(videoId: string): Promise<void>;
  /** Sends a question; with `answerNow`, it is answered from the clips encoded so far. */
  ask(question: string, options?: { answerNow?: boolean }): Promise<boolean>;
  /** Answers the question waiting for the video's encoding from the clips encoded so far. */
  answerNow(): Promise<void>;
  stop(): Promise<void>;
  regenerate(): Promise<void>;
  edit(turnId: string, question: string): Promise<void>;
  /** Shows another version of a turn (0-based among all its versions). */
  selectVersion(turnId: string, index: number): Promise<void>;
  clear(): Promise<void>;
  /** Starts another chat on the open video (no id), or shows one of its other chats. */
  switchChat(chatId?: string): Promise<void>;
  exportMarkdown(): Promise<string | null>;
  applyTurn(videoId: string, turn: ChatTurn): void;
  applyDelta(videoId: string, turnId: string, delta: string): void;
}

const stage = (t: ChatTurn) => (t.status === 'pending' ? 0 : t.status === 'streaming' ? 1 : 2);

function upsert(turns: ChatTurn[], turn: ChatTurn): ChatTurn[] {
  const i = turns.findIndex((t) => t.id === turn.id);
  if (i < 0) return [...turns, turn];
  // The reply to ask/regenerate/edit (a pending turn) can arrive after the turn's own events
  // (streaming, done): an older state never replaces a newer one.
  if (stage(turn) < stage(turns[i]!)) return turns;
  const next = turns.slice();
  next[i] = turn;
  return next;
}

/** The last question is waiting for its answer to start (for the video's encoding, normally). */
export function isWaiting(history: ChatHistory | null): boolean {
  const last = history?.turns.at(-1);
  return last !== undefined && last.status === 'pending' && last.answer === '';
}

export function isAnswering(history: ChatHistory | null): boolean {
  const last = history?.turns.at(-1);
  return last !== undefined && (last.status === 'pending' || last.status === 'streaming');
}

export const useChatStore = create<ChatStore>((set, get) => {
  const run = async (action: () => Promise<unknown>) => {
    set({ error: null });
    try {
      await action();
      return true;
    } catch (error) {
      set({ error: errorMessage(error) });
      return false;
    }
  };
  const videoId = () => get().history?.videoId;
  // The chat being loaded: a question sent meanwhile waits for it instead of being dropped.
  let loading: Promise<void> | null = null;
  let loads = 0;
  return {
    history: null,
    loading: false,
    error: null,
    load(id) {
      set({ history: null, loading: true, error: null });
      const generation = ++loads;
      loading = (async () => {
        try {
          const history = await getApi().getChat(id);
          if (generation === loads) set({ history, loading: false });
        } catch (error) {
          if (generation === loads) set({ loading: false, error: errorMessage(error) });
        }
      })();
      return loading;
    },
    ask: (question, options) =>
      run(async () => {
        if (get().history === null && loading !== null) await loading;
        const id = videoId();
        // Never report success for a question that went nowhere: the composer keeps it.
        if (id === undefined) throw new Error('Open a video first: this question was not sent (it is still in the box).');
        get().applyTurn(id, (await getApi().ask(id, question, options?.answerNow === true ? { answerNow: true } : undefined)).turn);
      }),
    answerNow: async () => {
      await run(async () => {
        const id = videoId();
        if (id !== undefined) await getApi().answerNow(id);
      });
    },
    stop: async () => {
      await run(async () => {
        const id = videoId();
        if (id !== undefined) await getApi().stop(id);
      });
    },
    regenerate: async () => {
      await run(async () => {
        const id = videoId();
        if (id === undefined) return;
        // The replaced turn leaves first: the new one may arrive as an event before the reply.
        const before = get().history;
        set((s) => (s.history ? { history: { ...s.history, turns: s.history.turns.slice(0, -1) } } : {}));
        try {
          get().applyTurn(id, (await getApi().regenerate(id)).turn);
        } catch (error) {
          if (before !== null && videoId() === id) set({ history: before });
          throw error;
        }
      });
    },
    edit: async (turnId, question) => {
      await run(async () => {
        const id = videoId();
        if (id === undefined) return;
        // The edited turn and those after it leave first (kept by the host as a version).
        const before = get().history;
        set((s) => {
          if (!s.history) return {};
          const index = s.history.turns.findIndex((t) => t.id === turnId);
          return index < 0 ? {} : { history: { ...s.history, turns: s.history.turns.slice(0, index) } };
        });
        try {
          get().applyTurn(id, (await getApi().editQuestion(id, turnId, question)).turn);
        } catch (error) {
          if (before !== null && videoId() === id) set({ history: before });
          throw error;
        }
      });
    },
    selectVersion: async (turnId, index) => {
      await run(async () => {
        const id = videoId();
        if (id === undefined) return;
        const history = await getApi().selectVersion(id, turnId, index);
        if (videoId() === id) set({ history });
      });
    },
    clear: async () => {
      await run(async () => {
        const id = videoId();
        if (id === undefined) return;
        await getApi().clearChat(id);
        set((s) => (s.history ? { history: { ...s.history, turns: [] } } : {}));
      });
    },
    switchChat: async (chatId) => {
      await run(async () => {
        if (get().history === null && loading !== null) await loading;
        const id = videoId();
        if (id === undefined) return;
        loads++; // a load still in flight would bring back the chat left
        const history = chatId === undefined ? await getApi().newChat(id) : await getApi().openChat(id, chatId);
        if (videoId() === id) set({ history, loading: false });
      });
    },
    async exportMarkdown() {
      const id = videoId();
      if (id === undefined) return null;
      try {
        return await getApi().exportMarkdown(id);
      } catch (error) {
        set({ error: errorMessage(error) });
        return null;
      }
    },
    applyTurn(id, turn) {
      set((s) => (s.history?.videoId === id ? { history: { ...s.history, turns: upsert(s.history.turns, turn) } } : {}));
    },
    applyDelta(id, turnId, delta) {
      set((s) => {
        if (s.history?.videoId !== id) return {};
        // Text for a turn that has ended (a late event) never reopens it.
        const turn = s.history.turns.find((t) => t.id === turnId);
        if (turn === undefined || (turn.status !== 'pending' && turn.status !== 'streaming')) return {};
        return { history: { ...s.history, turns: s.history.turns.map((t) => (t === turn ? { ...t, status: 'streaming', answer: t.answer + delta } : t)) } };
      });
    },
  };
});
