import { describe, expect, it } from 'vitest';
import {
  APOLLO_CHATML_TEMPLATE,
  assertMediaMarkerCount,
  firstUserMessage,
  MEDIA_TOKEN_ID,
  renderChatmlPrompt,
  tokenizeMultimodalPrompt,
} from '../../electron/engine/chat/chat-prompt.js';
import { ApolloError } from '../../electron/shared/errors.js';
import { runPython } from '../helpers/python-oracle.js';
import { qwen25Tokenizer } from './chat-tokenizer-fixture.js';

// GH apollo/conversation.py: conv_qwen and SeparatorStyle.CHATML's get_prompt, as a Python oracle.
const GET_PROMPT_ORACLE = String.raw`
import json, sys
messages = json.load(sys.stdin)
system = "<|im_start|>system\n\nYou are a helpful vision-language assistant."
roles = {"user": "<|im_start|>user", "assistant": "<|im_start|>assistant"}
sep = "<|im_end|>"
ret = "" if system == "" else system + sep + "\n"
for m in messages:
    role, message = roles[m["role"]], m["content"]
    if message:
        ret += role + "\n" + message + sep + "\n"
    else:
        ret += role + "\n"
sys.stdout.write(json.dumps(ret))
`;

function oraclePrompt(messages: { role: 'user' | 'assistant'; content: string | null }[]): string {
  return JSON.parse(runPython(GET_PROMPT_ORACLE, JSON.stringify(messages)).toString('utf8')) as string;
}

const videoText =
  'You are provided the following series of two, 2 second clips from a 0:00:04 [H:MM:SS] video.\n' +
  '0.0-2.0 seconds: <|video_token|><|video_token|><|video_token|>,\n2.0-4.0 seconds: <|video_token|><|video_token|><|video_token|>';

describe('Apollo prompt text', () => {
  it('is the spec section 8 prompt byte for byte for a first question', () => {
    const message = firstUserMessage(videoText, 'What happens?');
    const prompt = renderChatmlPrompt(APOLLO_CHATML_TEMPLATE, [
      { role: 'user', content: message },
      { role: 'assistant', content: null },
    ]);
    expect(prompt).toBe(
      `<|im_start|>system\n\nYou are a helpful vision-language assistant.<|im_end|>\n<|im_start|>user\n${videoText}\n\nWhat happens?<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it.each([
    ['one turn', [{ role: 'user', content: 'q1' }, { role: 'assistant', content: null }]],
    [
      'three turns',
      [
        { role: 'user', content: firstUserMessage(videoText, 'q1') },
        { role: 'assistant', content: 'a1 is here.' },
        { role: 'user', content: '  spaced\nq2 ' },
        { role: 'assistant', content: 'a2' },
        { role: 'user', content: 'q3 😀' },
        { role: 'assistant', content: null },
      ],
    ],
    ['an empty answer renders like None', [{ role: 'user', content: 'q' }, { role: 'assistant', content: '' }, { role: 'user', content: 'q2' }]],
  ] as const)('matches Conversation.get_prompt (Python oracle): %s', (_name, messages) => {
    const list = messages.map((m) => ({ ...m }));
    expect(renderChatmlPrompt(APOLLO_CHATML_TEMPLATE, list)).toBe(oraclePrompt(list));
  });
});

describe('tokenizeMultimodalPrompt', () => {
  const tok = qwen25Tokenizer();

  it('tokenises each chunk between placeholders on its own and marks every placeholder with -200', () => {
    const ids = tokenizeMultimodalPrompt(tok, videoText);
    const [head, second] = videoText.split('<|video_token|><|video_token|><|video_token|>') as [string, string];
    const expected = [
      ...tok.encode(head),
      MEDIA_TOKEN_ID,
      MEDIA_TOKEN_ID,
      MEDIA_TOKEN_ID,
      ...tok.encode(second.replace(/<\|video_token\|>/g, '')),
      MEDIA_TOKEN_ID,
      MEDIA_TOKEN_ID,
      MEDIA_TOKEN_ID,
    ];
    expect(ids).toEqual(expected);
    // "…seconds: " ends with its own space token because the chunk ends there.
    expect(tok.encode(head).at(-1)).toBe(220);
    expect(ids.slice(0, 3)).toEqual(tok.encode('You are provided').slice(0, 3));
  });

  it('treats the image placeholder the same way and keeps chat markers atomic inside chunks', () => {
    const ids = tokenizeMultimodalPrompt(tok, '<|image_token|>a<|im_end|>\n<|im_start|>b<|video_token|>');
    expect(ids).toEqual([MEDIA_TOKEN_ID, ...tok.encode('a'), 151645, 198, 151644, ...tok.encode('b'), MEDIA_TOKEN_ID]);
    expect(tokenizeMultimodalPrompt(tok, '')).toEqual([]);
    expect(tokenizeMultimodalPrompt(tok, '<|video_tok')).toEqual(tok.encode('<|video_tok'));
  });

  it('rejects a marker count that differs from K × num_output_tokens with a typed error', () => {
    const ids = tokenizeMultimodalPrompt(tok, videoText);
    expect(() => assertMediaMarkerCount(ids, 2, 3)).not.toThrow();
    let error: unknown;
    try {
      assertMediaMarkerCount(ids, 2, 128);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApolloError);
    expect(error).toMatchObject({ code: 'VIDEO_TOKEN_MISMATCH', details: { markers: 6, clipCount: 2, tokensPerClip: 128 } });
  });
});
