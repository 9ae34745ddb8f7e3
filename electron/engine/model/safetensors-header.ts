// The safetensors header, parsed and checked as a pure function of its bytes and the file size.
// Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data region.
// Policy (stricter than most readers, as strict as the reference Rust crate):
// - N is at least 2 and at most min(MAX_HEADER_BYTES, fileSize - 8);
// - the JSON is one object; every key is unique at every depth (JSON.parse would keep the last);
// - each tensor entry has exactly {dtype, shape, data_offsets}; dtype is a safetensors dtype;
//   shape entries are non-negative safe integers; element count × item size = end − begin;
// - sorted by offset, the tensors tile the data region exactly: the first starts at 0, each starts
//   where the previous ended (no gaps, no overlaps) and the last ends at the end of the file;
// - `__metadata__`, when present, maps strings to strings.
// Every violation is a CHECKPOINT_INVALID ApolloError naming the file.
import { ApolloError } from '../../shared/errors.js';

/** Refuse headers above this size before allocating them (real checkpoints have < 1 MB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export const SAFETENSORS_DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;
/** The dtypes Apollo's weights use and `readFloat32` widens. */
export type FloatDtype = 'BF16' | 'F16' | 'F32';

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BYTES, value);
}

export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  byteLength: number;
}

export interface SafetensorsEntry extends TensorInfo {
  name: string;
  /** Offset of the first byte from the start of the data region. */
  begin: number;
}

export interface SafetensorsHeader {
  /** Absolute file offset of the data region (8 + N). */
  dataOffset: number;
  /** In file order (sorted by offset). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

function invalid(label: string, why: string): ApolloError {
  return new ApolloError('CHECKPOINT_INVALID', `The checkpoint file ${label} is damaged or not a safetensors file (${why}); download the model again.`, {
    details: { file: label, reason: why },
  });
}

/** Reads the header length from the first 8 bytes and checks it against the caps; returns N. */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number, label: string): number {
  if (fileSize < 8 || prefix.length < 8) throw invalid(label, `the file is ${fileSize} bytes, shorter than the 8-byte length field`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n < 2n) throw invalid(label, `the header length ${n} is too small`);
  if (n > BigInt(MAX_HEADER_BYTES)) throw invalid(label, `the header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(fileSize - 8)) throw invalid(label, `the header length ${n} runs past the end of the ${fileSize}-byte file`);
  return Number(n);
}

/**
 * Throws when any object in this (already valid) JSON text repeats a key. An iterative scan: no
 * recursion, so deeply nested input cannot overflow the stack.
 */
export function findDuplicateJsonKey(text: string): string | undefined {
  const stack: Array<Set<string> | null> = []; // a Set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      if (expectKey) {
        const keys = stack[stack.length - 1];
        // Decode escapes so that "a" and "\u0061" count as the same key.
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys !== null && keys !== undefined) {
          if (keys.has(key)) return key;
          keys.add(key);
        }
        expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}

const ENTRY_KEYS = new Set(['dtype', 'shape', 'data_offsets']);

function isNonNegativeSafeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses and checks the JSON header; `fileSize` bounds every offset. */
export function parseSafetensorsHeader(headerBytes: Uint8Array, fileSize: number, label: string): SafetensorsHeader {
  const dataOffset = 8 + headerBytes.length;
  const dataLength = fileSize - dataOffset;
  if (dataLength < 0) throw invalid(label, 'the header runs past the end of the file');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(headerBytes);
  } catch {
    throw invalid(label, 'the header is not UTF-8 text');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(label, 'the header is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(label, 'the header is not a JSON object');
  const duplicate = findDuplicateJsonKey(text);
  if (duplicate !== undefined) throw invalid(label, `the header repeats the key ${JSON.stringify(duplicate.slice(0, 200))}`);

  // A null-prototype object: a key named "__proto__" stays an ordinary key.
  const metadata = Object.create(null) as Record<string, string>;
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    const shown = JSON.stringify(name.slice(0, 200));
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(label, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw invalid(label, `__metadata__ value for ${JSON.stringify(k.slice(0, 200))} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(label, `the entry for tensor ${shown} is not an object`);
    const entry = value as Record<string, unknown>;
    for (const key of Object.keys(entry)) if (!ENTRY_KEYS.has(key)) throw invalid(label, `tensor ${shown} has an unknown field ${JSON.stringify(key.slice(0, 200))}`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isSafetensorsDtype(dtype)) throw invalid(label, `tensor ${shown} has an unknown dtype ${JSON.stringify(String(dtype).slice(0, 50))}`);
    if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInteger)) throw invalid(label, `tensor ${shown} has a shape that is not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeSafeInteger)) throw invalid(label, `tensor ${shown} has data_offsets that are not two non-negative integers`);
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw invalid(label, `tensor ${shown} ends before it begins`);
    if (end > dataLength) throw invalid(label, `tensor ${shown} ends at ${end}, past the ${dataLength}-byte data region`);
    // The product is compared while it stays below the data length, so it can never lose precision.
    let bytes: number = SAFETENSORS_DTYPE_BYTES[dtype];
    let zero = false;
    for (const d of shape as number[]) {
      if (d === 0) zero = true;
      else if (!zero) {
        bytes *= d;
        if (bytes > dataLength) break;
      }
    }
    if (zero) bytes = 0;
    if (bytes !== end - begin) throw invalid(label, `tensor ${shown} has ${end - begin} bytes but its dtype and shape need ${bytes > dataLength ? `more than ${dataLength}` : bytes}`);
    entries.push({ name, dtype, shape: [...(shape as number[])], byteLength: end - begin, begin });
  }
  // Zero-size tensors share offsets: order them by name so that `names()` is deterministic.
  entries.sort((a, b) => a.begin - b.begin || a.byteLength - b.byteLength || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) {
      throw invalid(label, e.begin < cursor ? `tensor ${JSON.stringify(e.name.slice(0, 200))} overlaps the previous one` : `there is a gap of ${e.begin - cursor} bytes before tensor ${JSON.stringify(e.name.slice(0, 200))}`);
    }
    cursor = e.begin + e.byteLength;
  }
  if (cursor !== dataLength) throw invalid(label, `the tensors cover ${cursor} of the ${dataLength} data bytes`);
  return { dataOffset, entries, metadata };
}
