// Which of a clip's H.264 pictures are reference pictures (nal_ref_idc ≠ 0 in every slice), read
// from the NAL unit headers of their packets in an MP4/QuickTime file (length-prefixed NAL units,
// the packet's byte offset and size from the packet scan).
//
// Why: a clip is decoded from the keyframe before it, and the frames between are decoded only so
// that the wanted ones can be. A non-reference picture is, by the H.264 standard (7.4.1), never used
// to predict another, so when every wanted picture is a reference picture the decoder may skip the
// non-reference ones (`-skip_frame noref`, which FFmpeg's decoder decides by the same nal_ref_idc)
// and give the wanted pictures bit for bit as a full decode does: about a sixth of the frames of
// x264's default B-pyramid, less work for every clip.
//
// A wrong answer here can only cost time, never pixels: a picture wrongly called "reference" is
// skipped, so its frame is missing and the clip is decoded again without skipping; one wrongly
// called "non-reference" only keeps the decoder from skipping.
import { open } from 'node:fs/promises';
import type { VideoProbe } from './probe-video.js';

/** Packets larger than this are not read (an intra frame of 8K video is ~10 MB). */
const MAX_PACKET_BYTES = 32 << 20;

/**
 * The VCL (slice) NAL units' nal_ref_idc of one packet of length-prefixed (4-byte) NAL units:
 * 'reference' when every slice has nal_ref_idc ≠ 0, 'non-reference' when one has 0, undefined when
 * the bytes are not such a packet (another length size, a truncated or damaged packet).
 */
export function classifyH264Packet(data: Uint8Array): 'reference' | 'non-reference' | undefined {
  let at = 0;
  let slices = 0;
  let nonReference = false;
  while (at < data.length) {
    if (at + 5 > data.length) return undefined;
    const length = ((data[at]! << 24) >>> 0) + (data[at + 1]! << 16) + (data[at + 2]! << 8) + data[at + 3]!;
    if (length === 0 || at + 4 + length > data.length) return undefined;
    const header = data[at + 4]!;
    if (header & 0x80) return undefined; // forbidden_zero_bit
    const type = header & 0x1f;
    if (type >= 1 && type <= 5) {
      slices++;
      if ((header & 0x60) === 0) nonReference = true;
    }
    at += 4 + length;
  }
  if (slices === 0) return undefined;
  return nonReference ? 'non-reference' : 'reference';
}

/** Whether this probe's packets can be read this way: H.264 in an MP4/QuickTime file, with offsets. */
export function h264PacketsReadable(probe: Pick<VideoProbe, 'codec' | 'formatName' | 'packets'>): boolean {
  return probe.codec === 'h264' && /(^|,)mov(,|$)/.test(probe.formatName) && probe.packets.offsets !== undefined && probe.packets.sizes !== undefined;
}

/**
 * For each position (in pts order), whether the picture is known to be a reference picture: true
 * only when its packet was read and every slice has nal_ref_idc ≠ 0. False for anything else (not
 * H.264 in MP4, an unreadable file, a non-reference picture, bytes that do not parse).
 */
export async function h264ReferencePictures(probe: Pick<VideoProbe, 'path' | 'codec' | 'formatName' | 'packets'>, positions: readonly number[]): Promise<boolean[]> {
  const known = positions.map(() => false);
  if (!h264PacketsReadable(probe) || positions.length === 0) return known;
  const offsets = probe.packets.offsets!;
  const sizes = probe.packets.sizes!;
  let file;
  try {
    file = await open(probe.path, 'r');
  } catch {
    return known;
  }
  try {
    for (const [i, position] of positions.entries()) {
      const offset = offsets[position];
      const size = sizes[position];
      if (offset === undefined || size === undefined || offset < 0 || size <= 0 || size > MAX_PACKET_BYTES) continue;
      const data = new Uint8Array(size);
      const { bytesRead } = await file.read(data, 0, size, offset);
      if (bytesRead !== size) continue;
      known[i] = classifyH264Packet(data) === 'reference';
    }
  } catch {
    // an unreadable file: the clip is decoded without skipping
  } finally {
    await file.close();
  }
  return known;
}
