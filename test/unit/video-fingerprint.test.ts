// The one content fingerprint: a renamed copy keeps it, an edit or a change of length changes it,
// and a missing file is a typed error.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { makeTempDir } from '../helpers/paths.js';
import { mulberry32 } from './vision-oracle.js';

describe('video fingerprint', () => {
  it('follows the bytes, not the name, for small and sampled large files', async () => {
    const dir = makeTempDir('fingerprint');
    const rand = mulberry32(1);
    for (const size of [3000, 9 * 1024 * 1024]) {
      const bytes = Buffer.from(Uint8Array.from({ length: size }, () => Math.floor(rand() * 256)));
      const a = join(dir, `a-${size}.mp4`);
      writeFileSync(a, bytes);
      copyFileSync(a, join(dir, `copy of a-${size}.mkv`));
      expect(await videoFingerprint(join(dir, `copy of a-${size}.mkv`))).toBe(await videoFingerprint(a));
      expect(await videoFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
      // a change at the start, in the middle or at the end, and a change of length, all change the key
      for (const at of [10, Math.floor(size / 2), size - 3]) {
        const edited = Buffer.from(bytes);
        edited[at] = edited[at]! ^ 0xff;
        writeFileSync(join(dir, 'edited'), edited);
        expect(await videoFingerprint(join(dir, 'edited'))).not.toBe(await videoFingerprint(a));
      }
      writeFileSync(join(dir, 'longer'), Buffer.concat([readFileSync(a), Buffer.from([0])]));
      expect(await videoFingerprint(join(dir, 'longer'))).not.toBe(await videoFingerprint(a));
    }
    // files up to 1 MiB are hashed whole: a change anywhere counts
    const small = Buffer.alloc(50_000, 7);
    writeFileSync(join(dir, 's1'), small);
    small[40_000] = 8;
    writeFileSync(join(dir, 's2'), small);
    expect(await videoFingerprint(join(dir, 's1'))).not.toBe(await videoFingerprint(join(dir, 's2')));
  });

  it('names a missing file with FILE_NOT_FOUND', async () => {
    await expect(videoFingerprint(join(makeTempDir('fingerprint'), 'missing.mp4'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
