// Chats persisted per video (by content key) as atomic JSON files in the app's data folder, so a
// crash or a kill never loses or tears a conversation, and reopening a video restores it.
import { join } from 'node:path';
import { z } from 'zod';
import type { ChatHistory } from '../../shared/app-api.js';
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

const historySchema = z.object({
  videoId: z.string(),
  videoName: z.string(),
  turns: z.array(turnSchema),
  droppedTurns: z.number().int().nonnegative().optional(),
});

export class ChatHistoryStore {
  constructor(private readonly dataDir: string) {}

  private pathFor(videoKey: string): string {
    if (!/^[0-9a-f]{16,128}$/.test(videoKey)) throw new Error('invalid video key');
    return join(this.dataDir, 'chats', `${videoKey}.json`);
  }

  async load(videoKey: string, videoId: string, videoName: string): Promise<ChatHistory> {
    const r = await readJsonValidated(this.pathFor(videoKey), historySchema);
    if (!r.ok) return { videoId, videoName, turns: [] };
    // A turn that was streaming when the app stopped is kept as stopped, with its partial answer.
    const turns = r.value.turns.map((t) => (t.status === 'streaming' || t.status === 'pending' ? { ...t, status: 'stopped' as const } : t));
    return { ...r.value, videoId, videoName, turns } as ChatHistory;
  }

  /** Whether a chat with at least one turn is saved for this video content. */
  async hasTurns(videoKey: string): Promise<boolean> {
    const r = await readJsonValidated(this.pathFor(videoKey), historySchema);
    return r.ok && r.value.turns.length > 0;
  }

  async save(videoKey: string, history: ChatHistory): Promise<void> {
    await writeJsonAtomic(this.pathFor(videoKey), history);
  }
}
