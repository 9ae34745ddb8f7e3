// What the default model pick needs to know about this machine: memory and whether a GPU is there.
import { existsSync, readdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { MachineProfile } from './model-catalog.js';

/**
 * System memory from the OS; an NVIDIA GPU is recognised by its driver's /proc entry (its memory is
 * not known without CUDA, so the pick budgets system memory). Apple silicon has unified memory.
 * APOLLO_DEVICE=cpu|gpu overrides the guess.
 */
export function detectMachineProfile(env: NodeJS.ProcessEnv = process.env): MachineProfile & { reason: string } {
  const systemMemoryBytes = totalmem();
  const forced = env.APOLLO_DEVICE;
  if (forced === 'cpu' || forced === 'gpu') return { device: forced, systemMemoryBytes, reason: 'APOLLO_DEVICE is set' };
  let nvidia: boolean;
  try {
    nvidia = existsSync('/proc/driver/nvidia/gpus') && readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    nvidia = false;
  }
  if (nvidia) return { device: 'gpu', systemMemoryBytes, reason: 'an NVIDIA GPU driver is loaded' };
  if (process.platform === 'darwin' && process.arch === 'arm64') return { device: 'gpu', systemMemoryBytes, reason: 'Apple silicon (unified memory, Metal through WebGPU)' };
  return { device: 'cpu', systemMemoryBytes, reason: 'no GPU was detected' };
}
