// Regenerates the tables in docs/benchmarks.md from bench/results/*.json (never typed by hand).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, resultsDir, type BenchResult } from './bench-harness.js';

const docPath = join(benchDir, '..', 'docs', 'benchmarks.md');

function fmt(v: unknown): string {
  if (typeof v === 'number') return Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(Number.isInteger(v) ? 0 : 1) : v.toPrecision(3);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}

export function renderTable(result: BenchResult): string {
  const keys = [...new Set(result.measurements.flatMap((m) => Object.keys(m)))];
  const lines = [
    `Measured ${result.date.slice(0, 10)} on ${result.machine.cpu} (${result.machine.cores} cores, ${result.machine.memoryGiB} GiB${result.machine.simd !== undefined ? `; ${result.machine.simd}` : ''}), Node ${result.machine.node}.`,
    '',
    `| ${keys.join(' | ')} |`,
    `| ${keys.map(() => '---').join(' | ')} |`,
    ...result.measurements.map((m) => `| ${keys.map((k) => fmt(m[k])).join(' | ')} |`),
    '',
    `Summary: ${Object.entries(result.summary).map(([k, v]) => `${k} = ${fmt(v)}`).join('; ')}.`,
  ];
  return lines.join('\n');
}

const results = existsSync(resultsDir)
  ? readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as BenchResult)
  : [];
let doc = readFileSync(docPath, 'utf8');
for (const result of results) {
  const begin = `<!-- bench:${result.bench}:begin -->`;
  const end = `<!-- bench:${result.bench}:end -->`;
  const block = `${begin}\n${renderTable(result)}\n${end}`;
  const re = new RegExp(`${begin}[\\s\\S]*?${end}`);
  doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n## ${result.bench}\n\n${block}\n`;
}
writeFileSync(docPath, doc);
console.log(`updated ${docPath} from ${results.length} result file(s)`);
