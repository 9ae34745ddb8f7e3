import { describe, expect, it } from 'vitest';
import { countMediaMarkers, MEDIA_TOKEN_ID, tokenizeMultimodalPrompt } from '../../electron/engine/chat/chat-prompt.js';
import {
  cachedIdsAfterAnswer,
  planConversationTurn,
  renderConversation,
  tokenizeConversation,
  type ChatTurn,
  type ConversationRequest,
} from '../../electron/engine/chat/conversation-plan.js';
import { planApolloClips } from '../../electron/engine/video/apollo-clip-plan.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { buildVideoText } from '../../electron/engine/video/video-text.js';
import { qwen25Tokenizer } from './chat-tokenizer-fixture.js';

const tok = qwen25Tokenizer();
const settings = { ...DEFAULT_SAMPLING_SETTINGS };
// A 10-minute 30 fps video at the reference ratio: the plan and text of the video module.
const plan = planApolloClips({ frameCount: 18000, fps: 30 }, settings);
const videoText = buildVideoText(plan, settings);
const base: Omit<ConversationRequest, 'history' | 'question'> = {
  videoText,
  modelMaxLength: settings.modelMaxLength,
  reserveTokens: 256,
  clipCount: plan.groupCount,
  tokensPerClip: settings.numOutputTokens,
};

const history: ChatTurn[] = [
  { question: 'What is happening at the start?', answer: 'A man walks a dog along a beach, at 0:12.' },
  { question: '  and then?\n', answer: '1) He throws a ball 🎾\n2) The dog runs.' },
  { question: 'Où est le chien ?', answer: 'Dans l’eau.' },
];

describe('conversation token layout', () => {
  it('tokenises block by block exactly as the whole reference prompt is tokenised', () => {
    for (let n = 0; n <= history.length; n++) {
      const turns = history.slice(0, n);
      const question = n === 0 ? 'Describe the video.' : ' why?';
      const whole = tokenizeMultimodalPrompt(tok, renderConversation(videoText, turns, question));
      expect(tokenizeConversation(tok, videoText, turns, question)).toEqual(whole);
    }
  });

  it('a follow-up prefills only <|im_end|>\\n<|im_start|>user\\n{q}<|im_end|>\\n<|im_start|>assistant\\n', () => {
    const first = planConversationTurn(tok, { ...base, history: [], question: history[0]!.question });
    expect(first.reuseLength).toBe(0);
    expect(first.prefillIds).toEqual(first.ids);
    expect(countMediaMarkers(first.ids)).toBe(plan.groupCount * settings.numOutputTokens);
    // The model answers and stops on <|im_end|>, which is sampled but never fed.
    const generated = [...tok.encode(history[0]!.answer), 151645];
    const cachedIds = cachedIdsAfterAnswer(first.ids, generated);
    const next = planConversationTurn(tok, { ...base, history: history.slice(0, 1), question: 'And the dog?', cachedIds });
    expect(next.reuseLength).toBe(cachedIds.length);
    expect(next.prefillIds).toEqual(tok.encode('<|im_end|>\n<|im_start|>user\nAnd the dog?<|im_end|>\n<|im_start|>assistant\n'));
    expect(next.ids).toEqual(tokenizeMultimodalPrompt(tok, renderConversation(videoText, history.slice(0, 1), 'And the dog?')));
    expect(next.droppedTurns).toBe(0);
  });

  it('re-prefills from where a generated answer differs from its re-tokenisation', () => {
    const first = planConversationTurn(tok, { ...base, history: [], question: 'Hi' });
    // " Hello" generated as two tokens (space, then "Hello"): the reference re-tokenises "Hello".
    const generated = [220, 9707, 151643];
    const cachedIds = cachedIdsAfterAnswer(first.ids, generated);
    const next = planConversationTurn(tok, { ...base, history: [{ question: 'Hi', answer: 'Hello' }], question: 'q', cachedIds });
    expect(next.reuseLength).toBe(first.ids.length);
    expect(next.prefillIds.slice(0, 2)).toEqual([9707, 151645]);
  });

  it('regenerate and edit rewind to the common prefix and always prefill at least one position', () => {
    const first = planConversationTurn(tok, { ...base, history: [], question: 'Hi' });
    const cachedIds = cachedIdsAfterAnswer(first.ids, [...tok.encode('Hello there'), 151645]);
    const again = planConversationTurn(tok, { ...base, history: [], question: 'Hi', cachedIds });
    expect(again.reuseLength).toBe(first.ids.length - 1);
    expect(again.prefillIds).toEqual([first.ids.at(-1)]);
    const edited = planConversationTurn(tok, { ...base, history: [], question: 'Hey', cachedIds });
    expect(edited.reuseLength).toBeLessThan(first.ids.length);
    expect(edited.ids.slice(0, edited.reuseLength)).toEqual(first.ids.slice(0, edited.reuseLength));
    // The video is never re-prefilled for an edited question.
    expect(countMediaMarkers(edited.prefillIds)).toBe(0);
  });
});

