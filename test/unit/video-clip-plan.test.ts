// Apollo's clip plan: the spec's worked examples and edge cases as a table, then a property test
// against the reference algorithm (mm_utils.py calculate_sample_indices, run under numpy).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planApolloClips, decodeFrameIndex, effectiveSamplingRatio } from '../../electron/engine/video/apollo-clip-plan.js';
import { apolloPlanningConfigSchema, parseConfigText } from '../../electron/engine/model/apollo-config.js';
import { DEFAULT_SAMPLING_SETTINGS, samplingSettingsFor, samplingSettingsFromConfig, type SamplingSettings } from '../../electron/engine/video/sampling-settings.js';
import { makeTempDir } from '../helpers/paths.js';
import { runPython } from '../helpers/python-oracle.js';

const S = DEFAULT_SAMPLING_SETTINGS;

describe('planApolloClips: worked examples and edge cases', () => {
  const table: { name: string; n: number; fps: number; k: number; first: number[]; second?: number[]; branch: 'normal' | 'low-fps' }[] = [
    { name: 'spec: 10 s at 30 fps', n: 300, fps: 30, k: 5, first: [0, 15, 30, 45], second: [60, 75, 90, 105], branch: 'normal' },
    { name: 'spec: 60 s at 25 fps', n: 1500, fps: 25, k: 30, first: [1, 13, 25, 37], second: [51, 63, 75, 87], branch: 'normal' },
    { name: '1-frame video', n: 1, fps: 30, k: 1, first: [0, 0, 0, 0], branch: 'normal' },
    { name: 'fps 1.5 (< 2, normal branch, step 1)', n: 30, fps: 1.5, k: 10, first: [0, 1, 2, 3], second: [2, 3, 4, 5], branch: 'normal' },
    { name: 'fps 1 (low-fps branch, frames repeated)', n: 20, fps: 1, k: 10, first: [0, 0, 1, 1], second: [2, 2, 3, 3], branch: 'low-fps' },
    { name: 'fps 0.25 (low-fps, index -1 as the reference computes it)', n: 10, fps: 0.25, k: 20, first: [-1, -1, -1, -1], branch: 'low-fps' },
    { name: 'NTSC 29.97 fps, N not divisible by K', n: 1001, fps: 30000 / 1001, k: 17, first: [1, 15, 29, 43], branch: 'normal' },
  ];
  for (const row of table) {
    it(row.name, () => {
      const plan = planApolloClips({ frameCount: row.n, fps: row.fps }, S);
      expect(plan.clips.length).toBe(row.k);
      expect(plan.branch).toBe(row.branch);
      expect(plan.clips[0]!.frameIndices).toEqual(row.first);
      if (row.second) expect(plan.clips[1]!.frameIndices).toEqual(row.second);
      expect(plan.groupCount).toBe(Math.floor(plan.allIndices.length / 4));
      for (const c of plan.clips) {
        expect(c.start).toBe(c.frameIndices[0]! / row.fps);
        expect(c.end).toBe(c.frameIndices.at(-1)! / row.fps);
        for (const i of c.frameIndices) expect(decodeFrameIndex(i, row.n)).toBeLessThan(row.n);
      }
    });
  }

  it('spec: timestamps 0.0-1.5 … 8.0-9.5 for 10 s at 30 fps', () => {
    const plan = planApolloClips({ frameCount: 300, fps: 30 }, S);
    expect(plan.clips.map((c) => [c.start, c.end])).toEqual([0, 2, 4, 6, 8].map((a) => [a, a + 1.5]));
  });

  it('a long video hits the clip cap ceil(M·r / R) = 84', () => {
    for (const [n, fps] of [[90_000, 25], [108_000, 30], [30000 * 10 * 60, 30000 / 1001], [86_400 * 30, 30]] as const) {
      const plan = planApolloClips({ frameCount: n, fps }, S);
      expect(plan.effectiveRatio).toBeLessThan(1);
      expect(plan.clips.length).toBe(Math.ceil((16384 * 0.65) / 128));
      expect(plan.groupCount).toBe(84);
      // every window sits in its own partition
      const P = Math.floor(n / 84);
      plan.clips.forEach((c, i) => c.frameIndices.forEach((f) => expect(Math.floor(f / P)).toBe(i)));
    }
  });

  it('a short video uses ratio 1', () => {
    expect(effectiveSamplingRatio(10, S)).toBe(1);
  });

  it('rejects zero frames and a missing frame rate', () => {
    expect(() => planApolloClips({ frameCount: 0, fps: 30 }, S)).toThrow(expect.objectContaining({ code: 'VIDEO_EMPTY' }));
    expect(() => planApolloClips({ frameCount: 10, fps: Number.NaN }, S)).toThrow(expect.objectContaining({ code: 'VIDEO_EMPTY' }));
  });
});

