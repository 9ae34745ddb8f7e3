// The whole-path reference's own footing: its numpy transcription of calculate_sample_indices and
// the video text reproduce the spec's worked examples (section 3 and 8), and its CHATML prompt is
// conv_qwen's get_prompt.
import { describe, expect, it } from 'vitest';
import { chatmlPrompt, pythonStrip, referenceSampling, VIDEO_TOKEN_ID } from '../helpers/reference-apollo.js';

const base = { clipDuration: 2, numRepeatToken: 128, modelMaxLength: 16384, clipSamplingRatio: 0.65 };
const lines = (text: string): string[] => text.replace(/(<\|video_token\|>)+/g, '<V>').split('\n');

describe('reference sampling and video text (spec worked examples)', () => {
  it('10 s at 30 fps: five clips {0,15,30,45} + 60i, timestamps 0.0-1.5 … 8.0-9.5', () => {
    const s = referenceSampling({ ...base, frameCount: 300, fps: 30 });
    expect(s.clips).toBe(5);
    expect(s.allIndices).toEqual([0, 1, 2, 3, 4].flatMap((i) => [0, 15, 30, 45].map((x) => x + 60 * i)));
    expect(lines(s.videoText)).toEqual([
      'You are provided the following series of five, 2 second clips from a 0:00:10 [H:MM:SS] video.',
      '0.0-1.5 seconds: <V>,',
      '2.0-3.5 seconds: <V>,',
      '4.0-5.5 seconds: <V>,',
      '6.0-7.5 seconds: <V>,',
      '8.0-9.5 seconds: <V>',
    ]);
    // 128 placeholders per line
    expect(s.videoText.split('<|video_token|>').length - 1).toBe(5 * 128);
  });

  it('60 s at 25 fps: thirty clips {1,13,25,37} + 50i, first timestamp 0.0-1.5', () => {
    const s = referenceSampling({ ...base, frameCount: 1500, fps: 25 });
    expect(s.clips).toBe(30);
    expect(s.allIndices.slice(0, 8)).toEqual([1, 13, 25, 37, 51, 63, 75, 87]);
    expect(lines(s.videoText)[1]).toBe('0.0-1.5 seconds: <V>,');
  });

  it('long videos: ρ < 1 caps the clips at ceil(M·r/R); microsecond durations; "and" after hundreds', () => {
    const long = referenceSampling({ ...base, frameCount: 36000, fps: 30 });
    expect(long.clips).toBe(Math.ceil((16384 * 0.65) / 128));
    expect(lines(long.videoText)[0]).toBe('You are provided the following series of eighty-four, 2 second clips from a 0:20:00 [H:MM:SS] video.');
    const odd = referenceSampling({ ...base, frameCount: 901, fps: 30 });
    expect(lines(odd.videoText)[0]).toContain('from a 0:00:30.033333 [H:MM:SS] video.');
    const many = referenceSampling({ ...base, clipSamplingRatio: 1, frameCount: 246 * 25, fps: 25 });
    expect(many.clips).toBe(123);
    expect(lines(many.videoText)[0]).toContain('series of one hundred and twenty-three, 2 second clips');
  });
});

describe('reference prompt', () => {
  it('is conv_qwen: double newline after "system", answers closed by <|im_end|>, an open assistant turn', () => {
    expect(chatmlPrompt('V', [{ question: 'q1', answer: 'a1' }, { question: 'q2' }])).toBe(
      '<|im_start|>system\n\nYou are a helpful vision-language assistant.<|im_end|>\n' +
        '<|im_start|>user\nV\n\nq1<|im_end|>\n<|im_start|>assistant\na1<|im_end|>\n' +
        '<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(VIDEO_TOKEN_ID).toBe(-200);
  });

  it("strips as Python's str.strip does (not as String.trim)", () => {
    expect(pythonStrip('\u001c\u0085 a b \u3000\n')).toBe('a b');
    expect(pythonStrip('\ufeffa')).toBe('\ufeffa');
  });
});
