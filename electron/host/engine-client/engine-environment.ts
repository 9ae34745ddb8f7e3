import { ONNXRUNTIME_PRIVACY_ENV } from '../../common/platform/onnxruntime-privacy.js';

// Environment of the engine process, set by whoever launches it (Node fork or Electron's
// utilityProcess), since the C library reads it at process start.
//
// glibc malloc: onnxruntime's CPU arena would keep each decoder segment's prefill peak for good
// (29–37 segments: 7 GB measured at 1.5B), so the sessions run without it and allocate per run.
// glibc then serves each large activation (tens of MB in a prefill chunk) with a fresh mmap and
// returns it with munmap, and every run pays the page faults of zeroed memory again: a 512-token
// chunk took 10–11 s instead of ~5 s (bench/llm-long-context.bench.ts notes). Raising the mmap and
// trim thresholds keeps freed blocks in the heap for reuse, one shared pool for all segments:
// peak RSS 2.2 GB instead of 7.2 GB at the same speed. Other C libraries ignore these variables.
//
// onnxruntime's telemetry is off in the engine from its first instruction, whatever the parent's
// environment says (common/platform/onnxruntime-privacy.ts).
export function engineProcessEnv(): Record<string, string> {
  return {
    ...ONNXRUNTIME_PRIVACY_ENV,
    MALLOC_MMAP_THRESHOLD_: String(2 ** 32),
    MALLOC_TRIM_THRESHOLD_: String(2 ** 32),
  };
}