describe('sampling settings from a checkpoint config', () => {
  // config.json as model/apollo-config.ts parses it for planning
  const fromJson = (json: unknown, overrides = {}) => samplingSettingsFromConfig(parseConfigText(apolloPlanningConfigSchema, JSON.stringify(json), 'config.json'), overrides);
  it('reads clip_duration, model_max_length (top level, then llm_cfg) and num_output_tokens', () => {
    const base = { clip_duration: 2, mm_connector_cfg: { num_output_tokens: 128 } };
    expect(fromJson({ ...base, model_max_length: 16384, llm_cfg: { model_max_length: 32768 } })).toMatchObject({ modelMaxLength: 16384, clipDuration: 2, numOutputTokens: 128, framesPerClip: 4, clipSamplingRatio: 0.65 });
    expect(fromJson({ ...base, llm_cfg: { model_max_length: 32768 } }).modelMaxLength).toBe(32768);
    expect(fromJson({ ...base, model_max_length: 8192 }, { clipSamplingRatio: 0.5 }).clipSamplingRatio).toBe(0.5);
  });
  it('rejects a config without the keys', () => {
    expect(() => fromJson({ clip_duration: 2 })).toThrow(expect.objectContaining({ code: 'CHECKPOINT_CONFIG_INVALID' }));
    expect(() => fromJson({ clip_duration: 2, mm_connector_cfg: { num_output_tokens: 128 } })).toThrow(expect.objectContaining({ code: 'CHECKPOINT_CONFIG_INVALID' }));
    expect(() => fromJson({ clip_duration: 2, model_max_length: 8192, mm_connector_cfg: {} })).toThrow(expect.objectContaining({ code: 'CHECKPOINT_CONFIG_INVALID' }));
  });
  it('reads only config.json when planning with a model folder', async () => {
    const dir = makeTempDir('plan-config');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ clip_duration: 1, llm_cfg: { model_max_length: 256 }, mm_connector_cfg: { num_output_tokens: 64 } }));
    expect(await samplingSettingsFor(dir, { clipSamplingRatio: 0.5 })).toEqual({ clipDuration: 1, framesPerClip: 4, clipSamplingRatio: 0.5, modelMaxLength: 256, numOutputTokens: 64 });
    expect(await samplingSettingsFor(undefined)).toEqual(DEFAULT_SAMPLING_SETTINGS);
    await expect(samplingSettingsFor(join(dir, 'missing'))).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID' });
  });
});

