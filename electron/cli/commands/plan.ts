// `apollo-chat plan VIDEO`: the Apollo clip plan and the exact video text for a file.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { planReport, planVideo } from '../../engine/video/plan-video.js';
import { samplingSettingsFor } from '../../engine/video/sampling-settings.js';
import type { RunAction } from '../command-types.js';

export interface PlanCommandOptions {
  model?: string;
  clipSamplingRatio?: number;
}

function parseRatio(value: string): number {
  const r = Number(value);
  if (value.trim() === '' || !(r > 0 && r <= 1)) throw new InvalidArgumentError('--clip-sampling-ratio must be a number greater than 0 and at most 1.');
  return r;
}

export function addPlanOptions(command: Command): Command {
  return command
    .addOption(new Option('--model <dir>', "read clip_duration, model_max_length and num_output_tokens from this Apollo checkpoint's config.json (default: Apollo-3B-t32 values)"))
    .addOption(new Option('--clip-sampling-ratio <r>', 'share of the context spent on video, in (0, 1] (default 0.65)').argParser(parseRatio));
}

export function registerPlanCommand(program: Command, run: RunAction): void {
  addPlanOptions(program.command('plan').description("probe a video and print Apollo's clip plan and video text").argument('<video>', 'video file')).action(
    async (video: string, opts: PlanCommandOptions, command: Command) => {
      await run(command, async (ctx) => {
        const settings = await samplingSettingsFor(opts.model, opts.clipSamplingRatio === undefined ? {} : { clipSamplingRatio: opts.clipSamplingRatio });
        const planned = await planVideo(video, settings, { signal: ctx.signal, onProgress: ctx.progress });
        const report = planReport(planned);
        for (const w of report.warnings) ctx.stderr.write(`warning [${w.code}]: ${w.message}\n`);
        if (ctx.json) {
          ctx.printJson(report);
          return;
        }
        const v = report.video;
        ctx.print(`${video}: ${v.codec} ${v.width}x${v.height}${v.rotation ? ` (rotated ${v.rotation}°)` : ''}, ${v.frameCount} frames at ${v.fps.toFixed(3)} fps${v.variableFrameRate ? ' (variable)' : ''}, ${v.duration.toFixed(3)} s`);
        ctx.print(`${report.clips.length} clips of ${report.settings.framesPerClip} frames (ratio ${report.settings.effectiveRatio.toPrecision(4)}):`);
        for (const c of report.clips) ctx.print(`  ${String(c.index).padStart(3)}  ${c.label.padEnd(16)} frames ${c.frameIndices.join(', ')}`);
      });
    },
  );
}
