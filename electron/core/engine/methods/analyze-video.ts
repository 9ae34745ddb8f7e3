// Engine method `analyze-video`: probe a video and plan Apollo's clips (no decoding yet), so the
// UI can show the filmstrip at once.
import { planApolloClips } from '../../video/apollo-clip-plan.js';
import { probeVideo, summarizeProbe } from '../../video/probe-video.js';
import { DEFAULT_SAMPLING_SETTINGS, loadSamplingSettings, validateSamplingSettings } from '../../video/sampling-settings.js';
import { clipLabel } from '../../video/video-text.js';
import { implementMethod } from '../engine-rpc.js';

export const analyzeVideoMethod = implementMethod('analyze-video', async (params, ctx) => {
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
