// `apollo-chat chat VIDEO --model DIR`: an interactive conversation about a video. Ctrl-C stops
// the answer being written (not the program); /regenerate, /reset, /export FILE.md, /device.
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { toApolloError } from '../../shared/errors.js';
import { chatToMarkdown } from '../../host/app/markdown-export.js';
import type { AskResult } from '../../shared/engine-protocol.js';
import { EngineClient, nodeEngineLauncher } from '../../host/engine-client/engine-client.js';
import { videoFingerprint } from '../../common/fingerprint/video-fingerprint.js';
import { addAskOptions, askSettingsFrom, resolveModelArg, type AskCliOptions } from '../ask-options.js';
import type { RunAction } from '../command-types.js';
import { requireVideoFile } from './ask.js';

const HELP = 'Type a question and press Enter. Commands: /regenerate, /reset, /export FILE.md, /device, /help, /exit. Ctrl-C stops an answer.';

export function registerChatCommand(program: Command, run: RunAction): void {
  addAskOptions(program.command('chat').description('talk about a video interactively').argument('<video>', 'video file')).action(async (video: string, opts: AskCliOptions, command: Command) => {
    await run(command, async (ctx) => {
      const settings = askSettingsFrom(opts);
      const videoPath = await requireVideoFile(video);
      const videoKey = await videoFingerprint(videoPath);
      const modelDir = await resolveModelArg(opts.model);
      const engine = new EngineClient(nodeEngineLauncher(), (e) => ctx.stderr.write(`\n${e.message}\n`));
      const history: Array<{ question: string; answer: string; status: 'done' | 'stopped' }> = [];
      let lastDevice: Pick<AskResult, 'device' | 'deviceReason' | 'precision'> | undefined;
      let answering: AbortController | undefined;
      const interactive = process.stdin.isTTY === true;
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: interactive });
      // A scripted session (stdin from a pipe) gets no prompts between its lines.
      const prompt = () => {
        if (interactive) rl.prompt();
      };
      rl.on('SIGINT', () => {
        if (answering !== undefined) answering.abort();
        else {
          ctx.stderr.write('\n(Ctrl-C stops an answer; type /exit to quit)\n');
          prompt();
        }
      });

      const ask = async (question: string) => {
        answering = new AbortController();
        const stopWith = () => answering?.abort();
        ctx.signal.addEventListener('abort', stopWith, { once: true });
        let partial = '';
        try {
          const result = await engine.call(
            'ask',
            { videoPath, videoKey, modelDir, settings, history: history.filter((t) => t.status === 'done').map(({ question: q, answer }) => ({ question: q, answer })), question },
            {
              signal: answering.signal,
              onEvent: (event) => {
                if (event.type === 'progress') ctx.progress(event.progress);
                else {
                  partial += event.delta;
                  ctx.endProgress();
                  ctx.stdout.write(event.delta);
                }
              },
            },
          );
          lastDevice = result;
          history.push({ question, answer: result.answer, status: result.stopReason === 'cancelled' ? 'stopped' : 'done' });
          ctx.stdout.write(result.stopReason === 'cancelled' ? ' [stopped]\n' : '\n');
        } catch (error) {
          const e = toApolloError(error);
          if (e.code === 'CANCELLED') {
            history.push({ question, answer: partial, status: 'stopped' });
            ctx.stdout.write(' [stopped]\n');
          } else ctx.stderr.write(`\nerror [${e.code}]: ${e.message}\n`);
        } finally {
          ctx.signal.removeEventListener('abort', stopWith);
          answering = undefined;
        }
      };

      ctx.stderr.write(`Chatting about ${basename(videoPath)}. ${HELP}\n`);
      rl.setPrompt('> ');
      prompt();
      try {
        for await (const line of rl) {
          const text = line.trim();
          if (text === '') {
            prompt();
            continue;
          }
          if (text === '/exit' || text === '/quit') break;
          if (text === '/help') ctx.stderr.write(`${HELP}\n`);
          else if (text === '/reset') {
            history.length = 0;
            ctx.stderr.write('The conversation was cleared (the video stays encoded).\n');
          } else if (text === '/regenerate') {
            const last = history.pop();
            if (last === undefined) ctx.stderr.write('There is no answer to regenerate yet.\n');
            else await ask(last.question);
          } else if (text.startsWith('/export')) {
            const file = text.slice('/export'.length).trim();
            if (file === '') ctx.stderr.write('Usage: /export FILE.md\n');
            else {
              const md = chatToMarkdown({ videoId: videoKey, videoName: basename(videoPath), turns: history.map((t, i) => ({ id: String(i), question: t.question, answer: t.answer, status: t.status, createdAt: new Date().toISOString() })) }, undefined, new Date());
              await writeFile(resolve(file), md);
              ctx.stderr.write(`Saved ${resolve(file)}.\n`);
            }
          } else if (text === '/device') {
            ctx.stderr.write(lastDevice ? `${lastDevice.device} (${lastDevice.deviceReason}), ${lastDevice.precision}\n` : 'The model is loaded with the first question.\n');
          } else if (text.startsWith('/')) ctx.stderr.write(`Unknown command ${text.split(/\s/)[0]}. ${HELP}\n`);
          else await ask(text);
          prompt();
        }
      } finally {
        rl.close();
        await engine.shutdown();
      }
    });
  });
}
