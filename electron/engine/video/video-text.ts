// The text that replaces the video in the first user message (spec section 8; reference:
// ApolloMMLoader.vidprompt and the per-clip `temporal_prompt` lines).
import type { ClipPlan } from './apollo-clip-plan.js';
import { englishCardinal } from './english-cardinal.js';
import { formatPythonFloat, formatTimedelta, numpyRound } from './python-number-format.js';
import type { SamplingSettings } from './sampling-settings.js';

/** The literal placeholder the tokenizer turns into video slots. */
export const VIDEO_TOKEN = '<|video_token|>';

/** `{a}-{b}`: the timestamps as the reference prints them (numpy round to 0.1, shortest repr). */
export function clipLabel(start: number, end: number): string {
  return `${formatPythonFloat(numpyRound(start, 1))}-${formatPythonFloat(numpyRound(end, 1))}`;
}

/** "You are provided the following series of {words}, {D} second clips from a {H:MM:SS} [H:MM:SS] video.\n" */
export function videoPreamble(groupCount: number, duration: number, settings: Pick<SamplingSettings, 'clipDuration'>): string {
  return `You are provided the following series of ${englishCardinal(groupCount)}, ${formatPythonNumber(settings.clipDuration)} second clips from a ${formatTimedelta(duration)} [H:MM:SS] video.\n`;
}

/** Python's str() of a config number: an int prints bare, a float with its repr. */
function formatPythonNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : formatPythonFloat(x);
}

export function buildVideoText(plan: ClipPlan, settings: Pick<SamplingSettings, 'clipDuration' | 'numOutputTokens'>): string {
  const tokens = VIDEO_TOKEN.repeat(settings.numOutputTokens);
  const lines = plan.clips.map((c) => `${clipLabel(c.start, c.end)} seconds: ${tokens}`);
  return videoPreamble(plan.groupCount, plan.duration, settings) + lines.join(',\n');
}