// The reference, verbatim in behaviour: ApolloMMLoader.load_video's ratio and calculate_sample_indices.
const REFERENCE = String.raw`
import json, math, sys
import numpy as np
def calculate_sample_indices(clip_duration, frames_per_clip, total_frames, original_fps, video_duration, clip_sampling_ratio=1):
    sample_video_fps = frames_per_clip / clip_duration
    num_clips = math.ceil((video_duration / clip_duration) * clip_sampling_ratio)
    frame_step = original_fps / sample_video_fps
    partition_len = total_frames // num_clips
    all_indices, clip_indices, timestamps = [], [], []
    if frame_step > 0.5:
        frame_step = max(1, int(original_fps / sample_video_fps))
        clip_len = int(frames_per_clip * frame_step)
        sample_len = min(clip_len, total_frames)
        clip_step = (total_frames - clip_len) // max(1, (num_clips - 1)) if total_frames > clip_len else 0
        for i in range(num_clips):
            if partition_len > clip_len:
                start_idx = (partition_len - clip_len) // 2
                end_idx = start_idx + clip_len
                indices = np.arange(start_idx, end_idx, frame_step)
                indices = np.clip(indices, 0, partition_len-1).astype(np.int64)
                indices = indices+ i * partition_len
            else:
                indices = np.arange(0, sample_len, frame_step)
                if len(indices) < frames_per_clip:
                    padding = np.full(frames_per_clip - len(indices), sample_len)
                    indices = np.concatenate((indices, padding))
                indices = np.clip(indices, 0, sample_len-1).astype(np.int64)
                indices = indices + i * clip_step
            clip_indices.append(indices)
            all_indices.extend(list(indices))
            timestamps.append((indices[0] / original_fps, indices[-1] / original_fps))
    else:
        num_sample = int(np.ceil(1 / frame_step))
        clip_len = int(frames_per_clip * frame_step)
        indices = np.repeat(np.arange(clip_len), num_sample)
        clip_len = min(clip_len, len(indices))
        clip_step = (total_frames - clip_len) // max(1, (num_clips - 1)) if total_frames > clip_len else 0
        sample_len = min(clip_len, total_frames)
        if len(indices) < frames_per_clip:
            padding = np.full(frames_per_clip - len(indices), sample_len)
            indices = np.concatenate((indices, padding))
        for i in range(num_clips):
            current_clip_indices = np.clip(indices, 0, sample_len-1).astype(np.int64)
            current_clip_indices = current_clip_indices + i * clip_step
            clip_indices.append(current_clip_indices)
            all_indices.extend(current_clip_indices)
            timestamps.append((current_clip_indices[0] / original_fps, current_clip_indices[-1] / original_fps))
    return clip_indices, all_indices, timestamps

out = []
for case in json.load(sys.stdin):
    n, fps, s = case['n'], case['fps'], case['s']
    duration = n / fps
    ratio = min(1, (s['modelMaxLength'] * s['clipSamplingRatio']) / (duration * s['numOutputTokens'] / s['clipDuration']))
    clips, all_idx, ts = calculate_sample_indices(s['clipDuration'], s['framesPerClip'], n, fps, duration, clip_sampling_ratio=ratio)
    out.append({'clips': [[int(v) for v in c] for c in clips], 'ts': [[float(a), float(b)] for a, b in ts], 'ratio': float(ratio)})
print(json.dumps(out))
`;

describe('planApolloClips against the reference algorithm (numpy)', () => {
  it('matches for thousands of generated videos', () => {
    // Deterministic pseudo-random cases: common and odd frame rates, short and very long videos.
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const fpsChoices = [30, 25, 24, 60, 50, 30000 / 1001, 24000 / 1001, 60000 / 1001, 15, 12.5, 10, 8, 5, 3, 2.5, 2, 1.999, 1.5, 1, 0.9, 0.5, 0.3, 0.1, 119.88, 240];
    const settingsChoices: SamplingSettings[] = [S, { ...S, clipSamplingRatio: 0.5 }, { ...S, clipSamplingRatio: 0.35 }, { ...S, modelMaxLength: 32768 }, { ...S, clipSamplingRatio: 1 }, { ...S, clipDuration: 3 }];
    const cases: { n: number; fps: number; s: SamplingSettings }[] = [];
    for (let i = 0; i < 3000; i++) {
      const fps = rand() < 0.8 ? fpsChoices[Math.floor(rand() * fpsChoices.length)]! : 0.2 + rand() * 120;
      const scale = [10, 100, 1000, 10_000, 200_000][Math.floor(rand() * 5)]!;
      const n = 1 + Math.floor(rand() * scale);
      cases.push({ n, fps, s: settingsChoices[Math.floor(rand() * settingsChoices.length)]! });
    }
    const expected = JSON.parse(runPython(REFERENCE, JSON.stringify(cases)).toString()) as { clips: number[][]; ts: number[][]; ratio: number }[];
    cases.forEach((c, i) => {
      const plan = planApolloClips({ frameCount: c.n, fps: c.fps }, c.s);
      const want = expected[i]!;
      const got = { clips: plan.clips.map((k) => k.frameIndices), ts: plan.clips.map((k) => [k.start, k.end]), ratio: plan.effectiveRatio };
      if (JSON.stringify(got) !== JSON.stringify(want)) expect({ case: c, ...got }).toEqual({ case: c, ...want });
    });
  });
});
