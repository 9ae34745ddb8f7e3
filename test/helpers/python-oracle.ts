// Runs a Python snippet under Debian's python3 (the reference libraries are test oracles, never
// runtime dependencies) and returns its stdout.
import { execFileSync } from 'node:child_process';
import { oraclePython } from './paths.js';

export function runPython(code: string, input?: Buffer | string, maxBuffer = 512 * 1024 * 1024): Buffer {
  return execFileSync(oraclePython, ['-c', code], { input, maxBuffer });
}
