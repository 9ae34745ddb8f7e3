// Engine method `analyze-video`: probe a video and plan Apollo's clips (no decoding yet), so the
// UI can show the filmstrip at once.
import { z } from 'zod';
import type { VideoAnalysis } from '../../../shared/app-api.js';
import { planApolloClips } from '../../video/apollo-clip-plan.js';
import { probeVideo, summarizeProbe } from '../../video/probe-video.js';
import { DEFAULT_SAMPLING_SETTINGS, loadSamplingSettings, validateSamplingSettings } from '../../video/sampling-settings.js';
import { clipLabel } from '../../video/video-text.js';
import { defineMethod } from '../engine-rpc.js';

export const analyzeVideoParams = z.object({
  path: z.string().min(1).max(4096),
  clipSamplingRatio: z.number().gt(0).max(1),
  modelDir: z.string().min(1).max(4096).optional(),
});

export const analyzeVideoMethod = defineMethod(analyzeVideoParams, async (params, ctx): Promise<Omit<VideoAnalysis, 'video'>> => {
  const settings =
    params.modelDir === undefined
      ? validateSamplingSettings({ ...DEFAULT_SAMPLING_SETTINGS, clipSamplingRatio: params.clipSamplingRatio })
      : await loadSamplingSettings(params.modelDir, { clipSamplingRatio: params.clipSamplingRatio });
  const probe = await probeVideo(params.path, { signal: ctx.signal, onProgress: (e) => ctx.emit(e) });
  const plan = planApolloClips(probe, settings);
  return {
    probe: summarizeProbe(probe),
    clips: plan.clips.slice(0, plan.groupCount).map((c) => ({ index: c.index, start: c.start, end: c.end, label: clipLabel(c.start, c.end), frameIndices: c.frameIndices })),
    clipSamplingRatio: settings.clipSamplingRatio,
  };
});
