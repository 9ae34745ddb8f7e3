import { createHash } from 'node:crypto';
import { writeFileSync, openSync, closeSync, writeSync, ftruncateSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import { openSafetensors, writeSafetensors, SAFETENSORS_DTYPE_BYTES, type SafetensorsDtype } from '../../electron/engine/model/safetensors.js';
import { encodeSafetensorsHeader } from '../../electron/engine/model/safetensors-writer.js';
import { findDuplicateJsonKey } from '../../electron/engine/model/safetensors-header.js';
import { openCheckpointFolder } from '../../electron/engine/model/safetensors-checkpoint.js';
import { f32ToBf16 } from '../../electron/engine/native/float-convert-twin.js';
import { makeTempDir } from '../helpers/paths.js';
import { runPython } from '../helpers/python-oracle.js';

const dir = makeTempDir('safetensors');

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

/** A file made of an arbitrary header text and data bytes (for malformed cases). */
function rawFile(name: string, header: string, data: Uint8Array = new Uint8Array(0), lengthField?: bigint): string {
  const json = Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthField ?? BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([prefix, json, Buffer.from(data)]));
  return path;
}

async function expectInvalid(path: string, reason: RegExp): Promise<void> {
  const error = await openSafetensors(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApolloError);
  const e = error as ApolloError;
  expect(e.code).toBe('CHECKPOINT_INVALID');
  expect(e.message).toContain(path);
  expect(e.message).toMatch(reason);
}

describe('safetensors round trip (writer -> reader)', () => {
  const dtypes = Object.keys(SAFETENSORS_DTYPE_BYTES) as SafetensorsDtype[];
  const tensors = dtypes.map((dtype, i) => {
    const shape = [i + 1, 3, 2];
    const n = shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[dtype];
    return { name: `t.${dtype.toLowerCase()}.weight`, dtype, shape, data: randomBytes(n, 100 + i) };
  });
  tensors.push({ name: 'empty', dtype: 'F32', shape: [0, 5], data: new Uint8Array(0) });
  tensors.push({ name: '__proto__', dtype: 'U8', shape: [2], data: new Uint8Array([9, 8]) });
  tensors.push({ name: 'scalar', dtype: 'F32', shape: [], data: new Uint8Array(new Float32Array([3.5]).buffer) });
  const path = join(dir, 'all-dtypes.safetensors');

  it('reads back every dtype byte for byte, with shapes and metadata', async () => {
    await writeSafetensors(path, tensors, { format: 'pt', note: 'ünïcode' });
    const file = await openSafetensors(path);
    try {
      expect(file.names().sort()).toEqual(tensors.map((t) => t.name).sort());
      expect({ ...file.metadata }).toEqual({ format: 'pt', note: 'ünïcode' });
      for (const t of tensors) {
        expect(file.info(t.name)).toEqual({ dtype: t.dtype, shape: t.shape, byteLength: t.data.byteLength });
        expect(Buffer.from(await file.readRaw(t.name)).equals(Buffer.from(t.data))).toBe(true);
      }
      expect(Array.from(await file.readFloat32('scalar'))).toEqual([3.5]);
      await expect(file.readFloat32('t.i64.weight')).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
      await expect(file.readRaw('missing')).rejects.toMatchObject({ code: 'TENSOR_NOT_FOUND' });
    } finally {
      await file.close();
    }
  });

  it('is read identically by an independent reader (Python json + numpy)', () => {
    const out = runPython(`
import json, struct, sys, hashlib
b = open(${JSON.stringify(path)}, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8+n])
res = {}
for k, v in h.items():
    if k == '__metadata__': res[k] = v; continue
    s, e = v['data_offsets']
    res[k] = [v['dtype'], v['shape'], hashlib.sha256(b[8+n+s:8+n+e]).hexdigest()]
print(json.dumps(res))`).toString();
    const theirs = JSON.parse(out) as Record<string, unknown>;
    expect(theirs.__metadata__).toEqual({ format: 'pt', note: 'ünïcode' });
    for (const t of tensors) {
      const hash = createHash('sha256').update(t.data).digest('hex');
      expect(theirs[t.name]).toEqual([t.dtype, t.shape, hash]);
    }
  });

  it('widens BF16 and F16 to F32 exactly as numpy does', async () => {
    const n = 4096;
    const bits = new Uint16Array(randomBytes(n * 2, 7).buffer);
    const p = join(dir, 'halves.safetensors');
    await writeSafetensors(p, [
      { name: 'b', dtype: 'BF16', shape: [n], data: bits },
      { name: 'h', dtype: 'F16', shape: [64, n / 64], data: bits },
    ]);
    const file = await openSafetensors(p);
    const bf = await file.readFloat32('b');
    const hf = await file.readFloat32('h');
    await file.close();
    const ref = runPython(
      'import sys, numpy as np\nu=np.frombuffer(sys.stdin.buffer.read(), dtype="<u2")\nsys.stdout.buffer.write((u.astype("<u4") << 16).view("<f4").tobytes() + u.view("<f2").astype("<f4").tobytes())',
      Buffer.from(bits.buffer),
    );
    const refBf = Buffer.from(ref.subarray(0, n * 4));
    const refHf = Buffer.from(ref.subarray(n * 4));
    expect(Buffer.from(bf.buffer, bf.byteOffset, bf.byteLength).equals(refBf)).toBe(true);
    // NaN payloads survive the F16 table too, so the bytes match exactly.
    expect(Buffer.from(hf.buffer, hf.byteOffset, hf.byteLength).equals(refHf)).toBe(true);
  });

  it('rounds F32 to BF16 to nearest even (numpy oracle via integer arithmetic)', () => {
    const src = new Float32Array(new Uint32Array(randomBytes(4 * 20000, 11).buffer));
    const ours = new Uint16Array(src.length);
    f32ToBf16(src, ours);
    const ref = runPython(
      [
        'import sys, numpy as np',
        'u=np.frombuffer(sys.stdin.buffer.read(), dtype="<u4").astype(np.uint64)',
        'nan=(u & 0x7fffffff) > 0x7f800000',
        'r=((u + 0x7fff + ((u >> 16) & 1)) >> 16) & 0xffff',
        'r=np.where(nan, (u >> 16) | 0x40, r).astype("<u2")',
        'sys.stdout.buffer.write(r.tobytes())',
      ].join('\n'),
      Buffer.from(src.buffer),
    );
    expect(Buffer.from(ours.buffer).equals(ref)).toBe(true);
    const exact = new Float32Array([1, -2, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4e38]);
    const out = new Uint16Array(exact.length);
    f32ToBf16(exact, out);
    expect(Array.from(out)).toEqual([0x3f80, 0xc000, 0x3f80, 0x3f82, 0x7f80]);
  });
});

