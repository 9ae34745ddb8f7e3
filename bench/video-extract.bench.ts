// Plan + extraction of Apollo's frames from a 1-hour 1080p H.264 file vs decoding the whole file
// with ffmpeg, side by side in one run, plus the peak memory of plan + extraction.
// The file is generated once (60 s of noisy testsrc2 at 1080p25, x264 veryfast, 1-s GOP like
// phone recordings, repeated 60× by stream copy) into a cache folder outside the repository.
// Run: flock /tmp/apollo-heavy.lock npx tsx bench/video-extract.bench.ts   (BENCH_VIDEO=path to use another file)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractClipFrames } from '../electron/engine/video/extract-clip-frames.js';
import { resolveFfmpeg } from '../electron/common/platform/ffmpeg-locate.js';
import { planVideo } from '../electron/engine/video/plan-video.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../electron/engine/video/sampling-settings.js';
import { machineFacts, writeResult, type Measurement } from './bench-harness.js';

const cacheDir = process.env.APOLLO_BENCH_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'apollo-bench');

function ensureHourVideo(): string {
  const path = join(cacheDir, 'hour-1080p25-h264-gop25.mp4');
  if (existsSync(path)) return path;
  mkdirSync(cacheDir, { recursive: true });
  const { ffmpeg } = resolveFfmpeg();
  const segment = join(cacheDir, 'seg60.mp4');
  if (!existsSync(segment)) {
    console.error('generating a 60 s 1080p segment (once)…');
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=1920x1080:r=25:d=60', '-vf', 'noise=alls=6:allf=t', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '3', '-pix_fmt', 'yuv420p', segment + '.part.mp4']);
    renameSync(segment + '.part.mp4', segment);
  }
  const list = join(cacheDir, 'list.txt');
  writeFileSync(list, Array.from({ length: 60 }, () => `file '${segment}'`).join('\n') + '\n');
  execFileSync(ffmpeg, ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', path + '.part.mp4']);
  renameSync(path + '.part.mp4', path);
  return path;
}

/** The measured candidate, in its own process so that its peak RSS is its own. */
async function measureCandidate(path: string): Promise<void> {
  const t0 = performance.now();
  const planned = await planVideo(path, DEFAULT_SAMPLING_SETTINGS);
  const t1 = performance.now();
  let frames = 0;
  // Verification (every run's decoder log read, damaged or missing frames retried): the time of
  // the runs after a clip's first (retries) and how many clips needed them.
  let runs = 0;
  let retriedClips = 0;
  let retryMs = 0;
  let firstRunMs = 0;
  let damagedFrames = 0;
  let missingFrames = 0;
  for await (const clip of extractClipFrames(planned.probe, planned.plan.clips)) {
    frames += clip.frames.length;
    runs += clip.attempts.length;
    if (clip.attempts.length > 1) retriedClips++;
    firstRunMs += clip.attempts[0]!.ms;
    retryMs += clip.attempts.slice(1).reduce((a, t) => a + t.ms, 0);
    damagedFrames += clip.damagedTimes.length;
    missingFrames += clip.missingTimes.length;
  }
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ planSeconds: (t1 - t0) / 1000, extractSeconds: (t2 - t1) / 1000, frames, decodeRuns: runs, retriedClips, firstRunSeconds: firstRunMs / 1000, retrySeconds: retryMs / 1000, damagedFrames, missingFrames, clips: planned.plan.clips.length, frameCount: planned.probe.frameCount, width: planned.probe.width, height: planned.probe.height, nodeMaxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

/** Runs a command under GNU time: wall seconds and the peak RSS of the process or any child it waited for. */
function timed(command: string, args: string[]): { seconds: number; maxRssMiB: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', command, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr.slice(-2000)}`);
  const rss = /maxrss_kb=(\d+)/.exec(r.stderr);
  return { seconds, maxRssMiB: rss ? Number(rss[1]) / 1024 : Number.NaN, stdout: r.stdout };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--candidate') return measureCandidate(process.argv[3]!);
  const path = process.env.BENCH_VIDEO ?? ensureHourVideo();
  const { ffmpeg } = resolveFfmpeg();
  const self = fileURLToPath(import.meta.url);
  const tsx = join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules', '.bin', 'tsx');

  console.error('candidate: plan + extraction…');
  const cand = timed(tsx, [self, '--candidate', path]);
  const c = JSON.parse(cand.stdout) as { planSeconds: number; extractSeconds: number; frames: number; decodeRuns: number; retriedClips: number; firstRunSeconds: number; retrySeconds: number; damagedFrames: number; missingFrames: number; clips: number; frameCount: number; width: number; height: number; nodeMaxRssMiB: number };
  console.error(`  ${cand.seconds.toFixed(1)} s, peak RSS ${cand.maxRssMiB.toFixed(0)} MiB`);

  console.error('baseline: decoding the whole file with ffmpeg…');
  const decodeOnly = timed(ffmpeg, ['-v', 'error', '-nostdin', '-i', path, '-map', '0:v:0', '-f', 'null', '-']);
  console.error(`  ${decodeOnly.seconds.toFixed(1)} s`);

  const measurements: Measurement[] = [
    { name: 'plan + extraction (apollo)', seconds: cand.seconds, runs: 1, planSeconds: c.planSeconds, extractSeconds: c.extractSeconds, framesDecodedOut: c.frames, peakRssMiB: cand.maxRssMiB, nodePeakRssMiB: c.nodeMaxRssMiB, decodeRuns: c.decodeRuns, retriedClips: c.retriedClips, firstRunSeconds: c.firstRunSeconds, retrySeconds: c.retrySeconds, damagedFrames: c.damagedFrames, missingFrames: c.missingFrames },
    { name: 'ffmpeg decodes the whole file', seconds: decodeOnly.seconds, runs: 1, framesDecodedOut: c.frameCount, peakRssMiB: decodeOnly.maxRssMiB },
  ];
  const out = writeResult({
    bench: 'video-extract',
    date: new Date().toISOString(),
    machine: machineFacts(),
    measurements,
    summary: {
      video: `${c.frameCount} frames ${c.width}x${c.height}, H.264, 1-s GOP`,
      clips: c.clips,
      speedupVsWholeDecode: decodeOnly.seconds / cand.seconds,
      // first runs and retries are summed over clips decoded two at a time, so they exceed the wall time
      verification: { decodeRuns: c.decodeRuns, retriedClips: c.retriedClips, firstRunSeconds: c.firstRunSeconds, retrySeconds: c.retrySeconds },
      goalSpeedup: '>= 20',
      peakRssMiB: cand.maxRssMiB,
      goalPeakRss: '< 1024 MiB',
    },
  });
  console.log(JSON.stringify({ path: out, measurements }, null, 2));
}

await main();
