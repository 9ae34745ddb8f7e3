// A minimal GGUF v3 writer (the llama.cpp file format), enough to write a model with random
// weights for the llama.cpp peer in the LLM benchmark: typed metadata (scalars, strings, arrays)
// and tensors streamed to disk one at a time, 32-byte aligned.
import { closeSync, openSync, writeSync } from 'node:fs';

export const GGUF_ALIGNMENT = 32;

/** ggml tensor types used here. */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2 } as const;
export type GgmlType = (typeof GGML_TYPE)[keyof typeof GGML_TYPE];

const VT = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'i32[]'; value: Int32Array };

export interface GgufTensor {
  name: string;
  /** ggml order: ne[0] is the contiguous dimension (a PyTorch [out, in] weight is [in, out]). */
  ne: number[];
  type: GgmlType;
  /** Fills the tensor's bytes, in chunks the writer chooses. */
  fill(out: Uint8Array, byteOffset: number): void;
}

export function ggmlByteSize(type: GgmlType, ne: number[]): number {
  const n = ne.reduce((a, b) => a * b, 1);
  if (type === GGML_TYPE.F32) return n * 4;
  if (type === GGML_TYPE.F16) return n * 2;
  if (ne[0]! % 32 !== 0) throw new Error('Q4_0 rows must be a multiple of 32');
  return (n / 32) * 18;
}

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  switch (v.type) {
    case 'u32':
      sink.u32(VT.UINT32);
      sink.u32(v.value);
      return;
    case 'i32': {
      sink.u32(VT.INT32);
      const b = Buffer.alloc(4);
      b.writeInt32LE(v.value);
      sink.push(b);
      return;
    }
    case 'f32': {
      sink.u32(VT.FLOAT32);
      const b = Buffer.alloc(4);
      b.writeFloatLE(v.value);
      sink.push(b);
      return;
    }
    case 'bool':
      sink.u32(VT.BOOL);
      sink.push(Buffer.from([v.value ? 1 : 0]));
      return;
    case 'string':
      sink.u32(VT.STRING);
      sink.str(v.value);
      return;
    case 'string[]':
      sink.u32(VT.ARRAY);
      sink.u32(VT.STRING);
      sink.u64(v.value.length);
      for (const s of v.value) sink.str(s);
      return;
    case 'i32[]':
      sink.u32(VT.ARRAY);
      sink.u32(VT.INT32);
      sink.u64(v.value.length);
      sink.push(Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength));
      return;
  }
}

export function writeGguf(path: string, metadata: [string, GgufValue][], tensors: GgufTensor[]): number {
  const head = new ByteSink();
  head.push(Buffer.from('GGUF', 'ascii'));
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.length);
  for (const [key, value] of metadata) {
    head.str(key);
    writeValue(head, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.ne.length);
    for (const d of t.ne) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offsets.push(offset);
    offset += Math.ceil(ggmlByteSize(t.type, t.ne) / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  }
  const fd = openSync(path, 'w');
  try {
    const header = head.concat();
    writeSync(fd, header);
    const dataStart = Math.ceil(header.length / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
    if (dataStart > header.length) writeSync(fd, Buffer.alloc(dataStart - header.length));
    const chunk = new Uint8Array(18 * 32 * 1024 * 4); // a multiple of 4 and of the 18-byte Q4_0 block
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      const size = ggmlByteSize(t.type, t.ne);
      let pos = 0;
      while (pos < size) {
        const n = Math.min(chunk.length, size - pos);
        const view = chunk.subarray(0, n);
        t.fill(view, pos);
        writeSync(fd, view, 0, n, dataStart + offsets[i]! + pos);
        pos += n;
      }
      const padded = Math.ceil(size / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
      if (padded > size) writeSync(fd, Buffer.alloc(padded - size), 0, padded - size, dataStart + offsets[i]! + size);
    }
    return dataStart + offset;
  } finally {
    closeSync(fd);
  }
}
