// Loads the node-addon-api addon built from native/. When it cannot load (not built, wrong ABI,
// missing compiler at install time) callers fall back to the TypeScript twins and say why.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../common/platform/package-root.js';

export interface NativeAddon {
  abiVersion: number;
  bf16ToF32(src: Uint16Array, dst: Float32Array): void;
  f32ToF16(src: Float32Array, dst: Uint16Array): void;
  /** IEEE float16 bits -> float32, exact (F16C where the CPU has it). */
  f16ToF32(src: Uint16Array, dst: Float32Array): void;
  /**
   * Decode attention of one new position over the first `length` rows of a KV cache read in
   * place (one [capacity, headDim] buffer per kv head; float32, or float16 bits as Uint16Array):
   * writes softmax(q·kᵀ/√d)·v per query head into `out` ([heads·headDim]).
   */
  attendDecode(q: Float32Array, keys: readonly (Float32Array | Uint16Array)[], values: readonly (Float32Array | Uint16Array)[], length: number, out: Float32Array, heads: number, threads: number, kernel?: AttentionKernel): void;
  /** The attention kernels this CPU runs for a head size and GQA group, the default first. */
  attentionKernels(headDim: number, group: number): AttentionKernel[];
  /** The C library heap: bytes in use, and bytes free but still held by the process (glibc only). */
  heapStats(): HeapStats;
  /** Hands the heap's free pages back to the OS (glibc malloc_trim); false where that is not needed. */
  releaseFreeHeap(): boolean;
}

export interface HeapStats {
  supported: boolean;
  inUseBytes: number;
  freeBytes: number;
}

export type AttentionKernel = 'avx512' | 'avx2' | 'scalar';

export type AddonStatus = { loaded: true; addon: NativeAddon; path: string } | { loaded: false; reason: string };

const EXPECTED_ABI = 5; // 2: attendDecode; 3: its AVX-512 kernel, attentionKernels; 4: heapStats, releaseFreeHeap; 5: f16ToF32
let status: AddonStatus | undefined;

function candidatePaths(): string[] {
  const fromEnv = process.env.APOLLO_NATIVE_PATH;
  const root = packageRoot();
  const paths = [join(root, 'native', 'build', 'Release', 'apollo_native.node')];
  // Packaged app: electron-builder unpacks the addon next to the asar archive.
  if (root.includes('app.asar')) paths.unshift(join(root.replace('app.asar', 'app.asar.unpacked'), 'native', 'build', 'Release', 'apollo_native.node'));
  return fromEnv ? [fromEnv, ...paths] : paths;
}

export function loadNativeAddon(): AddonStatus {
  if (status !== undefined) return status;
  if (process.env.APOLLO_DISABLE_NATIVE === '1') return (status = { loaded: false, reason: 'disabled by APOLLO_DISABLE_NATIVE=1' });
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of candidatePaths()) {
    if (!existsSync(path)) {
      tried.push(`${path} (missing)`);
      continue;
    }
    try {
      const addon = require(path) as NativeAddon;
      if (addon.abiVersion !== EXPECTED_ABI) {
        tried.push(`${path} (stale build: abi ${addon.abiVersion}, expected ${EXPECTED_ABI})`);
        continue;
      }
      return (status = { loaded: true, addon, path });
    } catch (error) {
      tried.push(`${path} (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
    }
  }
  return (status = { loaded: false, reason: `native addon not loaded: ${tried.join('; ')}; run \`npm run build:native\`` });
}
