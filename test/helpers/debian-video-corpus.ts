// Real videos made by other people, from Debian (bookworm) packages: documentation, games, tools and
// other projects' test data. Fetched into the test cache on first use (`apt-get download PKG=VERSION`
// + `dpkg-deb`, no root needed; never committed). Each entry pins the package version and the
// SHA-256 of the file, so a package that changed (a new version, a replaced file) is named with a
// clear message instead of testing something else; only an unreachable repository skips the tests.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface CorpusVideo {
  /** Debian package (bookworm, main) that ships the file. */
  package: string;
  /** The package version the file was checked in (apt-get download PKG=VERSION). */
  version: string;
  /** Path inside the package. */
  path: string;
  /** SHA-256 of the file as the package ships it. */
  sha256: string;
  /** Container and codec as ffprobe names them, and why the file is here. */
  container: string;
  codec: string;
  note: string;
  /** Which of issue 13's categories the file covers (container, codec, feature). */
  covers: string[];
  /**
   * A stream that declares no average rate (avg_frame_rate 0/0, so decord's get_avg_fps() is NaN and
   * the reference would divide by it): the rate the app derives, as a player times the frames.
   */
  derivedFps?: number;
  /**
   * The warnings extraction gives for this file (none when absent): FRAMES_DAMAGED for damage a
   * decode from the start still reports, FRAMES_MISSING for listed frames the decoder never gives.
   */
  warns?: ('damaged' | 'missing')[];
  /** An input Apollo refuses, with this error code (a still picture made by others). */
  refused?: 'STILL_IMAGE';
}

const MECAVIDEO = { package: 'python3-mecavideo', version: '8.0~rc5-1' };
const MIMETYPE = { package: 'golang-github-gabriel-vasile-mimetype-dev', version: '1.4.1+dfsg1-2' };
const MIMETYPE_DATA = 'usr/share/gocode/src/github.com/gabriel-vasile/mimetype/testdata';
const FORENSICS = { package: 'forensics-samples-files', version: '1.1.4-5' };
const FORENSICS_DATA = 'usr/share/forensics-samples/original-files';
const OPENCV = { package: 'opencv-doc', version: '4.6.0+dfsg-12' };
const GEM = { package: 'gem-doc', version: '1:0.94-8' };

