// Engine benchmark (issue 7 item 8), one run each, side by side, at the real Qwen2.5-1.5B LLM shapes
// (random BF16 weights prepared to int4 by the app's own `prepare`, on CPU) with tiny vision towers
// whose connector emits the real num_output_tokens × LLM hidden size per clip (see
// engine-chat-checkpoint.ts; tower cost is bench/vision-encode.bench.ts's subject):
//   (a) time to first token of a first question on a 10-minute video (the real plan: K clips ×
//       num_output_tokens embeddings, split into encode and prefill) vs a follow-up (its
//       prefillTokens and TTFT), through EngineClient → engine process → ask;
//   (b) the same video re-opened in a fresh runtime answers with 0 tower runs (counted on the
//       VisionRunner; a control encode first shows the counter counts);
//   (c) decode tokens/s through the whole engine vs the bare Qwen2DecoderSession forward loop at
//       the same decoder folder, positions, device and threads.
// Heavy (minutes, ~3 GB of checkpoint written once into the cache folder):
//   flock /tmp/apollo-heavy.lock npx tsx bench/engine-chat.bench.ts
// Env: BENCH_CACHE (~/.cache/apollo-desktop/bench), BENCH_SHAPE (1.5b), BENCH_DECODE (64 tokens for
// the decode comparison), BENCH_FIRST_DECODE (8 tokens answered per TTFT question),
// BENCH_VIDEO_SECONDS (600), BENCH_LLM_CONFIG (a folder with the LLM's config.json and
// generation_config.json; default the apollo-BENCH_SHAPE fixture; a small one makes a quick dry run).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApolloRuntime, type AskResult } from '../electron/core/engine/apollo-runtime.js';
import { EngineClient, nodeEngineLauncher } from '../electron/core/engine/engine-client.js';
import { DECODER_ARTIFACT_NAME } from '../electron/core/llm/qwen2-prepare-artifact.js';
import { videoFingerprint } from '../electron/core/media/video-fingerprint.js';
import { resolvePreparedModel } from '../electron/core/prepare/prepare-model.js';
import { benchDir, machineFacts, writeResult, type Measurement } from './bench-harness.js';
import { ensureHybridCheckpoint } from './engine-chat-checkpoint.js';

const env = process.env;
const shape = env.BENCH_SHAPE ?? '1.5b';
const decodeTokens = Number(env.BENCH_DECODE ?? 64);
const firstDecode = Number(env.BENCH_FIRST_DECODE ?? 8);
const videoSeconds = Number(env.BENCH_VIDEO_SECONDS ?? 600);
const cacheRoot = env.BENCH_CACHE ?? join(homedir(), '.cache', 'apollo-desktop', 'bench');
const repoRoot = join(benchDir, '..');
const work = join(cacheRoot, `engine-chat-${shape}`);
const log = (s: string) => process.stderr.write(`[engine-chat] ${new Date().toISOString().slice(11, 19)} ${s}\n`);
const rssOf = (pid: number | 'self') => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

// The engine and the in-process runtime read the prepared folder and caches from here.
const apolloCache = join(work, 'apollo-cache');
process.env.APOLLO_CACHE_DIR = apolloCache;

function ensureVideo(seconds: number): string {
  const path = join(work, `testsrc-${seconds}s.mp4`);
  if (!existsSync(path)) {
    mkdirSync(work, { recursive: true });
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=25:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', `${path}.tmp.mp4`]);
    renameSync(`${path}.tmp.mp4`, path);
  }
  return path;
}

const modelDir = await ensureHybridCheckpoint(join(work, 'model'), env.BENCH_LLM_CONFIG ?? join(repoRoot, 'test', 'fixtures', 'checkpoint-configs', `apollo-${shape}`, 'llm'), log);
const longVideo = ensureVideo(videoSeconds);
const shortVideo = ensureVideo(10);
const [longKey, shortKey] = [await videoFingerprint(longVideo), await videoFingerprint(shortVideo)];

