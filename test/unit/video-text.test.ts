// The video text: num2words, timedelta and numpy rounding checked against Debian's Python
// (num2words, datetime, numpy) on values generated in this run, plus the spec's examples.
import { describe, expect, it } from 'vitest';
import { planApolloClips } from '../../electron/engine/video/apollo-clip-plan.js';
import { englishCardinal } from '../../electron/engine/video/english-cardinal.js';
import { formatPythonFloat, formatTimedelta, numpyRound } from '../../electron/engine/video/python-number-format.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { buildVideoText, clipLabel, VIDEO_TOKEN } from '../../electron/engine/video/video-text.js';
import { runPython } from '../helpers/python-oracle.js';

const python = (code: string, input: unknown): unknown => JSON.parse(runPython(code, JSON.stringify(input)).toString());

describe('englishCardinal (num2words lang EN)', () => {
  it('spec examples', () => {
    expect(englishCardinal(5)).toBe('five');
    expect(englishCardinal(84)).toBe('eighty-four');
    expect(englishCardinal(123)).toBe('one hundred and twenty-three');
  });
  it('matches python3-num2words for 0…2000 and generated large numbers', () => {
    const numbers = Array.from({ length: 2001 }, (_, i) => i);
    let seed = 7;
    for (let i = 0; i < 500; i++) numbers.push(Math.floor(((seed = (seed * 48271) % 2147483647) / 2147483647) * 10 ** (3 + (i % 13))));
    numbers.push(1_000_000, 1_000_001, 1_001_000, 100_000_000_000, 999_999_999_999_999);
    const want = python('import json,sys\nfrom num2words import num2words\nprint(json.dumps([num2words(n) for n in json.load(sys.stdin)]))', numbers) as string[];
    const got = numbers.map(englishCardinal);
    const diff = numbers.filter((_, i) => got[i] !== want[i]).map((n, i) => ({ n, got: got[i], want: want[i] }));
    expect(diff).toEqual([]);
  });
});

describe('Python text of numbers', () => {
  it('str(timedelta(seconds=x)) for the spec examples', () => {
    expect(formatTimedelta(10)).toBe('0:00:10');
    expect(formatTimedelta(3600)).toBe('1:00:00');
    expect(formatTimedelta(900 / (30000 / 1001))).toBe('0:00:30.030000');
    expect(formatTimedelta(86_400 + 3661.5)).toBe('1 day, 1:01:01.500000');
    expect(formatTimedelta(2 * 86_400)).toBe('2 days, 0:00:00');
  });

  it('timedelta, numpy round(x, 1) and float repr match Python for thousands of generated values', () => {
    let seed = 99;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const fpsChoices = [30, 25, 24, 30000 / 1001, 24000 / 1001, 60000 / 1001, 12.5, 7, 1.5, 0.7];
    const durations: number[] = [];
    const stamps: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const fps = fpsChoices[i % fpsChoices.length]!;
      const n = Math.floor(rand() * [100, 10_000, 1_000_000, 20_000_000][i % 4]!);
      durations.push(n / fps);
      stamps.push(Math.floor(rand() * n) / fps);
    }
    // halves and near-halves, where half-to-even and binary representation matter
    for (let i = 0; i < 400; i++) stamps.push(i * 0.05, i * 0.25 + 0.05, (i * 2 + 1) / 20);
    // the low-fps branch can give negative timestamps (index -1); -0.0 must keep its sign
    stamps.push(-0.04, -0.05, -0.25, -2, -4, -0.5, -10 / 3);
    durations.push(0.5, 1e-6, 4.5e-7, 5e-7, 1.5e-6, 2.5e-6, 86_399.9999995, 86_400 * 3 + 0.1234565);
    const want = python(
      'import json,sys,datetime\nimport numpy as np\nd=json.load(sys.stdin)\nprint(json.dumps({"td":[str(datetime.timedelta(seconds=x)) for x in d["durations"]],"r":[str(round(np.float64(x),1)) for x in d["stamps"]],"repr":[str(np.float64(x)) for x in d["stamps"]]}))',
      { durations, stamps },
    ) as { td: string[]; r: string[]; repr: string[] };
    const bad: unknown[] = [];
    durations.forEach((x, i) => formatTimedelta(x) !== want.td[i] && bad.push({ x, got: formatTimedelta(x), want: want.td[i] }));
    stamps.forEach((x, i) => formatPythonFloat(numpyRound(x, 1)) !== want.r[i] && bad.push({ x, got: formatPythonFloat(numpyRound(x, 1)), want: want.r[i] }));
    stamps.forEach((x, i) => formatPythonFloat(x) !== want.repr[i] && bad.push({ x, got: formatPythonFloat(x), want: want.repr[i] }));
    expect(bad).toEqual([]);
  });

  it('float repr edge cases', () => {
    expect([0, 1.5, 63.2, 2, 1e16, 1e-5, 123456789.123].map(formatPythonFloat)).toEqual(['0.0', '1.5', '63.2', '2.0', '1e+16', '1e-05', '123456789.123']);
  });
});

describe('buildVideoText', () => {
  it('10 s at 30 fps: preamble, five lines of 128 placeholders joined with ",\\n"', () => {
    const plan = planApolloClips({ frameCount: 300, fps: 30 }, DEFAULT_SAMPLING_SETTINGS);
    const text = buildVideoText(plan, DEFAULT_SAMPLING_SETTINGS);
    const tokens = VIDEO_TOKEN.repeat(128);
    expect(text).toBe(
      'You are provided the following series of five, 2 second clips from a 0:00:10 [H:MM:SS] video.\n' +
        ['0.0-1.5', '2.0-3.5', '4.0-5.5', '6.0-7.5', '8.0-9.5'].map((l) => `${l} seconds: ${tokens}`).join(',\n'),
    );
    expect(text.split(VIDEO_TOKEN).length - 1).toBe(5 * 128);
  });

  it('an hour-long NTSC video: eighty-four clips and the reference text, checked by Python', () => {
    const fps = 30000 / 1001;
    const plan = planApolloClips({ frameCount: 107_892, fps }, DEFAULT_SAMPLING_SETTINGS);
    const text = buildVideoText(plan, { clipDuration: 2, numOutputTokens: 1 });
    const want = python(
      String.raw`import json,sys,datetime
import numpy as np
from num2words import num2words
d=json.load(sys.stdin)
pre=f"You are provided the following series of {num2words(d['k'])}, 2 second clips from a {datetime.timedelta(seconds=d['dur'])} [H:MM:SS] video.\n"
lines=[f"{round(np.int64(a)/d['fps'],1)}-{round(np.int64(b)/d['fps'],1)} seconds: <|video_token|>" for a,b in d['ab']]
print(json.dumps(pre+',\n'.join(lines)))`,
      { k: plan.groupCount, dur: plan.duration, fps, ab: plan.clips.map((c) => [c.frameIndices[0], c.frameIndices.at(-1)]) },
    );
    expect(plan.groupCount).toBe(84);
    expect(text).toBe(want);
    expect(text.startsWith('You are provided the following series of eighty-four, 2 second clips from a 0:59:59.996400 [H:MM:SS] video.\n')).toBe(true);
  });

  it('labels round half to even on the decimal value', () => {
    // numpy scales first: 0.35·10 is exactly 3.5 and rounds to 4; 0.25·10 = 2.5 rounds to 2
    expect(clipLabel(0.25, 0.35)).toBe('0.2-0.4');
    expect(clipLabel(0.05, 63.15)).toBe('0.0-63.2');
  });
});
