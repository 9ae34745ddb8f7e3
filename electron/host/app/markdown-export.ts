// A chat as Markdown: the video's name, the clips the model saw, then each question and answer.
import type { ChatHistory, ClipSummary } from '../../shared/app-api.js';

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function chatToMarkdown(history: ChatHistory, clips: ClipSummary[] | undefined, exportedAt: Date): string {
  const lines = [`# Chat about ${history.videoName}`, '', `Exported ${exportedAt.toISOString()} from Apollo Desktop.`, ''];
  if (clips !== undefined && clips.length > 0) {
    lines.push(`The model looked at ${clips.length} clips: ${clips.map((c) => `${clock(c.start)}–${clock(c.end)}`).join(', ')}.`, '');
  }
  for (const turn of history.turns) {
    lines.push(`## Q: ${turn.question.replace(/\n+/g, ' ')}`, '', turn.answer.trim() === '' ? '_(no answer)_' : turn.answer.trim());
    if (turn.status === 'stopped') lines.push('', '_(answer stopped)_');
    if (turn.status === 'error' && turn.error) lines.push('', `_(error: ${turn.error.message})_`);
    lines.push('');
  }
  return lines.join('\n');
}
