// Writes a safetensors file that our own strict reader (and the reference implementations) accept:
// tensors in the given order, contiguous, header padded with spaces to a multiple of 8 bytes.
// Written aside and renamed, so a killed run never leaves a half-written file under the real name.
import { open, rename, rm } from 'node:fs/promises';
import { ApolloError } from '../../shared/errors.js';
import { SAFETENSORS_DTYPE_BYTES, isSafetensorsDtype, type SafetensorsDtype } from './safetensors-header.js';

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Raw little-endian bytes; any typed array is taken as its bytes. */
  data: ArrayBufferView;
}

function asBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The header bytes (length prefix included) for these tensors; checks sizes and names. */
export function encodeSafetensorsHeader(tensors: ReadonlyArray<Omit<TensorToWrite, 'data'> & { byteLength: number }>, metadata?: Record<string, string>): Uint8Array {
  // Null prototype: a tensor named "__proto__" stays an ordinary key.
  const header = Object.create(null) as Record<string, unknown>;
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name)) throw new ApolloError('INVALID_ARGUMENT', `Cannot write tensor ${JSON.stringify(t.name)}: the name is reserved or repeated.`);
    seen.add(t.name);
    if (!isSafetensorsDtype(t.dtype)) throw new ApolloError('INVALID_ARGUMENT', `Cannot write tensor ${t.name}: unknown dtype ${String(t.dtype)}.`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new ApolloError('INVALID_ARGUMENT', `Cannot write tensor ${t.name}: its shape has a negative or non-integer size.`);
    const expected = t.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[t.dtype];
    if (expected !== t.byteLength) throw new ApolloError('INVALID_ARGUMENT', `Cannot write tensor ${t.name}: ${t.byteLength} bytes given, its dtype and shape need ${expected}.`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.byteLength] };
    offset += t.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

export interface WriteSafetensorsOptions {
  /** fsync before the rename (default true): off for scratch files where speed matters more. */
  sync?: boolean;
}

export async function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>, options: WriteSafetensorsOptions = {}): Promise<void> {
  const header = encodeSafetensorsHeader(
    tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.data.byteLength })),
    metadata,
  );
  const partial = `${path}.partial`;
  const handle = await open(partial, 'w');
  try {
    await handle.write(header);
    for (const t of tensors) {
      const bytes = asBytes(t.data);
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, Math.min(bytes.length - done, 64 * 1024 * 1024));
        done += bytesWritten;
      }
    }
    if (options.sync !== false) await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(partial, { force: true });
    throw error;
  }
  await handle.close();
  await rename(partial, path);
}
