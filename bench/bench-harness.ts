// Shared pieces of the benchmarks: timing with warm-up, machine facts, and the JSON result file
// that docs/benchmarks.md is regenerated from (npm run bench:docs).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const resultsDir = join(benchDir, 'results');

export interface Measurement {
  name: string;
  /** Median seconds per run. */
  seconds: number;
  runs: number;
  [extra: string]: unknown;
}

export interface BenchResult {
  bench: string;
  date: string;
  /** `simd`: the CPU's vector extensions that change which kernels run (int8 on AVX2 vs VNNI); absent in older results. */
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string; simd?: string };
  measurements: Measurement[];
  summary: Record<string, unknown>;
  /** Raw series kept with the result for a closer look (not rendered into the docs). */
  traces?: Record<string, unknown>;
}

/** The x86 vector extensions that pick onnxruntime's and the addon's kernels, from /proc/cpuinfo (Linux). */
function simdFlags(): string | undefined {
  try {
    const flags = new Set(/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim().split(/\s+/) ?? []);
    const known = ['avx2', 'fma', 'f16c', 'avx512f', 'avx512_vnni', 'avx_vnni', 'avx512_bf16'].filter((f) => flags.has(f));
    return known.length > 0 ? known.join(' ') : undefined;
  } catch {
    return undefined;
  }
}

export function machineFacts(): BenchResult['machine'] {
  const cpu = cpus();
  const simd = simdFlags();
  return { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}`, ...(simd !== undefined ? { simd } : {}) };
}

export function timeMedian(fn: () => void, options: { warmup?: number; runs?: number } = {}): { seconds: number; runs: number } {
  for (let i = 0; i < (options.warmup ?? 2); i++) fn();
  const runs = options.runs ?? 7;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)]!, runs };
}

export function writeResult(result: BenchResult): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${result.bench}.json`);
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  return path;
}
