// Damages generated videos the way real files are damaged, for the extraction tests.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { VideoProbe } from '../../electron/engine/video/probe-video.js';

/** Renames an MP4's stss box to `free`: without a sync-sample table every frame counts as a keyframe. */
export function dropSyncSampleTable(path: string): void {
  const buf = readFileSync(path);
  const at = buf.indexOf('stss');
  if (at < 0) throw new Error('no stss box');
  buf.write('free', at, 'latin1');
  writeFileSync(path, buf);
}

/** Flips bits in the middle of the video packet at position `index` (pts order) of the file. */
export function damagePacket(path: string, probe: VideoProbe, index: number): void {
  const listing = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', String(probe.streamIndex), '-show_entries', 'packet=pts,pos,size', '-of', 'json', path], { encoding: 'utf8' })) as { packets: { pts: number; pos: string; size: string }[] };
  const packet = listing.packets.find((p) => p.pts === probe.packets.pts[index]);
  if (packet === undefined) throw new Error(`no packet with pts ${probe.packets.pts[index]}`);
  const [pos, size] = [Number(packet.pos), Number(packet.size)];
  const buf = readFileSync(path);
  for (let i = pos + Math.floor(size / 3); i < pos + Math.floor((2 * size) / 3); i += 11) buf[i]! ^= 0x5a;
  writeFileSync(path, buf);
}
