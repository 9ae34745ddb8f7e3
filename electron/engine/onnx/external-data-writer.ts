// Streams initializer bytes into one side file as they are added, so that a graph of any size is
// never held in memory twice: the builder keeps only (offset, length) per tensor.
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';

/** onnxruntime maps external data; 64-byte alignment keeps every tensor mmap- and SIMD-friendly. */
export const EXTERNAL_DATA_ALIGNMENT = 64;

export interface ExternalDataLocation {
  /** File name relative to the model file (ONNX resolves external data beside the model). */
  location: string;
  offset: number;
  length: number;
}

export class ExternalDataWriter {
  private fd: number | undefined;
  private position = 0;
  readonly location: string;

  constructor(readonly path: string) {
    this.location = basename(path);
    this.fd = openSync(path, 'w');
  }

  /** Bytes written so far, padding included. */
  get size(): number {
    return this.position;
  }

  append(data: ArrayBufferView): ExternalDataLocation {
    if (this.fd === undefined) throw new Error('external data file is closed');
    const pad = (EXTERNAL_DATA_ALIGNMENT - (this.position % EXTERNAL_DATA_ALIGNMENT)) % EXTERNAL_DATA_ALIGNMENT;
    if (pad > 0) {
      writeSync(this.fd, new Uint8Array(pad), 0, pad, this.position);
      this.position += pad;
    }
    const offset = this.position;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, offset + written);
    this.position += bytes.length;
    return { location: this.location, offset, length: bytes.length };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
