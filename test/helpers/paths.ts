// Paths the tests share.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifactsDir = join(repoRoot, 'test-results', 'artifacts');
export const cliBin = join(repoRoot, 'bin', 'apollo-chat.mjs');

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `apollo-${prefix}-`));
}

/** Debian's python3 with the reference libraries (PIL, OpenCV, num2words, numpy): test oracles only. */
export const oraclePython = process.env.APOLLO_ORACLE_PYTHON ?? '/usr/bin/python3';