log('prepare (int4, the app defaults); reused when built before');
const t0 = performance.now();
const prepared = await resolvePreparedModel(modelDir, { precision: 'int4' });
log(`prepared ${prepared.preparedDir} (${prepared.reused ? 'reused' : 'built'}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
// Every run starts without clip embeddings, so the first question encodes; vision graphs are kept.
rmSync(join(apolloCache, 'clip-embeddings'), { recursive: true, force: true });

const client = new EngineClient(nodeEngineLauncher({ enginePath: join(repoRoot, 'electron', 'core', 'engine', 'engine-main.ts'), execArgv: ['--import', 'tsx'], env: { APOLLO_CACHE_DIR: apolloCache } }));
const enginePid = (await client.call<{ pid: number }>('ping')).pid;

interface Timed {
  result: AskResult;
  wallMs: number;
  clientFirstDeltaMs: number;
  clientDecodeTokPerS: number;
}

type Turn = { question: string; answer: string };
async function ask(videoPath: string, videoKey: string, history: Turn[], question: string, settings: Record<string, unknown>): Promise<Timed> {
  const start = performance.now();
  let firstDelta: number | undefined;
  const result = await client.call<AskResult>('ask', { videoPath, videoKey, modelDir, settings: { device: 'cpu', precision: 'int4', ...settings }, history, question }, {
    onEvent: (e) => {
      if ((e as { type?: string }).type === 'delta') firstDelta ??= performance.now();
    },
  });
  const end = performance.now();
  // Client side: the whole call as the caller waits for it, less what the engine reports before
  // the first token (encode, prompt, prefill): decode plus every per-request overhead (IPC, events).
  // (The first streamed text is no token clock: the UTF-8-safe stream holds back partial characters,
  // which random weights produce often.)
  const decodeSeconds = (end - start - result.timings.encodeMs - result.timings.ttftMs) / 1000;
  const timed = { result, wallMs: end - start, clientFirstDeltaMs: (firstDelta ?? end) - start, clientDecodeTokPerS: decodeSeconds > 0 ? (result.timings.decodeTokens - 1) / decodeSeconds : 0 };
  log(`${question} → ${JSON.stringify({ ...result.timings, fromCache: result.embeddingsFromCache, clips: result.plan.clips, stop: result.stopReason, wallMs: Math.round(timed.wallMs), clientFirstDeltaMs: Math.round(timed.clientFirstDeltaMs) })}`);
  return timed;
}

// ---- (c) engine decode, on the short video: a warm-up question loads the model, builds the tiny
// vision graphs and encodes; then new first questions (the video prefix stays cached) decode.
log('(c) engine decode on the 10 s video: warm-up, greedy, default sampling');
const warm = await ask(shortVideo, shortKey, [], 'Describe the video.', { greedy: true, maxNewTokens: 4 });
const greedy = await ask(shortVideo, shortKey, [], 'What do you see?', { greedy: true, maxNewTokens: decodeTokens });
const sampled = await ask(shortVideo, shortKey, [], 'What is in it?', { seed: 1, maxNewTokens: decodeTokens });

// ---- (a) first question vs follow-up on the long video
log(`(a) first question on the ${videoSeconds} s video`);
const firstQ = 'What happens in this video?';
const first = await ask(longVideo, longKey, [], firstQ, { greedy: true, maxNewTokens: firstDecode });
const follow = await ask(longVideo, longKey, [{ question: firstQ, answer: first.result.answer }], 'And what colour is the background?', { greedy: true, maxNewTokens: firstDecode });
const enginePeakRssMB = rssOf(enginePid);
await client.shutdown();

// ---- (c) the bare graph at the same positions
// The decode questions start from the warm-up's prompt length (the question texts differ by a token or two).
const contextTokens = warm.result.timings.prefillTokens;
log(`(c) bare Qwen2DecoderSession loop: ${contextTokens} positions, ${decodeTokens} tokens`);
const decoderDir = join(prepared.preparedDir, DECODER_ARTIFACT_NAME);
const bareOut = execFileSync(process.execPath, ['--import', 'tsx', join(benchDir, 'engine-chat-bare-worker.ts'), decoderDir, String(contextTokens), String(decodeTokens)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const bare = JSON.parse(bareOut.trim().split('\n').pop()!) as { prefillSeconds: number; decodeTokens: number; decodeSeconds: number; threads: number; peakRssBytes: number };
const bareTokPerS = bare.decodeTokens / bare.decodeSeconds;
log(`bare: ${bareTokPerS.toFixed(2)} tok/s`);

// ---- (b) re-open in a fresh runtime: a control encode (new sampling ratio → cache miss) shows the
// run counter counts; then the long video, encoded before, must need no tower run at all.
log('(b) fresh runtime: control encode, then the re-opened long video');
const runtime = await ApolloRuntime.load({ modelDir, precision: 'int4', device: 'cpu' });
const towerRuns = (r: { runner?: { runs: { siglip: number; internVideo: number; connector: number } } }) => (r.runner === undefined ? 0 : r.runner.runs.siglip + r.runner.runs.internVideo + r.runner.runs.connector);
const control = await runtime.encode({ videoPath: shortVideo, videoKey: shortKey, clipSamplingRatio: 0.5 }, () => {});
const reopenedEncode = await runtime.encode({ videoPath: longVideo, videoKey: longKey }, () => {});
const reopenStart = performance.now();
const reopened = await runtime.ask({ videoPath: longVideo, videoKey: longKey, history: [], question: firstQ, generation: { greedy: true, maxNewTokens: firstDecode } }, () => {});
const reopenWallMs = performance.now() - reopenStart;
await runtime.release();
log(`control tower runs ${towerRuns(control.embeddings)}, re-opened tower runs ${towerRuns(reopenedEncode.embeddings)}, fromCache ${reopened.embeddingsFromCache}, same tokens as before: ${JSON.stringify(reopened.tokenIds) === JSON.stringify(first.result.tokenIds)}`);

// ---- results
const t = (x: Timed) => x.result.timings;
const firstTtftMs = t(first).encodeMs + t(first).ttftMs;
const engineGreedy = t(greedy).decodeTokensPerSecond;
const measurements: Measurement[] = [
  { name: `(a) first question, ${videoSeconds} s video`, seconds: firstTtftMs / 1000, runs: 1, ttftMs: firstTtftMs, encodeMs: t(first).encodeMs, prefillMs: t(first).ttftMs, prefillTokens: t(first).prefillTokens, clips: first.result.plan.clips, embeddingsFromCache: first.result.embeddingsFromCache, clientFirstTextMs: first.clientFirstDeltaMs },
  { name: '(a) follow-up question', seconds: (t(follow).encodeMs + t(follow).ttftMs) / 1000, runs: 1, ttftMs: t(follow).encodeMs + t(follow).ttftMs, encodeMs: t(follow).encodeMs, prefillMs: t(follow).ttftMs, prefillTokens: t(follow).prefillTokens, clips: follow.result.plan.clips, embeddingsFromCache: follow.result.embeddingsFromCache, clientFirstTextMs: follow.clientFirstDeltaMs },
  { name: '(b) control encode, fresh runtime (10 s video, new ratio)', seconds: control.encodeMs / 1000, runs: 1, towerRuns: towerRuns(control.embeddings), embeddingsFromCache: control.embeddings.fromCache, encodeMs: control.encodeMs },
  { name: '(b) re-opened video, fresh runtime, first question', seconds: (reopened.timings.encodeMs + reopened.timings.ttftMs) / 1000, runs: 1, towerRuns: towerRuns(reopenedEncode.embeddings), embeddingsFromCache: reopened.embeddingsFromCache, ttftMs: reopened.timings.encodeMs + reopened.timings.ttftMs, encodeMs: reopened.timings.encodeMs, prefillMs: reopened.timings.ttftMs, prefillTokens: reopened.timings.prefillTokens, wallMs: reopenWallMs },
  { name: '(c) decode, bare Qwen2DecoderSession loop (argmax)', seconds: 1 / bareTokPerS, runs: bare.decodeTokens, decodeTokPerS: bareTokPerS, contextTokens, threads: bare.threads, peakRssMB: bare.peakRssBytes / 2 ** 20 },
  { name: '(c) decode, engine ask (greedy)', seconds: 1 / engineGreedy, runs: t(greedy).decodeTokens, decodeTokPerS: engineGreedy, clientDecodeTokPerS: greedy.clientDecodeTokPerS, vsBare: engineGreedy / bareTokPerS, contextTokens, questionPrefillTokens: t(greedy).prefillTokens, stopReason: greedy.result.stopReason },
  { name: '(c) decode, engine ask (default sampling)', seconds: 1 / t(sampled).decodeTokensPerSecond, runs: t(sampled).decodeTokens, decodeTokPerS: t(sampled).decodeTokensPerSecond, clientDecodeTokPerS: sampled.clientDecodeTokPerS, vsBare: t(sampled).decodeTokensPerSecond / bareTokPerS, contextTokens, questionPrefillTokens: t(sampled).prefillTokens, stopReason: sampled.result.stopReason },
];
const summary = {
  model: `hybrid: Qwen2.5-${shape} LLM shapes (random BF16 → ${JSON.stringify(prepared.manifest.options)} via prepare), tiny towers, connector → ${first.result.plan.clips} clips × num_output_tokens at the LLM hidden size; device cpu`,
  followUpOfFirstTtft: (t(follow).encodeMs + t(follow).ttftMs) / firstTtftMs,
  followUpGoalMet: (t(follow).encodeMs + t(follow).ttftMs) / firstTtftMs <= 0.05,
  followUpPrefillTokens: t(follow).prefillTokens,
  reopenedTowerRuns: towerRuns(reopenedEncode.embeddings),
  reopenedSameTokens: JSON.stringify(reopened.tokenIds) === JSON.stringify(first.result.tokenIds),
  engineGreedyOverheadVsBare: 1 - engineGreedy / bareTokPerS,
  engineClientOverheadVsBare: 1 - greedy.clientDecodeTokPerS / bareTokPerS,
  overheadGoalMet: 1 - engineGreedy / bareTokPerS <= 0.05,
  enginePeakRssMB,
  benchProcessPeakRssMB: rssOf('self'),
  prepared: prepared.reused ? 'reused' : 'built this run',
};
const path = writeResult({ bench: 'engine-chat', date: new Date().toISOString(), machine: machineFacts(), measurements, summary });
log(`wrote ${path}`);
log(JSON.stringify(summary));
