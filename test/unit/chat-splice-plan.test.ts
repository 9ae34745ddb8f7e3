import { describe, expect, it } from 'vitest';
import { MEDIA_TOKEN_ID as M } from '../../electron/engine/chat/chat-prompt.js';
import { assembleInputsEmbeds, planSplice } from '../../electron/engine/chat/splice-plan.js';

describe('planSplice', () => {
  it.each([
    ['no video', [5, 6, 7], 0, [{ kind: 'text', start: 0, ids: [5, 6, 7] }]],
    [
      'text, two clips of rows, text',
      [1, 2, M, M, M, 3, M, M, 4],
      0,
      [
        { kind: 'text', start: 0, ids: [1, 2] },
        { kind: 'clip', start: 2, firstRow: 0, rowCount: 3 },
        { kind: 'text', start: 5, ids: [3] },
        { kind: 'clip', start: 6, firstRow: 3, rowCount: 2 },
        { kind: 'text', start: 8, ids: [4] },
      ],
    ],
    [
      'a prefill that starts inside the video counts the rows before it',
      [1, M, M, M, 3, M, 4],
      2,
      [
        { kind: 'clip', start: 2, firstRow: 1, rowCount: 2 },
        { kind: 'text', start: 4, ids: [3] },
        { kind: 'clip', start: 5, firstRow: 3, rowCount: 1 },
        { kind: 'text', start: 6, ids: [4] },
      ],
    ],
    ['a follow-up after the video', [M, M, 9, 8], 2, [{ kind: 'text', start: 2, ids: [9, 8] }]],
    ['nothing to prefill', [M, 1], 2, []],
  ] as const)('%s', (_name, ids, from, expected) => {
    expect(planSplice([...ids], from)).toEqual(expected);
  });
});

describe('assembleInputsEmbeds', () => {
  const hidden = 3;
  // Row v of the "embedding table" is [v, v + 0.25, v + 0.5]; clip row r is [-(r+1), …].
  const embedTokens = (ids: readonly number[]): Float32Array => Float32Array.from(ids.flatMap((v) => [v, v + 0.25, v + 0.5]));
  const clipRows = Float32Array.from({ length: 4 * hidden }, (_, i) => -(Math.floor(i / hidden) + 1) - (i % hidden) / 10);

  it('puts text rows and the j-th clip row at the j-th marker, in order', () => {
    const ids = [7, M, M, 8, M, M, 9];
    const out = assembleInputsEmbeds(planSplice(ids), { hiddenSize: hidden, embedTokens, clipRows });
    let row = 0;
    const expected: number[] = [];
    for (const id of ids) {
      if (id === M) expected.push(...clipRows.subarray(row * hidden, ++row * hidden));
      else expected.push(...embedTokens([id]));
    }
    expect([...out]).toEqual(expected);
  });

  it('assembles only the prefilled positions of a follow-up', () => {
    const ids = [7, M, M, M, M, 8, 9];
    const out = assembleInputsEmbeds(planSplice(ids, 3), { hiddenSize: hidden, embedTokens, clipRows });
    expect([...out]).toEqual([...clipRows.subarray(2 * hidden, 4 * hidden), ...embedTokens([8, 9])]);
  });

  it('refuses markers beyond the encoded clip rows', () => {
    expect(() => assembleInputsEmbeds(planSplice([M, M, M, M, M]), { hiddenSize: hidden, embedTokens, clipRows })).toThrow(
      expect.objectContaining({ code: 'VIDEO_TOKEN_MISMATCH' }),
    );
  });
});
