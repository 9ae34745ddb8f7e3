// Puts an Ogg Skeleton stream (a data stream to ffmpeg) in front of an Ogg file's streams, as
// some encoders (ffmpeg2theora, oggz) write it: the first stream of the file is then not video.
import { readFileSync, writeFileSync } from 'node:fs';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

function oggCrc(page: Buffer): number {
  let crc = 0;
  for (const b of page) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc >>> 0;
}

function oggPage(headerType: number, serial: number, sequence: number, packet: Buffer): Buffer {
  const head = Buffer.alloc(27 + 1);
  head.write('OggS', 0, 'latin1');
  head[5] = headerType;
  head.writeBigInt64LE(0n, 6);
  head.writeUInt32LE(serial, 14);
  head.writeUInt32LE(sequence, 18);
  head[26] = 1; // one segment (packets here are < 255 bytes)
  head[27] = packet.length;
  const page = Buffer.concat([head, packet]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/** Rewrites `path` with a Skeleton 3.0 stream first (its header page before every other stream's, its end right after). */
export function prependOggSkeleton(path: string): void {
  const file = readFileSync(path);
  if (file.toString('latin1', 0, 4) !== 'OggS') throw new Error(`${path} is not an Ogg file`);
  const fishead = Buffer.alloc(80);
  fishead.write('fishead\0', 0, 'latin1');
  fishead.writeUInt16LE(3, 8); // version 3.0
  fishead.writeUInt16LE(0, 10);
  fishead.writeBigInt64LE(0n, 12); // presentation time 0/1000
  fishead.writeBigInt64LE(1000n, 20);
  fishead.writeBigInt64LE(0n, 28); // base time 0/1000
  fishead.writeBigInt64LE(1000n, 36);
  const serial = 0x5ce1e7;
  const bos = oggPage(0x02, serial, 0, fishead);
  const eos = oggPage(0x04, serial, 1, Buffer.alloc(0));
  // the first page of the file is the video's header page: skeleton BOS, video BOS, skeleton EOS, rest
  const firstLen = 27 + file[26]! + [...file.subarray(27, 27 + file[26]!)].reduce((a, b) => a + b, 0);
  writeFileSync(path, Buffer.concat([bos, file.subarray(0, firstLen), eos, file.subarray(firstLen)]));
}
