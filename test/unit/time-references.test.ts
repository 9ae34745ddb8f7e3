import { describe, expect, it } from 'vitest';
import { splitAnswerIntoSegments } from '../../renderer/src/chat/time-references.js';

const links = (text: string) =>
  splitAnswerIntoSegments(text)
    .filter((s) => s.kind === 'time')
    .map((s) => (s.kind === 'time' ? { text: s.text, start: s.start, ...(s.end !== undefined ? { end: s.end } : {}) } : null));

describe('time references in answers', () => {
  it.each([
    ['The dog appears at 1:23.', [{ text: '1:23', start: 83 }]],
    ['See 01:02:03 for the goal.', [{ text: '01:02:03', start: 3723 }]],
    ['It happens around 83.5 seconds in.', [{ text: '83.5 seconds', start: 83.5 }]],
    ['Clip 2.0-3.5 seconds shows a car.', [{ text: '2.0-3.5 seconds', start: 2, end: 3.5 }]],
    ['Look between 0:10 and 0:20.', [{ text: 'between 0:10 and 0:20', start: 10, end: 20 }]],
    ['from 12s to 15s the light is red', [{ text: 'from 12s to 15s', start: 12, end: 15 }]],
    ['At the 45-second mark she waves.', [{ text: '45-second mark', start: 45 }]],
    ['the 2-minute mark', [{ text: '2-minute mark', start: 120 }]],
    ['at 12s', [{ text: '12s', start: 12 }]],
    ['0:05 - 0:09: a man walks', [{ text: '0:05 - 0:09', start: 5, end: 9 }]],
    ['after 2 minutes and 30 seconds', [{ text: '2 minutes and 30 seconds', start: 150 }]],
    ['1:05.5 exactly', [{ text: '1:05.5', start: 65.5 }]],
    ['63.2-65.2 seconds: and 0.0-1.5 seconds', [{ text: '63.2-65.2 seconds', start: 63.2, end: 65.2 }, { text: '0.0-1.5 seconds', start: 0, end: 1.5 }]],
    ['from 10 to 20 seconds', [{ text: 'from 10 to 20 seconds', start: 10, end: 20 }]],
    ['at 1m30s the door opens', [{ text: '1m30s', start: 90 }]],
    ['at 1m 5s', [{ text: '1m 5s', start: 65 }]],
    ['around 1h2m3s', [{ text: '1h2m3s', start: 3723 }]],
  ])('links %j', (text, expected) => {
    expect(links(text)).toEqual(expected);
  });

  it.each([
    'The final score was 3-2.',
    'Released on 2024-01-02.',
    'Version 1.2.3 fixed it.',
    'The aspect ratio is 16:9.',
    'The meeting is at 10:30 am.',
    'They met at 9:15 p.m. yesterday.',
    'a 3 minutes video',
    'between 3 and 5 people',
    'It costs 1.5 dollars.',
    'Call 555-1234.',
    'IPv6 ::1 and 12:345',
    'a 2m wide door',
    'the 5m30 train',
    'an invalid 1:75 time',
  ])('does not link %j', (text) => {
    expect(links(text)).toEqual([]);
  });

  it('keeps all the text, in order', () => {
    const text = 'At 0:10 a cat, then from 12s to 15s a dog; score 3-2.';
    expect(splitAnswerIntoSegments(text).map((s) => s.text).join('')).toBe(text);
  });
});