export const DEBIAN_VIDEO_CORPUS: CorpusVideo[] = [
  { package: 'openshot-qt', version: '2.6.1+dfsg1-3', path: 'usr/lib/python3/dist-packages/openshot_qt/resources/hardware-example.mp4', sha256: '74d9e2378cbfe67a23ab56a7b886a5734a3cdd1c5b76fae5e92b77e0cd1557ce', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: 'H.264 High 720p with AAC, 10 frames', covers: ['MP4', 'H.264 4:2:0'] },
  { ...GEM, path: 'usr/share/gem/examples/data/anim-1.mov', sha256: '94a4eb6b15230523f8acbbab16ad5dd5f4c292dd79a834765a66a251901b574c', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'mjpeg', note: 'QuickTime MOV, Motion JPEG 4:2:2', covers: ['MOV'] },
  { ...GEM, path: 'usr/share/gem/examples/data/homer.avi', sha256: '67a27cf9f5f56a348a0fa1e3dc9131005d0414fb6e2e9113112552d86f9fccf1', container: 'avi', codec: 'indeo3', note: 'AVI, Indeo 3 (YUV 4:1:0)', covers: ['AVI'] },
  { ...GEM, path: 'usr/share/gem/examples/data/alea.mpg', sha256: '828146ae415389d8392b9bf7b22c11315b91012dc4977c3ae3f4b8fd752a2b70', container: 'mpegvideo', codec: 'mpeg1video', note: 'MPEG-1 elementary stream', covers: [] },
  { package: 'gnome-user-docs', version: '43.0-2', path: 'usr/share/help/C/gnome-help/figures/display-dual-monitors.webm', sha256: 'a4dbcf2b9b702f9dcadec0980020915f83a64dafe41052921bd416b2768304d9', container: 'matroska,webm', codec: 'vp8', note: 'WebM VP8 screencast, 1024×768', covers: ['WebM', 'VP8'] },
  { package: 'renpy-demo', version: '8.0.3+dfsg-1', path: 'usr/share/games/renpy/demo/game/oa4_launch.webm', sha256: '1a32f2934354c655d5687d1628269e24796dfd75d5a7847ae8d886bf38d0a992', container: 'matroska,webm', codec: 'vp8', note: 'WebM VP8 with Vorbis, a game movie', covers: ['WebM', 'VP8'] },
  { ...OPENCV, path: 'usr/share/doc/opencv-doc/examples/data/Megamind.avi', sha256: '0057387cb7e75c8fd1663b62cfdc51fa53f527795d0fe3c1fea2fd159d3130b5', container: 'avi', codec: 'mpeg4', note: 'AVI, MPEG-4 part 2 ASP with packed B-frames (a listed frame the decoder never gives) and AC-3', covers: ['AVI', 'MPEG-4 part 2'], warns: ['missing'] },
  { ...OPENCV, path: 'usr/share/doc/opencv-doc/examples/data/Megamind_bugy.avi', sha256: 'b82dd32d5444031d1a46a133e7554be7b80c54d12e3503a1b1332a540218e22c', container: 'avi', codec: 'mpeg4', note: "AVI, MPEG-4 part 2, OpenCV's 'buggy' sample", covers: ['AVI', 'MPEG-4 part 2'], warns: ['missing'] },
  { ...OPENCV, path: 'usr/share/doc/opencv-doc/examples/data/tree.avi', sha256: '4666099d0f704e310047b2f0a5ec9f936cb76a7271de9a2e70a0c57f82ac82dc', container: 'avi', codec: 'cinepak', note: 'AVI, Cinepak with dropped-frame chunks (444 listed, 68 packets)', covers: ['AVI'] },
  { ...OPENCV, path: 'usr/share/doc/opencv-doc/examples/data/vtest.avi', sha256: '45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf', container: 'avi', codec: 'msmpeg4v3', note: 'AVI, MS MPEG-4 v3 (DivX 3), 795 frames', covers: ['AVI'] },
  { ...OPENCV, path: 'usr/share/doc/opencv-doc/opencv4/html/houghlinesdemo.gif', sha256: '0353527ec01abd361107db4c12d03f52b6a4cbd39b846ccfe8a99bf8d3cab597', container: 'gif', codec: 'gif', note: 'animated GIF, 88 frames at 2 fps', covers: [] },
  { ...OPENCV, path: 'usr/share/doc/opencv-doc/opencv4/html/camshift_face.gif', sha256: '4f567e13b012b2f3c9abd0e3244e934342bf293af034ad2dea3f2c5fa94ce524', container: 'gif', codec: 'gif', note: "animated GIF at 1 fps (the plan's low-fps branch: frames repeat)", covers: [] },
  { ...OPENCV, path: 'usr/share/doc/opencv-doc/opencv4/html/morph6.gif', sha256: '6e899381a19cd38b33b5a27001550d93fdd6b5942bd7bb29b58b5240e849f5d4', container: 'gif', codec: 'gif', note: 'a still GIF', covers: [], refused: 'STILL_IMAGE' },
  // Files that cover the codecs, containers and stream features the first twelve did not.
  { package: 'python3-imageio', version: '2.4.1-5', path: 'usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4', sha256: '5fde35f5a288ca86e216d2dc28188ab64b4560d3021f273faefdf0de80f38aa5', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: "H.264 High 4:4:4 Predictive 720p, x264 scene-cut keyframes, B-frames, an edit list (issue 13's green-frames file)", covers: ['MP4', 'H.264 4:4:4', 'edit list'] },
  { package: 'libgtkmm-4.0-doc', version: '4.8.0-3', path: 'usr/share/doc/libgtkmm-4.0-dev/examples/gtk-demo/gtk-logo.webm', sha256: '02bf374ecbecb8178775307d1aaf2da1e2587e4631485845ecae50ad650f3e64', container: 'matroska,webm', codec: 'vp9', note: "WebM VP9 profile 0, GTK demo's logo animation", covers: ['WebM', 'VP9'] },
  { ...MECAVIDEO, path: 'usr/share/pymecavideo/data/video/balle1-vp9.avi', sha256: '7d1e3de70031f8cdae5bb9727b0d1023b3126c89b5dec1c622175bb27610f35a', container: 'avi', codec: 'vp9', note: 'AVI, VP9 high-speed camera clip, 300 frames at 187 fps', covers: ['AVI', 'VP9'] },
  { ...MECAVIDEO, path: 'usr/share/pymecavideo/data/video/Effet_force_magnetique.ogv', sha256: '14fd069df7ff3ba4ac743973dcd7bf07f3b6de27686dce500e51dd469271709e', container: 'ogg', codec: 'theora', note: 'Ogg Theora without an average rate (avg_frame_rate 0/0, r_frame_rate 25/1)', covers: ['Ogg', 'Theora'], derivedFps: 25 },
  { ...MECAVIDEO, path: 'usr/share/pymecavideo/data/video/Force_constante.avi', sha256: 'b122890388c6550820132ac3dd972610ec68747b721b6877ca03b7c9eae95356', container: 'avi', codec: 'mpeg4', note: 'AVI, MPEG-4 part 2 Advanced Simple with packed B-frames (a listed frame the decoder never gives)', covers: ['AVI', 'MPEG-4 part 2'], warns: ['missing'] },
  { package: 'gnome-devel-docs', version: '40.3-1', path: 'usr/share/help/C/gnome-devel-demos/media/message-board.ogv', sha256: '8552af0b2d91c8f402faa027c3c109a44256f1e793dc9ddfc1fb0451321b539b', container: 'ogg', codec: 'theora', note: 'Ogg Theora 4:4:4 screencast without an average rate whose frames skip times (182 frames over 21.7 s at a 10/1 r_frame_rate): timed by its packets', covers: ['Ogg', 'Theora', 'VFR'], derivedFps: 182 / (217 / 10) },
  { ...MIMETYPE, path: `${MIMETYPE_DATA}/avifsequence.avif`, sha256: 'f9dc70ba5f83c90c673fb14c940ffbb81748571e12a69cc57fb1e9a3998ec29b', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'av1', note: 'AV1 High 4:4:4 image sequence (AVIF) with an alpha track, 11 frames, the last one half as long', covers: ['AV1', 'VFR'] },
  { ...MIMETYPE, path: `${MIMETYPE_DATA}/mkv.mkv`, sha256: '6c6135a4dfdd19c5d9c55918b9501440bc0e250350c7de1a6e803b13469dbd64', container: 'matroska,webm', codec: 'mpeg4', note: 'Matroska, MPEG-4 part 2 Simple 720p, two recordings joined: the timestamps start again at 0 after 57 frames', covers: ['MKV', 'MPEG-4 part 2'] },
  { ...MIMETYPE, path: `${MIMETYPE_DATA}/ogg.ogv`, sha256: '9fd8790bf0e02ed72864eededf0dd4229403272cd3c97dd47ba7cde60d7a8771', container: 'ogg', codec: 'theora', note: 'Ogg Theora that declares its rate (30/1)', covers: ['Ogg', 'Theora'] },
  { ...MIMETYPE, path: `${MIMETYPE_DATA}/3gp.3gp`, sha256: '9dfe29eac0055af8e524e3474d9fb262e4cb4dc057e41f6cd253b532a5f40e29', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h263', note: '3GP, H.263 CIF', covers: [] },
  { ...MIMETYPE, path: `${MIMETYPE_DATA}/asf.asf`, sha256: 'a0e7267e0145ef5d38dca3f5ef7b5e03587a7765b0cdccc4477e771000410624', container: 'asf', codec: 'wmv2', note: 'ASF, Windows Media Video 8', covers: [] },
  { ...MIMETYPE, path: `${MIMETYPE_DATA}/avif.avif`, sha256: 'e26d4b64773212bc96bd53bcf29cfd6ee6dd3675b2a1882a8577500094a292b1', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'av1', note: 'a still AVIF (one AV1 frame)', covers: [], refused: 'STILL_IMAGE' },
  { ...FORENSICS, path: `${FORENSICS_DATA}/movie1/VID_20191220_170832.mp4`, sha256: '9b0710a436413f75cc3cd1c1048aa3c4d7c28f76f51ef6a25413d0018d22ec99', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: "a phone's 1080p recording, variable frame rate (frames 33 ms apart but one 185 ms gap)", covers: ['MP4', 'H.264 4:2:0', 'VFR'] },
  { ...FORENSICS, path: `${FORENSICS_DATA}/movie2/movie-hello.mp4`, sha256: '68162af4e15b20fb61261e55de79e989f53d6295f6226b4bda1905b8c40e9676', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: 'H.264 720p whose edit list starts with an empty edit (the video starts 17 ms late)', covers: ['MP4', 'edit list'] },
  { ...FORENSICS, path: `${FORENSICS_DATA}/movie2/movie-hello.mpeg`, sha256: '6a7de01a1606c17b819f6548f2c89d30512a8e7528c529141409c51c3bd141a6', container: 'mpeg', codec: 'mpeg2video', note: 'MPEG-2 program stream with open GOPs (closed_gop=0: the B-frames before each I-frame need the previous GOP)', covers: ['open GOP'] },
  { ...FORENSICS, path: `${FORENSICS_DATA}/movie2/movie-hello.avi`, sha256: 'eac488b5793f5428ea70f064abbf28941b4ede26824aec1808fcb528c64b1587', container: 'avi', codec: 'h264', note: 'AVI, H.264 High', covers: ['AVI', 'H.264 4:2:0'] },
  { ...FORENSICS, path: `${FORENSICS_DATA}/movie2/movie-hello.ogg`, sha256: '20e0b2d1c2c6a8c06fa3c2f165036be5a4cad8b6150bff76966a8e64e2541ea7', container: 'ogg', codec: 'theora', note: 'Ogg (.ogg) Theora with Vorbis, no average rate, four skipped frame times (242 frames over 246 ticks of 1001/30000 s): timed by its packets', covers: ['Ogg', 'Theora', 'VFR'], derivedFps: 242 / ((246 * 1001) / 30000) },
  { package: 'k3b-data', version: '22.12.3-1', path: 'usr/share/k3b/extra/k3bphotovcd.mpg', sha256: '056b812d6e868a81928652d1680bb11a377bea0abce89e1db60803be220c045b', container: 'mpeg', codec: 'mpeg1video', note: "MPEG-1 program stream (K3b's Video CD), open GOPs", covers: ['open GOP'] },
  { package: 'janus-demos', version: '1.1.2-1', path: 'usr/share/janus/demos/surround/ChID-BLITS-EBU.mp4', sha256: 'd5b992bc0fee41666c3cb20e83b29b10bb29544fbcaa351bb820278377747e59', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: 'H.264 Main 8 fps whose edit list starts two frames into the media (GPAC)', covers: ['MP4', 'edit list'] },
  { package: 'pampi', version: '1.1+dfsg1-7', path: 'usr/share/pampi/presentations/data/pampi-help/tour.mp4', sha256: '91710dd894ba07c35dbbe7b808f67fca67e64568a1aa0b61019b47a6ee18f02a', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: 'H.264 screencast whose edit list points before its first keyframe and whose first IDR has a broken slice (a whole decode reports it too): named damaged up to the next keyframe', covers: ['MP4', 'edit list'], warns: ['damaged'] },
  { package: 'psychtoolbox-3-common', version: '3.0.18.12.dfsg1-1.1', path: 'usr/share/psychtoolbox-3/PsychDemos/MovieDemos/DualDiscs.mov', sha256: '23056ae14d8ef73e6c1f51e400bae945c43c026b93f3d8c609d09d91141ae6ae', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: 'QuickTime H.264 Main with its audio track first and an odd height (640×465 in 4:2:0), average rate 12400/509', covers: ['MOV', 'H.264 4:2:0'] },
  { package: 'openboard-common', version: '1.6.4+dfsg-1', path: 'usr/share/openboard/library/videos/wannaworktogether.mp4', sha256: '0659d8c895e01fd01490dc55d2ff9117fb8f3f19b3e1b8198856d8c0e3d612fb', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: 'H.264 Constrained Baseline at an NTSC rate (30000/1001), 3 minutes, with AAC', covers: ['MP4', 'H.264 4:2:0'] },
  { package: 'planetblupi-common', version: '1.14.2-3', path: 'usr/share/planetblupi/movie/play101.mkv', sha256: '0494a7345c5ccc5d4d1882fee5d430db9a7f9eb38fc5ddd375a85b1185b1f114', container: 'matroska,webm', codec: 'msvideo1', note: "Matroska, Microsoft Video 1 (RGB555) with Vorbis at 1506/125 fps, a game's movie", covers: ['MKV'] },
  { package: 'coccinella', version: '0.96.20-9', path: 'usr/share/coccinella/lib/FakeSample.mov', sha256: 'ffd7d082dffa166470c6d0456e755bcf28dd81ac92c6c3509278de72ba5a0c1e', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'rpza', note: 'QuickTime, Apple Video (RPZA, RGB555) at 190×240 with QDesign audio', covers: ['MOV'] },
];

/** The test cache (git-ignored `.cache/`, or APOLLO_TEST_CACHE). */
export const corpusDir = join(process.env.APOLLO_TEST_CACHE ?? join(repoRoot, '.cache', 'test-cache'), 'debian-videos');

/** Where a file lies in the cache: by package and version, so a new pin never reuses an old file. */
export const localPathOf = (v: CorpusVideo): string => join(corpusDir, `${v.package}_${v.version.replace(/:/g, '%3a')}`, v.path);

export interface CorpusFetch {
  /** Why the corpus cannot be fetched at all (no apt-get, no package lists, no network): the tests skip. */
  unavailable?: string;
  /** Files whose package changed (pinned version gone, file moved or different): those tests fail with this message. */
  changed: Map<CorpusVideo, string>;
}

const sha256Of = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** apt's answer when it cannot reach the repository (as opposed to a package or version it does not list). */
const NETWORK_FAILURE = /Failed to fetch|Could not resolve|Temporary failure resolving|Could not connect|Connection failed|Network is unreachable|timed out|No route to host|Unable to connect/i;

/**
 * Fetches every pinned package whose files are not in the cache yet, then checks each file's
 * SHA-256. `unavailable` says why nothing can be fetched; `changed` names each file that the pinned
 * package no longer gives as it was.
 */
export function fetchDebianVideoCorpus(corpus: CorpusVideo[] = DEBIAN_VIDEO_CORPUS): CorpusFetch {
  const changed = new Map<CorpusVideo, string>();
  const pins = [...new Map(corpus.filter((v) => !existsSync(localPathOf(v))).map((v) => [`${v.package}=${v.version}`, v])).values()];
  if (pins.length > 0 && spawnSync('apt-get', ['--version']).status !== 0) return { unavailable: 'apt-get is not available on this machine, so the Debian packages that hold the corpus cannot be downloaded', changed };
  for (const pin of pins) {
    const pkg = pin.package;
    const work = join(corpusDir, `.download-${pkg}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      const run = spawnSync('apt-get', ['download', '-q', `${pkg}=${pin.version}`], { cwd: work, encoding: 'utf8', timeout: 600_000 });
      const said = (run.stderr || run.stdout || String(run.error ?? '')).trim().split('\n').pop() ?? '';
      const files = corpus.filter((v) => v.package === pkg && v.version === pin.version);
      if (run.status !== 0) {
        if (NETWORK_FAILURE.test(`${run.stderr}\n${run.stdout}`) || run.error !== undefined) return { unavailable: `\`apt-get download ${pkg}=${pin.version}\` could not reach the repository (${said}); check the network`, changed };
        // apt knows the package but not the pinned version: the package changed under the pin
        const known = spawnSync('apt-cache', ['madison', pkg], { encoding: 'utf8' }).stdout.trim();
        if (known === '') {
          // no package lists at all (a machine where `apt-get update` never ran) skips; lists without this package mean it left the archive
          if (spawnSync('apt-cache', ['madison', 'dpkg'], { encoding: 'utf8' }).stdout.trim() === '') return { unavailable: `apt has no package lists (${said}); run \`apt-get update\` (as root) so the packages can be downloaded`, changed };
          for (const v of files) changed.set(v, `${pkg} (pinned at ${pin.version} for ${v.path}) is no longer in the apt repository; find the file elsewhere or drop the entry in test/helpers/debian-video-corpus.ts`);
          continue;
        }
        const versions = known.split('\n').map((l) => l.split('|')[1]?.trim()).join(', ');
        for (const v of files) changed.set(v, `${pkg} ${pin.version} (pinned for ${v.path}) is no longer in the apt repository, which has ${versions}; check the file in the new version and update the pin (version and SHA-256) in test/helpers/debian-video-corpus.ts`);
        continue;
      }
      const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
      if (deb === undefined) return { unavailable: `\`apt-get download ${pkg}=${pin.version}\` wrote no .deb`, changed };
      const dest = localPathOf(files[0]!).slice(0, -files[0]!.path.length);
      mkdirSync(dest, { recursive: true });
      const debPath = join(work, deb);
      const inside = new Set(execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -t', 'sh', debPath], { maxBuffer: 1 << 28, encoding: 'utf8' }).split('\n'));
      const present = files.filter((v) => inside.has(`./${v.path}`));
      for (const v of files.filter((f) => !present.includes(f))) changed.set(v, `${pkg} ${pin.version} no longer holds ${v.path}; update the corpus entry in test/helpers/debian-video-corpus.ts`);
      if (present.length > 0) execFileSync('sh', ['-c', 'deb="$1"; dest="$2"; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" -- "$@"', 'sh', debPath, dest, ...present.map((v) => `./${v.path}`)]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  for (const v of corpus) {
    if (changed.has(v)) continue;
    const path = localPathOf(v);
    if (!existsSync(path)) {
      changed.set(v, `${v.path} is not in the cache after downloading ${v.package} ${v.version}`);
      continue;
    }
    const sum = sha256Of(path);
    if (sum !== v.sha256) changed.set(v, `${v.path} from ${v.package} ${v.version} has SHA-256 ${sum}, not the pinned ${v.sha256}: the package's file changed (or the cache at ${path} is damaged; delete it to fetch it again); check the new file and update the pin in test/helpers/debian-video-corpus.ts`);
  }
  return { changed };
}
