// Apollo's prompt exactly as the reference builds it (spec section 8): the `qwen_2` conversation
// version maps to `conv_qwen` (CHATML separator style) in the official repository, and the prompt
// is tokenised by `tokenizer_mm_token`: text between media placeholders tokenised chunk by chunk,
// each placeholder becoming the marker id −200.
import { ApolloError } from '../../shared/errors.js';
import type { ChatTokenizer } from './tokenizer.js';

/** The id that marks one row of clip embeddings in the token sequence (X_TOKEN_INDEX). */
export const MEDIA_TOKEN_ID = -200;
/** Literal placeholder strings the reference splits the prompt on. */
export const MEDIA_PLACEHOLDERS = ['<|video_token|>', '<|image_token|>'] as const;

export interface ChatmlTemplate {
  /** Rendered first, followed by `sep` and "\n" (omitted when empty). */
  system: string;
  roles: { user: string; assistant: string };
  sep: string;
}

/** GH `apollo/conversation.py` `conv_qwen`, which both `qwen_1_5` and `qwen_2` select. */
export const APOLLO_CHATML_TEMPLATE: ChatmlTemplate = {
  system: '<|im_start|>system\n\nYou are a helpful vision-language assistant.',
  roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant' },
  sep: '<|im_end|>',
};

export interface ChatMessage {
  role: 'user' | 'assistant';
  /** null (or "") renders the role header alone: how the prompt asks for the next answer. */
  content: string | null;
}

/** The first user message of a conversation: the plan's video text, a blank line, the question. */
export function firstUserMessage(videoText: string, question: string): string {
  return `${videoText}\n\n${question}`;
}

/** `Conversation.get_prompt()` for the CHATML separator style. */
export function renderChatmlPrompt(template: ChatmlTemplate, messages: readonly ChatMessage[]): string {
  let out = template.system === '' ? '' : `${template.system}${template.sep}\n`;
  for (const message of messages) {
    const role = message.role === 'user' ? template.roles.user : template.roles.assistant;
    // Python's `if message:` treats "" like None.
    out += message.content ? `${role}\n${message.content}${template.sep}\n` : `${role}\n`;
  }
  return out;
}

/** `tokenizer_mm_token`: chunks between placeholders tokenised separately, placeholders → −200. */
export function tokenizeMultimodalPrompt(tokenizer: ChatTokenizer, prompt: string): number[] {
  const ids: number[] = [];
  let chunkStart = 0;
  let i = 0;
  while (i < prompt.length) {
    const placeholder = prompt.charCodeAt(i) === 0x3c ? MEDIA_PLACEHOLDERS.find((p) => prompt.startsWith(p, i)) : undefined;
    if (placeholder === undefined) {
      i++;
      continue;
    }
    if (i > chunkStart) for (const id of tokenizer.encode(prompt.slice(chunkStart, i))) ids.push(id);
    ids.push(MEDIA_TOKEN_ID);
    i += placeholder.length;
    chunkStart = i;
  }
  if (prompt.length > chunkStart) for (const id of tokenizer.encode(prompt.slice(chunkStart))) ids.push(id);
  return ids;
}

export function countMediaMarkers(ids: readonly number[]): number {
  let n = 0;
  for (const id of ids) if (id === MEDIA_TOKEN_ID) n++;
  return n;
}

/** The splice needs exactly one clip-embedding row per marker: K clips × num_output_tokens. */
export function assertMediaMarkerCount(ids: readonly number[], clipCount: number, tokensPerClip: number): void {
  const markers = countMediaMarkers(ids);
  const expected = clipCount * tokensPerClip;
  if (markers !== expected) {
    throw new ApolloError(
      'VIDEO_TOKEN_MISMATCH',
      `The prompt has ${markers} video placeholders but the video has ${clipCount} clips × ${tokensPerClip} embeddings = ${expected}; re-open the video to encode it again.`,
      { details: { markers, clipCount, tokensPerClip } },
    );
  }
}
