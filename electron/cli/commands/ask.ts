// `apollo-chat ask VIDEO QUESTION [QUESTION ...]`: each extra question is a follow-up in the same
// conversation (the engine keeps its KV cache, so a follow-up prefills only its own tokens).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ApolloError } from '../../shared/errors.js';
import type { AskResult } from '../../shared/engine-protocol.js';
import { EngineClient, nodeEngineLauncher } from '../../host/engine-client/engine-client.js';
import { videoFingerprint } from '../../common/fingerprint/video-fingerprint.js';
import { addAskOptions, askSettingsFrom, resolveModelArg, type AskCliOptions } from '../ask-options.js';
import type { RunAction } from '../command-types.js';

export async function requireVideoFile(path: string): Promise<string> {
  const full = resolve(path);
  try {
    if (!(await stat(full)).isFile()) throw new ApolloError('NOT_A_FILE', `${path} is a folder, not a video file; pass a video file.`);
  } catch (error) {
    if (error instanceof ApolloError) throw error;
    throw new ApolloError('FILE_NOT_FOUND', `${path} does not exist; check the path.`);
  }
  return full;
}

export function registerAskCommand(program: Command, run: RunAction): void {
  addAskOptions(
    program
      .command('ask')
      .description('ask questions about a video (each extra QUESTION is a follow-up in the same chat)')
      .argument('<video>', 'video file')
      .argument('<questions...>', 'one or more questions'),
  )
    .addOption(new Option('--answer-now', 'answer the first question from the clips encoded so far (kept by a cancelled encode), encoding nothing more'))
    .addOption(new Option('--answer-after-clips <n>', 'encode clips coarse-to-fine until N exist, then answer the first question from them').argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new ApolloError('INVALID_ARGUMENT', `--answer-after-clips takes a whole number of clips, 1 or more; got ${v}.`);
      return n;
    }))
    .action(async (video: string, questions: string[], opts: AskCliOptions & { answerNow?: boolean; answerAfterClips?: number }, command: Command) => {
    await run(command, async (ctx) => {
      const settings = askSettingsFrom(opts);
      const videoPath = await requireVideoFile(video);
      const videoKey = await videoFingerprint(videoPath);
      const modelDir = await resolveModelArg(opts.model);
      const engine = new EngineClient(nodeEngineLauncher());
      const history: Array<{ question: string; answer: string }> = [];
      const turns: Array<Record<string, unknown>> = [];
      let last: AskResult | undefined;
      try {
        for (const [i, question] of questions.entries()) {
          if (!ctx.json && questions.length > 1) ctx.print(`${i === 0 ? '' : '\n'}> ${question}`);
          const result = await engine.call(
            'ask',
            // "answer now" applies to the first question; follow-ups use every clip
            { videoPath, videoKey, modelDir, settings, history, question, ...(i === 0 && opts.answerNow === true ? { answerNow: true } : {}), ...(i === 0 && opts.answerAfterClips !== undefined ? { answerAfterClips: opts.answerAfterClips } : {}) },
            {
              signal: ctx.signal,
              onEvent: (event) => {
                if (event.type === 'progress') ctx.progress(event.progress);
                else if (!ctx.json) {
                  // The answer starts on its own line, never after the progress bar's ETA.
                  ctx.endProgress();
                  ctx.stdout.write(event.delta);
                }
              },
            },
          );
          if (!ctx.json) ctx.stdout.write('\n');
          last = result;
          if (i === 0) for (const w of result.videoWarnings) ctx.stderr.write(`warning [${w.code}]: ${w.message}\n`);
          history.push({ question, answer: result.answer });
          turns.push({ question, answer: result.answer, tokenIds: result.tokenIds, stopReason: result.stopReason, timings: result.timings, embeddingsFromCache: result.embeddingsFromCache, clipsUsed: result.clipsUsed });
          if (!ctx.json && result.clipsUsed.used < result.clipsUsed.total) ctx.print(`(answered ${result.clipsUsed.label})`);
          if (result.stopReason === 'cancelled') break;
        }
      } finally {
        await engine.shutdown();
      }
      if (ctx.json && last !== undefined) {
        ctx.printJson({ device: last.device, deviceReason: last.deviceReason, precision: last.precision, plan: last.plan, videoWarnings: last.videoWarnings, turns });
      }
    });
  });
}
