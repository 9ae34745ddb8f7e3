// `apollo-chat frames VIDEO --out DIR`: writes the planned frames as PNG (clip-CCC-frame-NNNNNN.png)
// and the plan as plan.json beside them.
import { frameWarnings } from '../../shared/video-warnings.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { decodeFrameIndex } from '../../engine/video/apollo-clip-plan.js';
import { extractClipFrames } from '../../engine/video/extract-clip-frames.js';
import { encodePng } from '../../engine/video/png-encode.js';
import { planReport, planVideo } from '../../engine/video/plan-video.js';
import { samplingSettingsFor } from '../../engine/video/sampling-settings.js';
import type { RunAction } from '../command-types.js';
import { addPlanOptions, type PlanCommandOptions } from './plan.js';

export function frameFileName(clipIndex: number, frameIndex: number): string {
  return `clip-${String(clipIndex).padStart(3, '0')}-frame-${String(frameIndex).padStart(6, '0')}.png`;
}

export function registerFramesCommand(program: Command, run: RunAction): void {
  addPlanOptions(program.command('frames').description("write the frames Apollo samples from a video as PNG files, plus the plan as plan.json").argument('<video>', 'video file'))
    .addOption(new Option('--out <dir>', 'folder to write into (created if missing)').makeOptionMandatory())
    .action(async (video: string, opts: PlanCommandOptions & { out: string }, command: Command) => {
      await run(command, async (ctx) => {
        const settings = await samplingSettingsFor(opts.model, opts.clipSamplingRatio === undefined ? {} : { clipSamplingRatio: opts.clipSamplingRatio });
        const planned = await planVideo(video, settings, { signal: ctx.signal, onProgress: ctx.progress });
        await mkdir(opts.out, { recursive: true });
        const planPath = join(opts.out, 'plan.json');
        await writeFile(planPath, JSON.stringify(planReport(planned), null, 2) + '\n');
        const files: string[] = [];
        const damagedTimes: number[] = [];
        const missingTimes: number[] = [];
        for await (const clip of extractClipFrames(planned.probe, planned.plan.clips, { signal: ctx.signal, onProgress: ctx.progress })) {
          damagedTimes.push(...clip.damagedTimes);
          missingTimes.push(...clip.missingTimes);
          const written = new Set<string>();
          for (let i = 0; i < clip.frames.length; i++) {
            const name = frameFileName(clip.clipIndex, decodeFrameIndex(clip.frameIndices[i]!, planned.probe.frameCount));
            if (written.has(name)) continue; // a repeated index is the same frame
            written.add(name);
            await writeFile(join(opts.out, name), encodePng(clip.frames[i]!));
            files.push(name);
          }
        }
        const warnings = [...planned.warnings, ...frameWarnings(damagedTimes, missingTimes)];
        for (const w of warnings) ctx.stderr.write(`warning [${w.code}]: ${w.message}\n`);
        if (ctx.json) ctx.printJson({ out: opts.out, plan: planPath, clips: planned.plan.clips.length, files, warnings });
        else ctx.print(`Wrote ${files.length} frames of ${planned.plan.clips.length} clips and plan.json to ${opts.out}`);
      });
    });
}
