// Engine method `analyze-video`: probe a video and plan Apollo's clips (no decoding yet), so the
// UI can show the filmstrip at once. The plan goes into the engine's memo, where encode and ask
// find it: the video is probed once.
import { videoFingerprint } from '../../../common/fingerprint/video-fingerprint.js';
import { clipPictureSeconds } from '../../video/extract-clip-frames.js';
import { summarizeProbe } from '../../video/probe-video.js';
import { samplingSettingsFor } from '../../video/sampling-settings.js';
import type { VideoPlanMemo } from '../../video/video-plan-memo.js';
import { clipLabel } from '../../video/video-text.js';
import { implementMethod } from '../engine-rpc.js';

export function createAnalyzeVideoMethod(plans: VideoPlanMemo) {
  return implementMethod('analyze-video', async (params, ctx) => {
    const settings = await samplingSettingsFor(params.modelDir, { clipSamplingRatio: params.clipSamplingRatio });
    const key = params.videoKey ?? (await videoFingerprint(params.path));
    const { probe, plan, warnings } = await plans.plan({ path: params.path, key }, settings, { signal: ctx.signal, onProgress: (e) => ctx.emit(e) });
    return {
      probe: summarizeProbe(probe),
      clips: plan.clips.slice(0, plan.groupCount).map((c) => ({ index: c.index, start: c.start, end: c.end, label: clipLabel(c.start, c.end), frameIndices: c.frameIndices, pictureSeconds: clipPictureSeconds(probe, c.frameIndices) })),
      clipSamplingRatio: settings.clipSamplingRatio,
      warnings,
      tokensPerClip: settings.numOutputTokens,
    };
  });
}