describe('context budget', () => {
  it('drops the oldest question/answer pairs, never the video, and says how many', () => {
    const full = tokenizeConversation(tok, videoText, history, 'Last one?');
    const withoutFirst = tokenizeConversation(tok, videoText, history.slice(1), 'Last one?');
    // A budget that fits the conversation without its first pair only.
    const modelMaxLength = withoutFirst.length + base.reserveTokens;
    expect(full.length).toBeGreaterThan(withoutFirst.length);
    const planned = planConversationTurn(tok, { ...base, modelMaxLength, history, question: 'Last one?' });
    expect(planned.droppedTurns).toBe(1);
    expect(planned.keptHistory).toEqual(history.slice(1));
    expect(planned.ids).toEqual(withoutFirst);
    expect(countMediaMarkers(planned.ids)).toBe(plan.groupCount * settings.numOutputTokens);
    // The video now precedes the oldest question kept, in the first user message.
    expect(renderConversation(videoText, planned.keptHistory, 'Last one?')).toContain(`${videoText}\n\n${history[1]!.question}<|im_end|>`);
    expect(planned.ids.length + base.reserveTokens).toBeLessThanOrEqual(modelMaxLength);
  });

  it('refuses a first question that cannot fit, suggesting a lower clip sampling ratio', () => {
    const ids = tokenizeConversation(tok, videoText, [], 'q');
    const request = { ...base, modelMaxLength: ids.length + base.reserveTokens - 1, history: [], question: 'q' };
    expect(() => planConversationTurn(tok, request)).toThrow(/clip sampling ratio/);
    expect(() => planConversationTurn(tok, request)).toThrow(expect.objectContaining({ code: 'PROMPT_TOO_LONG' }));
    expect(() => planConversationTurn(tok, { ...request, modelMaxLength: ids.length + base.reserveTokens })).not.toThrow();
  });

  it('refuses a follow-up that cannot fit even alone', () => {
    const ids = tokenizeConversation(tok, videoText, [], 'q');
    const request = { ...base, modelMaxLength: ids.length + base.reserveTokens, history, question: 'q '.repeat(50) };
    expect(() => planConversationTurn(tok, request)).toThrow(expect.objectContaining({ code: 'QUESTION_TOO_LONG' }));
  });

  it('checks the video placeholders against K × num_output_tokens', () => {
    expect(() => planConversationTurn(tok, { ...base, clipCount: base.clipCount + 1, history: [], question: 'q' })).toThrow(
      expect.objectContaining({ code: 'VIDEO_TOKEN_MISMATCH' }),
    );
    expect(tokenizeConversation(tok, videoText, [], 'q').filter((id) => id === MEDIA_TOKEN_ID)).toHaveLength(
      plan.groupCount * settings.numOutputTokens,
    );
  });
});