describe('positional reads', () => {
  it('reads one tensor at the end of a 3 GB file without loading the rest', async () => {
    const big = 3 * 1024 ** 3;
    const small = new Float32Array([1.5, -2, 3.25, 4]);
    const header = encodeSafetensorsHeader([
      { name: 'huge', dtype: 'U8', shape: [big], byteLength: big },
      { name: 'tail', dtype: 'F32', shape: [2, 2], byteLength: 16 },
    ]);
    const p = join(dir, 'sparse.safetensors');
    const fd = openSync(p, 'w');
    writeSync(fd, header);
    ftruncateSync(fd, header.length + big + 16); // sparse: no disk, no memory
    writeSync(fd, new Uint8Array(small.buffer), 0, 16, header.length + big);
    closeSync(fd);
    const before = process.memoryUsage().rss;
    const file = await openSafetensors(p);
    expect(file.info('huge').byteLength).toBe(big);
    expect(file.fileOffset('tail')).toBe(header.length + big);
    expect(Array.from(await file.readFloat32('tail'))).toEqual(Array.from(small));
    await file.close();
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('strict header checks', () => {
  const f32 = (begin: number, end: number, shape: number[]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
  const cases: Array<[string, string, Uint8Array, RegExp, bigint?]> = [
    ['not json', '{"a": ', new Uint8Array(0), /not valid JSON/],
    ['array', '[1,2]', new Uint8Array(0), /not a JSON object/],
    ['bad dtype', JSON.stringify({ a: { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }), new Uint8Array(4), /unknown dtype/],
    ['negative shape', JSON.stringify({ a: f32(0, 4, [-1]) }), new Uint8Array(4), /non-negative integers/],
    ['fractional shape', JSON.stringify({ a: f32(0, 4, [1.5]) }), new Uint8Array(4), /non-negative integers/],
    ['size mismatch', JSON.stringify({ a: f32(0, 8, [1]) }), new Uint8Array(8), /8 bytes but its dtype and shape need 4/],
    ['huge shape', JSON.stringify({ a: f32(0, 8, [2 ** 40, 2 ** 40]) }), new Uint8Array(8), /need more than/],
    ['past end', JSON.stringify({ a: f32(0, 400, [100]) }), new Uint8Array(8), /past the 8-byte data region/],
    ['overlap', JSON.stringify({ a: f32(0, 8, [2]), b: f32(4, 12, [2]) }), new Uint8Array(12), /overlaps/],
    ['gap', JSON.stringify({ a: f32(0, 4, [1]), b: f32(8, 12, [1]) }), new Uint8Array(12), /gap of 4 bytes/],
    ['trailing bytes', JSON.stringify({ a: f32(0, 4, [1]) }), new Uint8Array(12), /cover 4 of the 12/],
    ['duplicate tensor', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4), /repeats the key "a"/],
    ['duplicate field', '{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4), /repeats the key "dtype"/],
    ['unknown field', JSON.stringify({ a: { ...f32(0, 4, [1]), extra: 1 } }), new Uint8Array(4), /unknown field "extra"/],
    ['metadata not strings', JSON.stringify({ __metadata__: { a: 1 } }), new Uint8Array(0), /not a string/],
    ['ends before begins', JSON.stringify({ a: f32(4, 0, [0]) }), new Uint8Array(4), /ends before it begins/],
    ['length too small', '{}', new Uint8Array(0), /too small/, 1n],
    ['length past end', '{}', new Uint8Array(0), /runs past the end/, 1000n],
    ['length over cap', '{}', new Uint8Array(0), /exceeds the/, 2n ** 62n],
    ['not utf-8', '{"\udc80": 1}', new Uint8Array(0), /not UTF-8|not valid JSON|not an object/],
  ];
  it.each(cases)('%s', async (name, header, data, reason, lengthField) => {
    await expectInvalid(rawFile(`${name.replace(/ /g, '-')}.safetensors`, header, data, lengthField), reason);
  });

  it('rejects a file shorter than the length field and a missing file', async () => {
    const p = join(dir, 'tiny.safetensors');
    writeFileSync(p, Buffer.from([1, 2, 3]));
    await expectInvalid(p, /shorter than the 8-byte length field/);
    await expect(openSafetensors(join(dir, 'nope.safetensors'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('accepts an empty checkpoint and zero-size tensors at any offset', async () => {
    const p = rawFile('empty-ok.safetensors', JSON.stringify({ z: f32(4, 4, [0, 3]), a: f32(0, 4, [1]), y: f32(4, 4, [0]) }), new Uint8Array(4));
    const file = await openSafetensors(p);
    expect(file.names()).toEqual(['a', 'y', 'z']);
    await file.close();
  });

  it('finds duplicate keys at any depth and ignores keys inside strings and arrays', () => {
    expect(findDuplicateJsonKey('{"a":1,"b":{"c":[{"d":1},{"d":2}],"e":"\\"a\\":1"}}')).toBeUndefined();
    expect(findDuplicateJsonKey('{"a":1,"b":{"c":1,"c":2}}')).toBe('c');
    expect(findDuplicateJsonKey('{"x":[{"k":1,"k":1}]}')).toBe('k');
  });
});

describe('checkpoint folders', () => {
  async function shardedFolder(name: string, index: unknown): Promise<string> {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    await writeSafetensors(join(d, 'model-00001-of-00002.safetensors'), [
      { name: 'a', dtype: 'BF16', shape: [2, 2], data: new Uint16Array([0x3f80, 0x4000, 0x4040, 0x4080]) },
      { name: 'b', dtype: 'F32', shape: [1], data: new Float32Array([7]) },
    ]);
    await writeSafetensors(join(d, 'model-00002-of-00002.safetensors'), [{ name: 'c', dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }]);
    writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify(index));
    return d;
  }
  const goodIndex = { metadata: { total_size: 14 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } };

  it('reads tensors across shards by name', async () => {
    const src = await openCheckpointFolder(await shardedFolder('sharded', goodIndex));
    expect(src.names().sort()).toEqual(['a', 'b', 'c']);
    expect(src.totalSize).toBe(14);
    expect(src.shardOf('c')).toBe('model-00002-of-00002.safetensors');
    expect(Array.from(await src.readFloat32('a'))).toEqual([1, 2, 3, 4]);
    expect(Array.from(await src.readFloat32('c'))).toEqual([1, -2]);
    expect(src.info('b')).toEqual({ dtype: 'F32', shape: [1], byteLength: 4 });
    await expect(src.readRaw('zzz')).rejects.toMatchObject({ code: 'TENSOR_NOT_FOUND' });
    await src.close();
  });

  it.each([
    ['wrong shard', { weight_map: { ...goodIndex.weight_map, c: 'model-00001-of-00002.safetensors' } }, /does not hold it/],
    ['unlisted tensor', { weight_map: { a: goodIndex.weight_map.a, c: goodIndex.weight_map.c } }, /does not list there/],
    ['escaping path', { weight_map: { ...goodIndex.weight_map, c: '../x.safetensors' } }, /malformed/],
  ])('rejects an index with a %s', async (name, index, reason) => {
    const d = await shardedFolder(`bad-${name.replace(/ /g, '-')}`, index);
    await expect(openCheckpointFolder(d)).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID', message: expect.stringMatching(reason) });
  });

  it('opens a single-file folder and refuses an empty one', async () => {
    const d = join(dir, 'single');
    mkdirSync(d, { recursive: true });
    await writeSafetensors(join(d, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [1], data: new Float32Array([2]) }]);
    const src = await openCheckpointFolder(d);
    expect(Array.from(await src.readFloat32('w'))).toEqual([2]);
    await src.close();
    const empty = join(dir, 'empty-folder');
    mkdirSync(empty, { recursive: true });
    await expect(openCheckpointFolder(empty)).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
  });
});
