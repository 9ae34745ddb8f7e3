// Which onnxruntime execution provider runs the models: by capability, CUDA → DirectML (Windows)
// → WebGPU → CPU, each tried by creating a real (tiny) session with it, so "listed" never passes
// for "works". The reason for every skipped provider travels with the choice.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ApolloError } from '../../shared/errors.js';
import { GraphBuilder } from '../onnx/graph-builder.js';

export const DEVICE_NAMES = ['cpu', 'cuda', 'webgpu', 'dml'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

export interface DeviceChoice {
  device: DeviceName;
  /** Why this device: "requested", or the fallback chain with each skipped provider's reason. */
  reason: string;
  executionProviders: ort.InferenceSession.ExecutionProviderConfig[];
}

/** Preference order on this platform. */
export function devicePreference(platform: NodeJS.Platform = process.platform): DeviceName[] {
  return platform === 'win32' ? ['cuda', 'dml', 'webgpu', 'cpu'] : ['cuda', 'webgpu', 'cpu'];
}

function probeModel(): Uint8Array {
  const g = new GraphBuilder({ name: 'device_probe' });
  const x = g.input('x', 'float32', [2]);
  g.output(g.op('Add', [x, x]), 'y', 'float32', [2]);
  return g.encode();
}

const probes = new Map<DeviceName, Promise<string | undefined>>();

/** Whether onnxruntime-node's separately installed CUDA provider library is beside its binding. */
function cudaProviderInstalled(): boolean {
  try {
    const bindingDir = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const name = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(bindingDir, name));
  } catch {
    return true; // unknown layout: let the real session attempt decide
  }
}

/**
 * WebGPU on Linux runs on Vulkan: without a Vulkan driver (no ICD manifest where the Vulkan loader
 * looks) a WebGPU session cannot start, and trying prints the loader's "vkCreateInstance: Found no
 * drivers!" on stderr of every run. Checked first, like the CUDA provider library.
 */
export function vulkanDriverInstalled(env: NodeJS.ProcessEnv = process.env, home = homedir()): boolean {
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.VK_ADD_DRIVER_FILES) return true;
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const dirs = [...configDirs, '/etc', ...dataDirs, env.XDG_DATA_HOME || join(home, '.local', 'share')].filter((d) => d !== '').map((d) => join(d, 'vulkan', 'icd.d'));
  return dirs.some((dir) => {
    try {
      return readdirSync(dir).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

/** Why `device` cannot run here, or undefined when a session on it runs (probed once per process). */
export function probeDevice(device: DeviceName): Promise<string | undefined> {
  let probe = probes.get(device);
  if (probe === undefined) {
    probe = probeDeviceOnce(device);
    probes.set(device, probe);
  }
  return probe;
}

async function probeDeviceOnce(device: DeviceName): Promise<string | undefined> {
  const listed = ort.listSupportedBackends().find((b) => b.name === device);
  if (listed === undefined) return `${device} is not in this onnxruntime build`;
  if (device === 'cuda' && listed.bundled === false && !cudaProviderInstalled()) {
    // Checked before trying: a missing provider library makes onnxruntime print a native error.
    return 'cuda provider is not installed (install it with `node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12`)';
  }
  if (device === 'webgpu' && process.platform === 'linux' && !vulkanDriverInstalled()) return 'webgpu found no Vulkan driver (no GPU, or its Vulkan driver is not installed)';
  try {
    const session = await ort.InferenceSession.create(probeModel(), { executionProviders: [device], logSeverityLevel: 3 });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2), [2]) });
    await session.release();
    const y = out.y?.data as Float32Array | undefined;
    if (y?.[0] !== 2 || y[1] !== 4) return `${device} computed a wrong result`;
    return undefined;
  } catch (error) {
    const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
    const hint = device === 'cuda' && listed.bundled === false ? ' (install it with `node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12`)' : '';
    // onnxruntime's WebGPU error names a source line; say what it means instead.
    if (device === 'webgpu' && /adapter/i.test(text)) return `webgpu found no usable GPU adapter (no GPU, or no Vulkan/Metal/D3D12 driver)`;
    return `${device} failed to start: ${text.slice(0, 200)}${hint}`;
  }
}

/** 'auto' walks the preference order; an explicit device that cannot run is an error. */
export async function selectDevice(requested: DeviceName | 'auto', probe: (d: DeviceName) => Promise<string | undefined> = probeDevice): Promise<DeviceChoice> {
  if (requested !== 'auto') {
    const why = await probe(requested);
    if (why !== undefined) throw new ApolloError('DEVICE_UNAVAILABLE', `The device "${requested}" cannot be used here (${why}); run \`apollo-chat doctor\` to see what is available, or pass --device cpu.`, { details: { device: requested, reason: why } });
    return { device: requested, reason: 'requested', executionProviders: [requested] };
  }
  const skipped: string[] = [];
  for (const device of devicePreference()) {
    const why = await probe(device);
    if (why === undefined) {
      return { device, reason: skipped.length === 0 ? 'preferred' : `fallback: ${skipped.join('; ')}`, executionProviders: [device] };
    }
    skipped.push(why);
  }
  throw new ApolloError('DEVICE_UNAVAILABLE', `No execution provider could start (${skipped.join('; ')}); reinstall the app.`);
}

/**
 * Default intra-op threads: one per available core. On a 2-core machine whose other core is busy,
 * 2 threads can collapse (PERFORMANCE.md: llama.cpp fell from ~15 to 0.74 tok/s), so callers offer
 * --threads to lower it.
 */
export function defaultThreadCount(): number {
  return Math.max(1, availableParallelism());
}
