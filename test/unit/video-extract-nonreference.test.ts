// Skipping non-reference pictures (h264-reference-pictures.ts): a clip whose wanted pictures are
// all reference pictures is decoded with `-skip_frame noref`, and its frames still equal a
// whole-file decode; a clip with a non-reference wanted picture is decoded in full; a picture
// wrongly taken for a reference picture costs a second run, never a wrong frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { extractClipFrames, type ClipRequest, type ExtractedClip } from '../../electron/engine/video/extract-clip-frames.js';
import { classifyH264Packet, h264ReferencePictures } from '../../electron/engine/video/h264-reference-pictures.js';
import { probeVideo, type VideoProbe } from '../../electron/engine/video/probe-video.js';
import { makeTempDir } from '../helpers/paths.js';
import { decoderReferencePts, framesUnlikeWholeDecode } from '../helpers/whole-decode.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('video-extract-nonreference');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function extractAll(probe: VideoProbe, requests: ClipRequest[], options: { clipsPerRun?: number } = {}): Promise<ExtractedClip[]> {
  const out: ExtractedClip[] = [];
  for await (const clip of extractClipFrames(probe, requests, options)) out.push(clip);
  return out;
}

/** Length-prefixed NAL units (4-byte lengths) from [header byte, payload size] pairs. */
function avcc(...units: [number, number][]): Uint8Array {
  const parts = units.map(([header, size]) => {
    const unit = new Uint8Array(4 + 1 + size);
    new DataView(unit.buffer).setUint32(0, 1 + size);
    unit[4] = header;
    return unit;
  });
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('H.264 reference pictures', () => {
  it('reads nal_ref_idc from length-prefixed packets, and says nothing of bytes that are not such a packet', () => {
    const aud = 0x09;
    const sei = 0x06;
    expect(classifyH264Packet(avcc([aud, 1], [sei, 20], [0x65, 300]))).toBe('reference'); // IDR, nal_ref_idc 3
    expect(classifyH264Packet(avcc([0x41, 50], [0x41, 40]))).toBe('reference'); // two slices, nal_ref_idc 2
    expect(classifyH264Packet(avcc([aud, 1], [0x01, 50]))).toBe('non-reference'); // nal_ref_idc 0
    expect(classifyH264Packet(avcc([0x21, 50], [0x01, 50]))).toBe('non-reference'); // a reference field and a non-reference one
    expect(classifyH264Packet(avcc([sei, 20]))).toBeUndefined(); // no slice
    expect(classifyH264Packet(avcc([0xc1, 20]))).toBeUndefined(); // forbidden_zero_bit set
    const truncated = avcc([0x41, 50]).subarray(0, 30);
    expect(classifyH264Packet(truncated)).toBeUndefined();
    const twoByteLengths = Uint8Array.from([0, 3, 0x41, 1, 2]); // 2-byte lengths: not what is read
    expect(classifyH264Packet(twoByteLengths)).toBeUndefined();
  });

  it("agrees with FFmpeg's decoder on every picture of an x264 B-pyramid MP4; outside MP4 nothing is called a reference picture", async () => {
    const path = join(dir, 'pyramid.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25:d=8', '-c:v', 'libx264', '-preset', 'veryfast', '-x264-params', 'keyint=25:min-keyint=25:scenecut=0:bframes=3:b-pyramid=normal', path]);
    const probe = await probeVideo(path);
    const oracle = decoderReferencePts(path);
    const positions = probe.packets.pts.map((_, i) => i);
    const known = await h264ReferencePictures(probe, positions);
    expect(known).toEqual(probe.packets.pts.map((p) => oracle.has(p)));
    expect(known.filter((k) => !k).length).toBeGreaterThan(probe.frameCount / 10); // the pyramid's non-reference B-pictures
    const mkv = join(dir, 'pyramid.mkv');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path, '-c', 'copy', mkv]);
    const inMkv = await probeVideo(mkv);
    expect((await h264ReferencePictures(inMkv, positions)).every((k) => !k)).toBe(true);
  });
});

describe('extraction that skips non-reference pictures', () => {
  it('skips them only for clips whose wanted pictures are all reference pictures, and gives the frames of a whole-file decode', async () => {
    const path = join(dir, 'pyramid.mp4');
    const probe = await probeVideo(path);
    const oracle = decoderReferencePts(path);
    const isRef = (i: number) => oracle.has(probe.packets.pts[i]!);
    const refs = probe.packets.pts.map((_, i) => i).filter((i) => i > 30 && isRef(i));
    const nonRef = probe.packets.pts.map((_, i) => i).filter((i) => i > 30 && !isRef(i));
    const requests: ClipRequest[] = [
      { index: 0, frameIndices: refs.slice(0, 4) },
      { index: 1, frameIndices: [nonRef[4]!, nonRef[4]! + 3, nonRef[4]! + 6, nonRef[4]! + 9] },
      { index: 2, frameIndices: refs.slice(40, 44) },
      { index: 3, frameIndices: [nonRef[30]!, nonRef[30]! + 1, nonRef[30]! + 2, nonRef[30]! + 3] },
    ];
    for (const clipsPerRun of [4, 1]) {
      const clips = await extractAll(probe, requests, { clipsPerRun });
      expect(clips.map((c) => c.attempts.map((a) => a.skippedNonReference))).toEqual([[true], [false], [true], [false]]);
      expect(clips.every((c) => c.attempts[0]!.missing === 0 && c.damagedTimes.length === 0)).toBe(true);
      expect(framesUnlikeWholeDecode(probe, clips)).toEqual([]);
    }
  });

  it('a picture wrongly taken for a reference picture (the file changed since the probe) is decoded again at the same keyframe without skipping', async () => {
    const path = join(dir, 'pyramid.mp4');
    const clean = await probeVideo(path);
    const oracle = decoderReferencePts(path);
    const nonRef = clean.packets.pts.map((_, i) => i).filter((i) => i > 30 && !oracle.has(clean.packets.pts[i]!));
    const ref = clean.packets.pts.map((_, i) => i).find((i) => oracle.has(clean.packets.pts[i]!))!;
    const wanted = [nonRef[3]!, nonRef[3]! + 4, nonRef[3]! + 8, nonRef[3]! + 12];
    // every wanted packet's bytes now point at a reference picture's
    const offsets = [...clean.packets.offsets!];
    const sizes = [...clean.packets.sizes!];
    for (const i of wanted) {
      offsets[i] = clean.packets.offsets![ref]!;
      sizes[i] = clean.packets.sizes![ref]!;
    }
    const probe: VideoProbe = { ...clean, packets: { ...clean.packets, offsets, sizes } };
    const [clip] = await extractAll(probe, [{ index: 0, frameIndices: wanted }]);
    const [first, second] = clip!.attempts;
    expect(clip!.attempts).toHaveLength(2);
    expect(first).toMatchObject({ skippedNonReference: true });
    expect(first!.missing).toBeGreaterThan(0);
    expect(second).toMatchObject({ skippedNonReference: false, missing: 0, damaged: 0, fromSeconds: first!.fromSeconds });
    expect(framesUnlikeWholeDecode(probe, [clip!])).toEqual([]);
  });
});
