// `apollo-chat doctor`: what this machine offers Apollo (ffmpeg, native addon, onnxruntime and
// which execution provider would run the models, with the reason for any fallback).
import type { Command } from 'commander';
import { floatConverter } from '../../engine/native/float-convert.js';
import { selectDevice } from '../../engine/llm/execution-device.js';
import { resolveFfmpeg } from '../../common/platform/ffmpeg-locate.js';
import { framePreprocessor } from '../../engine/video/preprocess.js';
import { toApolloError } from '../../shared/errors.js';
import type { RunAction } from '../command-types.js';

type Report = Record<string, unknown>;
const obj = (v: unknown): Report => (typeof v === 'object' && v !== null ? (v as Report) : {});
const errorLine = (v: unknown) => {
  const e = obj(obj(v).error);
  return `not available: ${String(e.message ?? 'unknown error')}${e.code ? ` [${String(e.code)}]` : ''}`;
};

/** The report as a person reads it: one aligned line per item, reasons in words (never raw JSON). */
export function doctorText(report: Report): string {
  const lines: Array<[string, string]> = [
    ['Node.js', `${String(report.node)} (${String(report.platform)})`],
  ];
  const ff = obj(report.ffmpeg);
  lines.push(['ffmpeg', ff.error !== undefined ? errorLine(ff) : `${String(ff.ffmpeg)} (${String(ff.source)}), ffprobe ${String(ff.ffprobe)}`]);
  for (const [key, label] of [['native', 'Native addon'], ['preprocessing', 'Preprocessing']] as const) {
    const b = obj(report[key]);
    lines.push([label, b.fallbackReason !== undefined ? `${String(b.backend)} (fallback: ${String(b.fallbackReason)})` : String(b.backend)]);
  }
  const ort = obj(report.onnxruntime);
  if (ort.error !== undefined) lines.push(['onnxruntime', errorLine(ort)]);
  else {
    const backends = Array.isArray(ort.backends) ? (ort.backends as Report[]) : [];
    const names = backends.map((b) => `${String(b.name)}${b.bundled === false ? ' (separate download)' : ''}`).join(', ');
    lines.push(['onnxruntime', `${String(ort.version)}; providers: ${names || 'none listed'}`]);
  }
  const device = obj(report.device);
  if (device.device !== undefined) {
    const reason = String(device.reason ?? '');
    lines.push(['Device', String(device.device).toUpperCase()]);
    if (reason.startsWith('fallback: ')) for (const why of reason.slice('fallback: '.length).split('; ')) lines.push(['  not used', why]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

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
        else ctx.print(doctorText(report));
      });
    });
}
