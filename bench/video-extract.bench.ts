// Plan + extraction of Apollo's frames from a 1-hour 1080p H.264 file vs decoding the whole file
// with ffmpeg, side by side in one run, plus the peak memory of plan + extraction.
// The file is generated once (60 s of noisy testsrc2 at 1080p25, x264 veryfast, 1-s GOP like
// phone recordings, repeated 60× by stream copy) into a cache folder outside the repository.
// Run: flock /tmp/apollo-heavy.lock npx tsx bench/video-extract.bench.ts   (BENCH_VIDEO=path to use another file)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractClipFrames, type ExtractOptions } from '../electron/engine/video/extract-clip-frames.js';
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

/** CPU seconds of the child processes waited for (the ffmpeg runs), from /proc (Linux); NaN elsewhere. */
function childCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in clock ticks of 1/100 s
  } catch {
    return Number.NaN;
  }
}

/** The measured candidate, in its own process so that its peak RSS is its own. */
async function measureCandidate(path: string, options: ExtractOptions): Promise<void> {
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
  let skippedClips = 0;
  const cpu0 = childCpuSeconds();
  for await (const clip of extractClipFrames(planned.probe, planned.plan.clips, options)) {
    if (clip.attempts[0]!.skippedNonReference) skippedClips++;
    frames += clip.frames.length;
    // a run shared by several clips' first seeks counts once
    runs += clip.attempts.reduce((a, t) => a + 1 / t.clipsInRun, 0);
    if (clip.attempts.length > 1) retriedClips++;
    firstRunMs += clip.attempts[0]!.ms;
    retryMs += clip.attempts.slice(1).reduce((a, t) => a + t.ms, 0);
    damagedFrames += clip.damagedTimes.length;
    missingFrames += clip.missingTimes.length;
  }
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ decodeRunsExact: runs, planSeconds: (t1 - t0) / 1000, extractSeconds: (t2 - t1) / 1000, frames, decodeRuns: Math.round(runs), retriedClips, firstRunSeconds: firstRunMs / 1000, retrySeconds: retryMs / 1000, damagedFrames, missingFrames, skippedClips, ffmpegCpuSeconds: childCpuSeconds() - cpu0, clips: planned.plan.clips.length, frameCount: planned.probe.frameCount, width: planned.probe.width, height: planned.probe.height, nodeMaxRssMiB: process.resourceUsage().maxRSS / 1024 }));
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
  if (process.argv[2] === '--candidate') return measureCandidate(process.argv[3]!, JSON.parse(process.argv[4] ?? '{}') as ExtractOptions);
  const path = process.env.BENCH_VIDEO ?? ensureHourVideo();
  const { ffmpeg } = resolveFfmpeg();
  const self = fileURLToPath(import.meta.url);
  const tsx = join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules', '.bin', 'tsx');

  type Candidate = { planSeconds: number; extractSeconds: number; frames: number; decodeRuns: number; retriedClips: number; firstRunSeconds: number; retrySeconds: number; damagedFrames: number; missingFrames: number; skippedClips: number; ffmpegCpuSeconds: number; clips: number; frameCount: number; width: number; height: number; nodeMaxRssMiB: number };
  const load = () => loadavg()[0]!;
  // The app's extraction (clips' first seeks grouped into shared ffmpeg runs, non-reference pictures
  // skipped where every wanted one is a reference picture), then the same without skipping, then
  // one ffmpeg run per clip (as before both), then the whole-file decode, then the app's again: side
  // by side, with the 1-minute load average before each (a shared 2-core machine).
  const candidate = (options: ExtractOptions = {}) => {
    const loadBefore = load();
    console.error(`candidate ${JSON.stringify(options)}: plan + extraction… (load ${loadBefore.toFixed(2)})`);
    const run = timed(tsx, [self, '--candidate', path, JSON.stringify(options)]);
    console.error(`  ${run.seconds.toFixed(1)} s, peak RSS ${run.maxRssMiB.toFixed(0)} MiB`);
    return { run, c: JSON.parse(run.stdout) as Candidate, loadBefore };
  };
  const first = candidate();
  const noSkip = candidate({ skipNonReference: false });
  const perClip = candidate({ clipsPerRun: 1, skipNonReference: false });
  const loadBeforeWhole = load();
  console.error(`baseline: decoding the whole file with ffmpeg… (load ${loadBeforeWhole.toFixed(2)})`);
  const decodeOnly = timed(ffmpeg, ['-v', 'error', '-nostdin', '-i', path, '-map', '0:v:0', '-f', 'null', '-']);
  console.error(`  ${decodeOnly.seconds.toFixed(1)} s`);
  const second = candidate();
  const c = first.c;

  const row = (name: string, { run, c, loadBefore }: ReturnType<typeof candidate>): Measurement => ({ name, seconds: run.seconds, runs: 1, loadBefore, planSeconds: c.planSeconds, extractSeconds: c.extractSeconds, framesDecodedOut: c.frames, peakRssMiB: run.maxRssMiB, nodePeakRssMiB: c.nodeMaxRssMiB, decodeRuns: c.decodeRuns, retriedClips: c.retriedClips, firstRunSeconds: c.firstRunSeconds, retrySeconds: c.retrySeconds, damagedFrames: c.damagedFrames, missingFrames: c.missingFrames, skippedClips: c.skippedClips, ffmpegCpuSeconds: c.ffmpegCpuSeconds });
  const measurements: Measurement[] = [
    row('plan + extraction (apollo), run 1', first),
    row('plan + extraction, no picture skipped', noSkip),
    row('plan + extraction, one ffmpeg run per clip, no picture skipped', perClip),
    { name: 'ffmpeg decodes the whole file', seconds: decodeOnly.seconds, runs: 1, loadBefore: loadBeforeWhole, framesDecodedOut: c.frameCount, peakRssMiB: decodeOnly.maxRssMiB },
    row('plan + extraction (apollo), run 2', second),
  ];
  const appSeconds = (first.run.seconds + second.run.seconds) / 2;
  const out = writeResult({
    bench: 'video-extract',
    date: new Date().toISOString(),
    machine: machineFacts(),
    measurements,
    summary: {
      video: `${c.frameCount} frames ${c.width}x${c.height}, H.264, 1-s GOP`,
      clips: c.clips,
      // the app's mean over its two runs
      speedupVsWholeDecode: decodeOnly.seconds / appSeconds,
      speedupOneRunPerClip: decodeOnly.seconds / perClip.run.seconds,
      speedupNoSkip: decodeOnly.seconds / noSkip.run.seconds,
      sharedRunsGain: perClip.run.seconds / noSkip.run.seconds,
      skipGain: noSkip.run.seconds / appSeconds,
      // first runs and retries are summed over clips decoded two runs at a time, so they exceed the wall time
      verification: { decodeRuns: c.decodeRuns, retriedClips: c.retriedClips, firstRunSeconds: c.firstRunSeconds, retrySeconds: c.retrySeconds },
      goalSpeedup: '>= 20',
      peakRssMiB: Math.max(first.run.maxRssMiB, second.run.maxRssMiB),
      goalPeakRss: '< 1024 MiB',
    },
  });
  console.log(JSON.stringify({ path: out, measurements }, null, 2));
}

await main();
