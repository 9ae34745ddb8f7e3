// One safetensors file, opened for reading tensors by name with positional reads: only the header
// is read at open, and each tensor's bytes are read when asked for (shards never load whole).
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import { floatConverter } from '../native/float-convert.js';
import { f16ToF32 } from '../native/float-convert-twin.js';
import { parseHeaderLength, parseSafetensorsHeader, type SafetensorsEntry, type TensorInfo } from './safetensors-header.js';

export { MAX_HEADER_BYTES, SAFETENSORS_DTYPE_BYTES, type FloatDtype, type SafetensorsDtype, type TensorInfo } from './safetensors-header.js';
export { writeSafetensors, type TensorToWrite, type WriteSafetensorsOptions } from './safetensors-writer.js';

/** A set of named tensors: one safetensors file or a sharded checkpoint folder. */
export interface TensorSource {
  /** Tensor names, in file order (sharded: shard by shard). */
  names(): string[];
  has(name: string): boolean;
  /** Throws TENSOR_NOT_FOUND for an unknown name. */
  info(name: string): TensorInfo;
  /** The tensor's exact bytes (little-endian, as stored). */
  readRaw(name: string): Promise<Uint8Array>;
  /** BF16 / F16 / F32 widened to F32; other dtypes are refused. */
  readFloat32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface SafetensorsFile extends TensorSource {
  readonly path: string;
  readonly fileSize: number;
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute file offset of a tensor's first byte (for zero-copy external-data references). */
  fileOffset(name: string): number;
}

// Reads are chunked below the 2 GiB limit of a single read() call.
const READ_CHUNK = 64 * 1024 * 1024;

async function readExactly(handle: FileHandle, target: Uint8Array, position: number, label: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const want = Math.min(READ_CHUNK, target.length - done);
    const { bytesRead } = await handle.read(target, done, want, position + done);
    if (bytesRead === 0) throw new ApolloError('CHECKPOINT_INVALID', `The checkpoint file ${label} ended early (it may have been truncated while in use); download the model again.`, { details: { file: label } });
    done += bytesRead;
  }
}

function openError(path: string, error: unknown): ApolloError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ApolloError('FILE_NOT_FOUND', `The checkpoint file ${path} does not exist; check the model folder or download the model again.`, { cause: error });
  if (code === 'EISDIR') return new ApolloError('CHECKPOINT_INVALID', `${path} is a folder, not a safetensors file; check the model folder.`, { cause: error });
  return new ApolloError('FILE_UNREADABLE', `The checkpoint file ${path} cannot be read (${code ?? 'unknown error'}); check its permissions.`, { cause: error });
}

/** Widens stored bytes to F32 (little-endian host, as every supported platform is). */
export function bytesToFloat32(dtype: string, raw: Uint8Array, label: string): Float32Array {
  if (dtype === 'F32') return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  if (dtype === 'BF16' || dtype === 'F16') {
    const src = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
    const dst = new Float32Array(src.length);
    if (dtype === 'BF16') floatConverter().bf16ToF32(src, dst);
    else f16ToF32(src, dst);
    return dst;
  }
  throw new ApolloError('CHECKPOINT_INVALID', `The tensor ${label} is stored as ${dtype}, not as a float type Apollo can read; download the model again.`, { details: { tensor: label, dtype } });
}

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  let handle: FileHandle;
  try {
    // Without blocking: opening a FIFO for reading would wait for a writer forever; it is refused below.
    handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw openError(path, error);
  }
  const label = path;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ApolloError('CHECKPOINT_INVALID', `${path} is not a regular file; check the model folder.`);
    const fileSize = stat.size;
    const prefix = new Uint8Array(Math.min(8, fileSize));
    await readExactly(handle, prefix, 0, label);
    const headerLength = parseHeaderLength(prefix, fileSize, label);
    const headerBytes = new Uint8Array(headerLength);
    await readExactly(handle, headerBytes, 8, label);
    const header = parseSafetensorsHeader(headerBytes, fileSize, label);
    return makeFile(path, handle, fileSize, header.dataOffset, header.entries, header.metadata);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function makeFile(path: string, handle: FileHandle, fileSize: number, dataOffset: number, entries: SafetensorsEntry[], metadata: Record<string, string>): SafetensorsFile {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const shortName = basename(path);
  let closed = false;
  const entry = (name: string): SafetensorsEntry => {
    const e = byName.get(name);
    if (e === undefined) throw new ApolloError('TENSOR_NOT_FOUND', `The tensor ${name} is not in ${path}; the checkpoint does not match this model, download it again.`, { details: { tensor: name, file: path } });
    return e;
  };
  const readRaw = async (name: string): Promise<Uint8Array> => {
    const e = entry(name);
    if (closed) throw new ApolloError('INTERNAL', `The checkpoint file ${shortName} was read after it was closed.`);
    // A fresh ArrayBuffer (offset 0) so that typed views of any element size are aligned.
    const out = new Uint8Array(e.byteLength);
    await readExactly(handle, out, dataOffset + e.begin, path);
    return out;
  };
  return {
    path,
    fileSize,
    metadata,
    names: () => entries.map((e) => e.name),
    has: (name) => byName.has(name),
    info: (name) => {
      const e = entry(name);
      return { dtype: e.dtype, shape: [...e.shape], byteLength: e.byteLength };
    },
    fileOffset: (name) => dataOffset + entry(name).begin,
    readRaw,
    readFloat32: async (name) => bytesToFloat32(entry(name).dtype, await readRaw(name), `${name} (${shortName})`),
    close: async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
