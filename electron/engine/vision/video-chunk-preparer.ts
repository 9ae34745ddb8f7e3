// Feeds the encoder pipeline from a video: the plan's frame indices regrouped into the towers'
// clips (consecutive groups of framesPerClip, as the reference regroups get_batch's frames),
// extracted with ffmpeg and preprocessed for both towers straight into the chunk's tensors.
import type { ClipPlan } from '../video/apollo-clip-plan.js';
import { extractClipFrames, type ClipRequest } from '../video/extract-clip-frames.js';
import { clipTensorLength, preprocessClipForInternVideo, preprocessClipForSiglip } from '../video/preprocess.js';
import type { PreprocessorConfig } from '../video/preprocessor-config.js';
import type { VideoProbe } from '../video/probe-video.js';
import type { ChunkPreparer } from './encode-video-clips.js';

/** The towers' clips: groupCount groups of framesPerClip consecutive planned indices. */
export function towerClipRequests(plan: ClipPlan, framesPerClip: number): ClipRequest[] {
  const groups: ClipRequest[] = [];
  for (let g = 0; g < plan.groupCount; g++) groups.push({ index: g, frameIndices: plan.allIndices.slice(g * framesPerClip, (g + 1) * framesPerClip) });
  return groups;
}

/** `onFrameIssues` hears the times of planned frames decoded with errors or missing from the decoder's output (extract-clip-frames.ts). */
export function videoChunkPreparer(probe: VideoProbe, clips: readonly ClipRequest[], preprocessing: PreprocessorConfig, framesPerClip: number, onFrameIssues?: (issues: { damagedTimes: number[]; missingTimes: number[] }) => void): ChunkPreparer {
  const sigLen = clipTensorLength(preprocessing.siglip, framesPerClip);
  const ivLen = clipTensorLength(preprocessing.internVideo, framesPerClip);
  return async (indices, signal) => {
    const count = indices.length;
    const siglipPixels = new Float32Array(count * sigLen);
    const internVideoPixels = new Float32Array(count * ivLen);
    let k = 0;
    for await (const clip of extractClipFrames(probe, indices.map((i) => clips[i]!), signal === undefined ? {} : { signal })) {
      if (clip.damagedTimes.length > 0 || clip.missingTimes.length > 0) onFrameIssues?.({ damagedTimes: clip.damagedTimes, missingTimes: clip.missingTimes });
      preprocessClipForSiglip(clip.frames, preprocessing, { out: siglipPixels, outOffset: k * sigLen });
      preprocessClipForInternVideo(clip.frames, preprocessing, { out: internVideoPixels, outOffset: k * ivLen });
      k++;
      // yield between clips so encoding results and cancellation get through
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { clips: k, siglipPixels, internVideoPixels };
  };
}
