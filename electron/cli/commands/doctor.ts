// `apollo-chat doctor`: what this machine offers Apollo (ffmpeg, native addon, onnxruntime and
// which execution provider would run the models, with the reason for any fallback).
import type { Command } from 'commander';
import { floatConverter } from '../../engine/native/float-convert.js';
import { selectDevice } from '../../engine/llm/execution-device.js';
import { resolveFfmpeg } from '../../common/platform/ffmpeg-locate.js';
import { framePreprocessor } from '../../engine/video/preprocess.js';
import { toApolloError } from '../../shared/errors.js';
import type { RunAction } from '../command-types.js';

export function registerDoctorCommand(program: Command, run: RunAction): void {
  program
    .command('doctor')
    .description('check this machine: ffmpeg, the native addon and the inference runtime')
    .action(async (_opts: unknown, command: Command) => {
      await run(command, async (ctx) => {
        const report: Record<string, unknown> = { node: process.version, platform: `${process.platform}-${process.arch}` };
        try {
          report.ffmpeg = resolveFfmpeg();
        } catch (error) {
          report.ffmpeg = { error: toApolloError(error).toJSON() };
        }
        const conv = floatConverter();
        report.native = { backend: conv.backend, ...(conv.fallbackReason ? { fallbackReason: conv.fallbackReason } : {}) };
        const pre = framePreprocessor();
        report.preprocessing = { backend: pre.backend, ...(pre.fallbackReason ? { fallbackReason: pre.fallbackReason } : {}) };
        try {
          const ort = await import('onnxruntime-node');
          report.onnxruntime = { version: ort.env.versions?.node ?? 'unknown', backends: ort.listSupportedBackends?.() ?? [] };
          const device = await selectDevice('auto');
          report.device = { device: device.device, reason: device.reason };
        } catch (error) {
          report.onnxruntime = { error: toApolloError(error).toJSON() };
        }
        if (ctx.json) ctx.printJson(report);
        else for (const [key, value] of Object.entries(report)) ctx.print(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
      });
    });
}
