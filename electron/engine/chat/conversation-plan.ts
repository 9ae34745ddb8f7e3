// Multi-turn layout, context budget and KV-cache reuse.
//
// The token sequence of every turn equals what the reference template produces for the whole
// conversation so far (Conversation.get_prompt() over all messages, then tokenizer_mm_token):
//
//   <|im_start|>system\n\nYou are a helpful vision-language assistant.<|im_end|>\n
//   <|im_start|>user\n{video text}\n\n{q1}<|im_end|>\n<|im_start|>assistant\n
//   {a1}<|im_end|>\n<|im_start|>user\n{q2}<|im_end|>\n<|im_start|>assistant\n  ...
//
// where a1 is the previous answer as text (decode with skip_special_tokens, stripped) tokenised
// again. After an answer the KV cache holds the prompt and every generated token but the last one
// (the stop token is sampled, never fed), so a follow-up keeps the longest common prefix of what
// the cache holds and the new sequence, and prefills only the rest: normally
// `<|im_end|>\n<|im_start|>user\n{q2}<|im_end|>\n<|im_start|>assistant\n`, plus any answer
// token whose re-tokenisation differs from what was generated. Since every message is enclosed by
// the atomic <|im_start|>/<|im_end|> tokens, blocks tokenise independently and are concatenated.
//
// Budget: the whole sequence plus the tokens reserved for the answer must fit in model_max_length.
// A follow-up that does not fit drops the oldest question/answer pairs; the video always stays, in
// the first user message, followed by the oldest question kept.
import { ApolloError } from '../../shared/errors.js';
import {
  APOLLO_CHATML_TEMPLATE,
  assertMediaMarkerCount,
  firstUserMessage,
  renderChatmlPrompt,
  tokenizeMultimodalPrompt,
  type ChatmlTemplate,
} from './chat-prompt.js';
import type { ChatTokenizer } from './tokenizer.js';

export interface ChatTurn {
  question: string;
  /** The final answer text (decode(ids, skip_special_tokens).strip()). */
  answer: string;
}

export interface ConversationRequest {
  /** The clip plan's video text: preamble and per-clip lines with their placeholders. */
  videoText: string;
  /** Earlier turns, oldest first. */
  history: readonly ChatTurn[];
  /** The question to answer now. */
  question: string;
  /** Ids whose keys/values the LLM's cache holds now, in order (empty for a fresh cache). */
  cachedIds?: readonly number[];
  /** model_max_length from the checkpoint config: the budget for the whole sequence. */
  modelMaxLength: number;
  /** Positions kept free for the answer (max_new_tokens). */
  reserveTokens: number;
  /** K clips and num_output_tokens per clip: the number of −200 markers the prompt must have. */
  clipCount: number;
  tokensPerClip: number;
  template?: ChatmlTemplate;
}

export interface ConversationPlan {
  /** The full token sequence for this turn, −200 marking clip-embedding rows. */
  ids: number[];
  /** Earlier turns kept in the prompt (the oldest `droppedTurns` were left out to fit). */
  keptHistory: ChatTurn[];
  droppedTurns: number;
  /** Cache positions to keep: truncate the KV cache to this length before prefilling. */
  reuseLength: number;
  /** ids.slice(reuseLength): what to prefill, starting at position `reuseLength`. */
  prefillIds: number[];
}

/** Messages of the conversation in reference form, the last one the open assistant header. */
export function conversationMessages(videoText: string, history: readonly ChatTurn[], question: string) {
  const questions = [...history.map((t) => t.question), question];
  const messages: { role: 'user' | 'assistant'; content: string | null }[] = [];
  questions.forEach((q, i) => {
    messages.push({ role: 'user', content: i === 0 ? firstUserMessage(videoText, q) : q });
    messages.push({ role: 'assistant', content: i < history.length ? (history[i]?.answer ?? '') : null });
  });
  return messages;
}

/** The whole prompt as text, exactly as Conversation.get_prompt() renders it. */
export function renderConversation(
  videoText: string,
  history: readonly ChatTurn[],
  question: string,
  template: ChatmlTemplate = APOLLO_CHATML_TEMPLATE,
): string {
  return renderChatmlPrompt(template, conversationMessages(videoText, history, question));
}

/** Token ids of the conversation, block by block (each block starts at an atomic special token). */
export function tokenizeConversation(
  tokenizer: ChatTokenizer,
  videoText: string,
  history: readonly ChatTurn[],
  question: string,
  template: ChatmlTemplate = APOLLO_CHATML_TEMPLATE,
): number[] {
  const messages = conversationMessages(videoText, history, question);
  const ids = tokenizeMultimodalPrompt(tokenizer, renderChatmlPrompt(template, []));
  for (const message of messages) {
    const block = renderChatmlPrompt({ ...template, system: '' }, [message]);
    for (const id of tokenizeMultimodalPrompt(tokenizer, block)) ids.push(id);
  }
  return ids;
}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Plans one turn: the kept history, the token sequence, and what to keep/prefill in the cache. */
export function planConversationTurn(tokenizer: ChatTokenizer, request: ConversationRequest): ConversationPlan {
  const template = request.template ?? APOLLO_CHATML_TEMPLATE;
  const budget = request.modelMaxLength - request.reserveTokens;
  let dropped = 0;
  let ids = tokenizeConversation(tokenizer, request.videoText, request.history, request.question, template);
  assertMediaMarkerCount(ids, request.clipCount, request.tokensPerClip);
  while (ids.length > budget && dropped < request.history.length) {
    dropped++;
    ids = tokenizeConversation(tokenizer, request.videoText, request.history.slice(dropped), request.question, template);
  }
  if (ids.length > budget) {
    const details = {
      promptTokens: ids.length,
      reserveTokens: request.reserveTokens,
      modelMaxLength: request.modelMaxLength,
      clipCount: request.clipCount,
    };
    if (request.history.length === 0) {
      throw new ApolloError(
        'PROMPT_TOO_LONG',
        `The video (${request.clipCount} clips) and the question take ${ids.length} tokens, and ${request.reserveTokens} more are kept for the answer, but the model's context holds ${request.modelMaxLength}; lower the clip sampling ratio (fewer clips), lower max new tokens, or ask a shorter question.`,
        { details },
      );
    }
    throw new ApolloError(
      'QUESTION_TOO_LONG',
      `Even with every earlier question dropped, the video and this question take ${ids.length} tokens (${request.reserveTokens} more kept for the answer) of the model's ${request.modelMaxLength}; ask a shorter question.`,
      { details },
    );
  }
  const cached = request.cachedIds ?? [];
  // At least one position must be prefilled: its logits give the first answer token.
  const reuseLength = Math.min(commonPrefixLength(cached, ids), ids.length - 1);
  return {
    ids,
    keptHistory: request.history.slice(dropped),
    droppedTurns: dropped,
    reuseLength,
    prefillIds: ids.slice(reuseLength),
  };
}

/** What the KV cache holds after an answer: every id fed to the model (all but the last sampled). */
export function cachedIdsAfterAnswer(promptIds: readonly number[], generatedIds: readonly number[]): number[] {
  return [...promptIds, ...generatedIds.slice(0, Math.max(0, generatedIds.length - 1))];
}
