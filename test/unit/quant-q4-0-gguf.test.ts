// The benchmark's llama.cpp side: the Q4_0 reference round trip (checked against a numpy port of
// llama.cpp's quantize_row_q4_0_ref) and the GGUF writer (read back by node-llama-cpp's parser).
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRandomQwen2Gguf } from '../../bench/llm-random-gguf.js';
import { q4_0RoundTrip } from '../../bench/q4-0-reference.js';
import { runPython } from '../helpers/python-oracle.js';
import { makeTempDir } from '../helpers/paths.js';

const dir = makeTempDir('gguf');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Q4_0 reference', () => {
  it('equals a numpy port of quantize_row_q4_0_ref + dequantize_row_q4_0', () => {
    const rows = 6;
    const cols = 96;
    const w = new Float32Array(rows * cols);
    let s = 12345;
    for (let i = 0; i < w.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      w[i] = ((s / 2 ** 32) - 0.5) * 0.1;
    }
    w.fill(0, 0, 32); // an all-zero block
    for (let i = 32; i < 64; i++) w[i] = (i - 48) * 0.0625; // grid values: exact .5 cases after scaling
    const ref = runPython(
      `import sys, numpy as np
x = np.frombuffer(sys.stdin.buffer.read(), dtype=np.float32).reshape(-1, 32)
idx = np.argmax(np.abs(x), axis=1)
m = x[np.arange(len(x)), idx]
d = (m / np.float32(-8)).astype(np.float32)
with np.errstate(divide='ignore'):
    ide = np.where(d != 0, np.float32(1) / np.where(d != 0, d, np.float32(1)), np.float32(0)).astype(np.float32)
q = np.minimum(15, np.trunc(((x * ide[:, None]).astype(np.float32) + np.float32(8.5)).astype(np.float32))).astype(np.int32)
dh = d.astype(np.float16).astype(np.float32)
sys.stdout.buffer.write(((q - 8).astype(np.float32) * dh[:, None]).astype(np.float32).tobytes())`,
      Buffer.from(w.buffer),
    );
    const expected = new Float32Array(ref.buffer, ref.byteOffset, ref.byteLength / 4);
    expect(Array.from(q4_0RoundTrip(w, rows, cols))).toEqual(Array.from(expected));
  });
});

describe('random Qwen2 Q4_0 GGUF', () => {
  it('is read back by node-llama-cpp with the qwen2 metadata, tokenizer and tensor layout', async () => {
    const c = { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, vocab_size: 151936, rope_theta: 1e6, rms_norm_eps: 1e-6, max_position_embeddings: 32768, tie_word_embeddings: true };
    const path = join(dir, 'tiny.gguf');
    const size = writeRandomQwen2Gguf(path, c);
    expect(statSync(path).size).toBe(size);
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
    expect(md.general!.architecture).toBe('qwen2');
    const arch = md.qwen2 as Record<string, unknown>;
    expect([arch.block_count, arch.embedding_length, arch.feed_forward_length]).toEqual([2, 64, 128]);
    expect((arch.attention as Record<string, unknown>).head_count_kv).toBe(2);
    const tok = (md.tokenizer as Record<string, Record<string, unknown>>).ggml!;
    expect((tok.tokens as string[]).length).toBe(151936);
    expect((tok.tokens as string[])[151645]).toBe('<|im_end|>');
    const tensors = info.tensorInfo!;
    expect(tensors.length).toBe(1 + 2 * 12 + 1); // embedding, 12 per layer, final norm (tied head)
    const q = tensors.find((t) => t.name === 'blk.1.attn_k.weight')!;
    expect(q.dimensions.map(Number)).toEqual([64, 32]);
    expect(q.ggmlType).toBe(2); // Q4_0
    for (const t of tensors) expect(Number(t.offset) % 32).toBe(0);
    // The last tensor ends exactly at the end of the file (F32 norm of 64 values).
    const last = tensors[tensors.length - 1]!;
    expect(Number(last.fileOffset) + 64 * 4).toBe(size);
    const bytes = readFileSync(path);
    expect(new Float32Array(bytes.buffer.slice(Number(last.fileOffset), Number(last.fileOffset) + 256))[0]).toBeGreaterThan(0.8);
  });
});
