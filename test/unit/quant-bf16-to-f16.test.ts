import { describe, expect, it } from 'vitest';
import { floatConverter } from '../../electron/engine/native/float-convert.js';
import { bf16ToF16Twin } from '../../electron/engine/native/float-convert-twin.js';
import { runPython } from '../helpers/python-oracle.js';

// Every BF16 bit pattern, once.
const all = Uint16Array.from({ length: 65536 }, (_, i) => i);

function isF16NaN(h: number): boolean {
  return (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
}

describe('BF16 -> F16', () => {
  it('the twin equals numpy (float32 -> float16 rounds to nearest even) on every BF16 value', () => {
    const twin = new Uint16Array(all.length);
    bf16ToF16Twin(all, twin);
    const out = runPython(
      'import sys, numpy as np\n' +
        'b = np.frombuffer(sys.stdin.buffer.read(), dtype=np.uint16).astype(np.uint32) << 16\n' +
        'with np.errstate(all="ignore"):\n' +
        '    sys.stdout.buffer.write(b.view(np.float32).astype(np.float16).tobytes())\n',
      Buffer.from(all.buffer),
    );
    const ref = new Uint16Array(out.buffer, out.byteOffset, out.byteLength / 2);
    let mismatches = 0;
    for (let i = 0; i < all.length; i++) {
      // NaN payloads are not specified by numpy; both must be NaN.
      if (isF16NaN(ref[i]!) ? !isF16NaN(twin[i]!) : ref[i] !== twin[i]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('native equals the twin bit for bit on every BF16 value', () => {
    const conv = floatConverter();
    expect(conv.backend, conv.fallbackReason).toBe('native');
    const a = new Uint16Array(all.length);
    const b = new Uint16Array(all.length);
    bf16ToF16Twin(all, a);
    conv.bf16ToF16(all, b);
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(() => conv.bf16ToF16(all, new Uint16Array(3))).toThrow(RangeError);
  });
});
