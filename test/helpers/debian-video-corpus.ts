// Real videos made by other people, from Debian packages (documentation, games, tools), fetched
// into the test cache on first use (`apt-get download` + `dpkg-deb`, no root needed; never
// committed). Each entry names the package, the file inside it and what it is.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface CorpusVideo {
  /** Debian package (bookworm) that ships the file. */
  package: string;
  /** Path inside the package. */
  path: string;
  /** Container and codec as ffprobe names them, and why the file is here. */
  container: string;
  codec: string;
  note: string;
  /** An input Apollo refuses, with this error code (a still picture made by others). */
  refused?: 'STILL_IMAGE';
}

export const DEBIAN_VIDEO_CORPUS: CorpusVideo[] = [
  { package: 'openshot-qt', path: 'usr/lib/python3/dist-packages/openshot_qt/resources/hardware-example.mp4', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', note: 'H.264 High 720p with AAC, 10 frames' },
  { package: 'gem-doc', path: 'usr/share/gem/examples/data/anim-1.mov', container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'mjpeg', note: 'QuickTime MOV, Motion JPEG 4:2:2' },
  { package: 'gem-doc', path: 'usr/share/gem/examples/data/homer.avi', container: 'avi', codec: 'indeo3', note: 'AVI, Indeo 3 (YUV 4:1:0)' },
  { package: 'gem-doc', path: 'usr/share/gem/examples/data/alea.mpg', container: 'mpegvideo', codec: 'mpeg1video', note: 'MPEG-1 elementary stream' },
  { package: 'gnome-user-docs', path: 'usr/share/help/C/gnome-help/figures/display-dual-monitors.webm', container: 'matroska,webm', codec: 'vp8', note: 'WebM VP8 screencast, 1024×768' },
  { package: 'renpy-demo', path: 'usr/share/games/renpy/demo/game/oa4_launch.webm', container: 'matroska,webm', codec: 'vp8', note: 'WebM VP8 with Vorbis, a game movie' },
  { package: 'opencv-doc', path: 'usr/share/doc/opencv-doc/examples/data/Megamind.avi', container: 'avi', codec: 'mpeg4', note: 'AVI, MPEG-4 part 2 ASP with packed B-frames (a listed frame the decoder never gives) and AC-3' },
  { package: 'opencv-doc', path: 'usr/share/doc/opencv-doc/examples/data/Megamind_bugy.avi', container: 'avi', codec: 'mpeg4', note: "AVI, MPEG-4 part 2, OpenCV's 'buggy' sample" },
  { package: 'opencv-doc', path: 'usr/share/doc/opencv-doc/examples/data/tree.avi', container: 'avi', codec: 'cinepak', note: 'AVI, Cinepak with dropped-frame chunks (444 listed, 68 packets)' },
  { package: 'opencv-doc', path: 'usr/share/doc/opencv-doc/examples/data/vtest.avi', container: 'avi', codec: 'msmpeg4v3', note: 'AVI, MS MPEG-4 v3 (DivX 3), 795 frames' },
  { package: 'opencv-doc', path: 'usr/share/doc/opencv-doc/opencv4/html/houghlinesdemo.gif', container: 'gif', codec: 'gif', note: 'animated GIF, 88 frames at 2 fps' },
  { package: 'opencv-doc', path: 'usr/share/doc/opencv-doc/opencv4/html/camshift_face.gif', container: 'gif', codec: 'gif', note: "animated GIF at 1 fps (the plan's low-fps branch: frames repeat)" },
  { package: 'opencv-doc', path: 'usr/share/doc/opencv-doc/opencv4/html/morph6.gif', container: 'gif', codec: 'gif', note: 'a still GIF', refused: 'STILL_IMAGE' },
];

/** The test cache (git-ignored `.cache/`, or APOLLO_TEST_CACHE). */
export const corpusDir = join(process.env.APOLLO_TEST_CACHE ?? join(repoRoot, '.cache', 'test-cache'), 'debian-videos');

export const localPathOf = (v: CorpusVideo): string => join(corpusDir, v.package, v.path);

/**
 * Fetches every package whose files are not in the cache yet. Returns undefined when all files are
 * there, else the reason they cannot be fetched (no apt, no package lists, no network).
 */
export function fetchDebianVideoCorpus(): string | undefined {
  const packages = [...new Set(DEBIAN_VIDEO_CORPUS.filter((v) => !existsSync(localPathOf(v))).map((v) => v.package))];
  if (packages.length === 0) return undefined;
  if (spawnSync('apt-get', ['--version']).status !== 0) return 'apt-get is not available on this machine, so the Debian packages that hold the corpus cannot be downloaded';
  for (const pkg of packages) {
    const work = join(corpusDir, `.download-${pkg}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      const run = spawnSync('apt-get', ['download', '-q', pkg], { cwd: work, encoding: 'utf8', timeout: 600_000 });
      if (run.status !== 0) return `\`apt-get download ${pkg}\` failed (${(run.stderr || run.stdout).trim().split('\n').pop()}); run \`apt-get update\` or check the network`;
      const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
      if (deb === undefined) return `\`apt-get download ${pkg}\` wrote no .deb`;
      const wanted = DEBIAN_VIDEO_CORPUS.filter((v) => v.package === pkg).map((v) => `./${v.path}`);
      const dest = join(corpusDir, pkg);
      mkdirSync(dest, { recursive: true });
      execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" -- "${@:3}"'.replace('"${@:3}"', wanted.map((_, i) => `"$${i + 3}"`).join(' ')), 'sh', join(work, deb), dest, ...wanted]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const absent = DEBIAN_VIDEO_CORPUS.filter((v) => !existsSync(localPathOf(v)));
  return absent.length === 0 ? undefined : `the packages no longer hold ${absent.map((v) => v.path).join(', ')}`;
}
