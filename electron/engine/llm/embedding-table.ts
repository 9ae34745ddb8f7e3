// The token embedding lookup, done in JavaScript by reading rows from a raw table file rather than
// as an ONNX Gather: the decoder takes inputs_embeds anyway (clip embeddings are spliced in), and
// a positional read of one row per token costs microseconds while keeping the 151936×H table out
// of memory entirely (the OS page cache holds the rows in use).
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { ApolloError } from '../../shared/errors.js';
import { f16BitsToNumber } from '../native/float-convert-twin.js';
import { encodeFloats, type FloatDType } from '../onnx/float-encoding.js';

export interface EmbeddingTableInfo {
  file: string;
  rows: number;
  cols: number;
  dtype: FloatDType;
}

/** Writes the table as raw little-endian rows (float32, or float16 bits). */
export function writeEmbeddingTable(path: string, table: Float32Array, dtype: FloatDType): void {
  const data = encodeFloats(table, dtype);
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

export class EmbeddingTable {
  private fd: number | undefined;
  private readonly rowBytes: number;
  private readonly scratch: Uint8Array;

  constructor(
    path: string,
    readonly info: Omit<EmbeddingTableInfo, 'file'>,
  ) {
    this.fd = openSync(path, 'r');
    this.rowBytes = info.cols * (info.dtype === 'float32' ? 4 : 2);
    this.scratch = new Uint8Array(this.rowBytes);
  }

  /** Rows for the ids, [ids.length × cols] float32. */
  lookup(ids: readonly number[]): Float32Array {
    if (this.fd === undefined) throw new Error('embedding table is closed');
    const { cols, rows } = this.info;
    const out = new Float32Array(ids.length * cols);
    const f32 = new Float32Array(this.scratch.buffer, 0, this.info.dtype === 'float32' ? cols : 0);
    const f16 = new Uint16Array(this.scratch.buffer, 0, this.info.dtype === 'float16' ? cols : 0);
    ids.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= rows) throw new ApolloError('INVALID_ARGUMENT', `Token id ${id} is outside the vocabulary (0 to ${rows - 1}); check the prompt ids.`);
      const n = readSync(this.fd!, this.scratch, 0, this.rowBytes, id * this.rowBytes);
      if (n !== this.rowBytes) throw new ApolloError('CHECKPOINT_INVALID', 'The prepared embedding table is truncated; prepare the model again.');
      if (this.info.dtype === 'float32') out.set(f32, t * cols);
      else for (let i = 0; i < cols; i++) out[t * cols + i] = f16BitsToNumber(f16[i]!);
    });
    return out;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
