// Chats persisted per video (by content key) as atomic JSON files in the app's data folder, so a
// crash or a kill never loses or tears a conversation, and reopening a video restores it. A video
// keeps several chats: the current one at the top of its file (as older versions wrote it), the
// others under `otherChats` (New chat moves the current one there).
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ChatHistory, ChatTurn, LibraryChat } from '../../shared/app-api.js';
import { LIMITS } from '../../shared/limits.js';
import { readJsonValidated, writeJsonAtomic } from '../../common/persist/atomic-file.js';

const status = z.enum(['pending', 'streaming', 'done', 'stopped', 'error']);
const error = z.object({ code: z.string(), message: z.string() }).passthrough().optional();
const timings = z.record(z.string(), z.number()).optional();
const clipsUsed = z.object({ used: z.number().int().nonnegative(), total: z.number().int().nonnegative(), label: z.string() }).optional();

interface StoredTurn {
  id: string;
  question: string;
  answer: string;
  status: z.infer<typeof status>;
  error?: z.infer<typeof error>;
  timings?: z.infer<typeof timings>;
  clipsUsed?: z.infer<typeof clipsUsed>;
  createdAt: string;
  versions?: Array<{ question: string; answer: string; status: z.infer<typeof status>; error?: z.infer<typeof error>; timings?: z.infer<typeof timings>; clipsUsed?: z.infer<typeof clipsUsed>; createdAt: string; later: StoredTurn[] }>;
  versionIndex?: number;
}

// Versions nest (a version keeps the turns that followed it, which have versions of their own).
const turnSchema: z.ZodType<StoredTurn> = z.lazy(() =>
  z.object({
    id: z.string(),
    question: z.string(),
    answer: z.string(),
    status,
    error,
    timings,
    clipsUsed,
    createdAt: z.string(),
    versions: z.array(z.object({ question: z.string(), answer: z.string(), status, error, timings, clipsUsed, createdAt: z.string(), later: z.array(turnSchema) })).optional(),
    versionIndex: z.number().int().nonnegative().optional(),
  }),
);

const otherChatSchema = z.object({ chatId: z.string(), turns: z.array(turnSchema), droppedTurns: z.number().int().nonnegative().optional() });

const historySchema = z.object({
  videoId: z.string(),
  videoName: z.string(),
  chatId: z.string().optional(),
  turns: z.array(turnSchema),
  droppedTurns: z.number().int().nonnegative().optional(),
  otherChats: z.array(otherChatSchema).max(LIMITS.chatsPerVideo).optional(),
});

/** A chat of the video that is not the one shown. */
export interface OtherChat {
  chatId: string;
  turns: ChatTurn[];
  droppedTurns?: number;
}

/** A video's chats: the one shown, and the others (newest first). */
export interface VideoChats {
  current: ChatHistory & { chatId: string };
  others: OtherChat[];
}

/** A chat stopped mid-answer by a crash or a kill is kept as stopped, with its partial answer. */
const settled = (turns: StoredTurn[]) => turns.map((t) => (t.status === 'streaming' || t.status === 'pending' ? { ...t, status: 'stopped' as const } : t)) as ChatTurn[];

/** How the library names a chat: its first question, shortened. */
export function summarizeChat(chatId: string, turns: readonly ChatTurn[], current: boolean): LibraryChat {
  const first = turns[0]?.question.replace(/\s+/g, ' ').trim() ?? '';
  const last = turns.at(-1)?.createdAt;
  return { id: chatId, title: first === '' ? 'New chat' : first.length > 80 ? `${first.slice(0, 79)}…` : first, turns: turns.length, ...(last === undefined ? {} : { updatedAt: last }), current };
}

export class ChatHistoryStore {
  constructor(private readonly dataDir: string) {}

  private pathFor(videoKey: string): string {
    if (!/^[0-9a-f]{16,128}$/.test(videoKey)) throw new Error('invalid video key');
    return join(this.dataDir, 'chats', `${videoKey}.json`);
  }

  async load(videoKey: string, videoId: string, videoName: string): Promise<VideoChats> {
    const r = await readJsonValidated(this.pathFor(videoKey), historySchema);
    if (!r.ok) return { current: { videoId, videoName, chatId: randomUUID(), turns: [] }, others: [] };
    const { otherChats = [], chatId = randomUUID(), droppedTurns, turns } = r.value;
    return {
      current: { videoId, videoName, chatId, turns: settled(turns), ...(droppedTurns === undefined ? {} : { droppedTurns }) },
      others: otherChats.map((c) => ({ chatId: c.chatId, turns: settled(c.turns), ...(c.droppedTurns === undefined ? {} : { droppedTurns: c.droppedTurns }) })),
    };
  }

  /** Whether a chat with at least one turn is saved for this video content. */
  async hasTurns(videoKey: string): Promise<boolean> {
    const r = await readJsonValidated(this.pathFor(videoKey), historySchema);
    return r.ok && (r.value.turns.length > 0 || (r.value.otherChats ?? []).some((c) => c.turns.length > 0));
  }

  async save(videoKey: string, history: ChatHistory, others: readonly OtherChat[] = []): Promise<void> {
    await writeJsonAtomic(this.pathFor(videoKey), { ...history, ...(others.length > 0 ? { otherChats: others.slice(0, LIMITS.chatsPerVideo) } : {}) });
  }

  /** Deletes every chat of the video (it was removed from the library). */
  async remove(videoKey: string): Promise<void> {
    await rm(this.pathFor(videoKey), { force: true });
  }
}
