// Native addon vs TypeScript twin: BF16 -> F32 and F32 -> F16 over a 64 Mi-element buffer
// (the size of a large weight tensor), measured side by side in one run.
import { bf16ToF32Twin, f32ToF16Twin } from '../electron/engine/native/float-convert-twin.js';
import { loadNativeAddon } from '../electron/engine/native/native-addon.js';
import { machineFacts, timeMedian, writeResult, type Measurement } from './bench-harness.js';

const n = Number(process.env.BENCH_ELEMENTS ?? 64 * 1024 * 1024);
const addon = loadNativeAddon();
if (!addon.loaded) throw new Error(addon.reason);

const f32 = new Float32Array(n);
for (let i = 0; i < n; i++) f32[i] = Math.sin(i) * 3;
const bf16 = new Uint16Array(n);
for (let i = 0; i < n; i++) bf16[i] = (i * 2654435761) >>> 16;
const outF32 = new Float32Array(n);
const outF16 = new Uint16Array(n);

const measurements: Measurement[] = [];
const add = (name: string, fn: () => void) => {
  const t = timeMedian(fn, { warmup: 1, runs: 5 });
  measurements.push({ name, ...t, elementsPerSecond: n / t.seconds, gbPerSecondIn: (n * (name.startsWith('bf16') ? 2 : 4)) / t.seconds / 1e9 });
};
add('bf16ToF32 native', () => addon.addon.bf16ToF32(bf16, outF32));
add('bf16ToF32 typescript', () => bf16ToF32Twin(bf16, outF32));
add('f32ToF16 native', () => addon.addon.f32ToF16(f32, outF16));
add('f32ToF16 typescript', () => f32ToF16Twin(f32, outF16));

const s = (name: string) => measurements.find((m) => m.name === name)!.seconds;
const path = writeResult({
  bench: 'float-convert',
  date: new Date().toISOString(),
  machine: machineFacts(),
  measurements,
  summary: {
    elements: n,
    bf16ToF32Speedup: s('bf16ToF32 typescript') / s('bf16ToF32 native'),
    f32ToF16Speedup: s('f32ToF16 typescript') / s('f32ToF16 native'),
  },
});
console.log(JSON.stringify({ path, summary: JSON.parse(JSON.stringify(measurements)) }, null, 2));
