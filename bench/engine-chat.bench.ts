// Engine benchmark (issue 7 item 8) at the real Qwen2.5-1.5B LLM shapes (random BF16 weights
// prepared to int4 by the app's own `prepare`, on CPU) with tiny vision towers whose connector emits
// the real num_output_tokens × LLM hidden size per clip (see engine-chat-checkpoint.ts; tower cost is
// bench/vision-encode.bench.ts's subject):
//   (a) time to first token of a first question on a 10-minute video (the real plan: K clips ×
//       num_output_tokens embeddings, split into encode and prefill) vs a follow-up (its
//       prefillTokens and TTFT), through EngineClient → engine process → ask;
//   (b) the same video re-opened in a fresh runtime answers with 0 tower runs (counted on the
//       VisionRunner; a control encode first shows the counter counts);
//   (c) decode tokens/s through the whole engine (engine-side and client wall clock, greedy and
//       default sampling) vs the bare Qwen2DecoderSession forward loop on the same decoder folder,
//       positions, device and threads, alternating round by round on this shared machine.
// Heavy (minutes, ~3 GB of checkpoint written once into the cache folder):
//   flock /tmp/apollo-heavy.lock npx tsx bench/engine-chat.bench.ts
// Env: BENCH_CACHE (~/.cache/apollo-desktop/bench), BENCH_SHAPE (1.5b), BENCH_PARTS (a,b,c; "c"
// alone re-measures (c) and keeps (a) and (b) from the last run), BENCH_DECODE (32 tokens per
// decode round), BENCH_ROUNDS (3), BENCH_FIRST_DECODE (8 tokens answered per TTFT question),
// BENCH_VIDEO_SECONDS (600), BENCH_LLM_CONFIG (a folder with the LLM's config.json and
// generation_config.json; default the apollo-BENCH_SHAPE fixture; a small one makes a quick dry run).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { ApolloRuntime } from '../electron/engine/runtime/apollo-runtime.js';
import { EngineClient, nodeEngineLauncher } from '../electron/host/engine-client/engine-client.js';
import { defaultThreadCount, selectDevice } from '../electron/engine/llm/execution-device.js';
import { Qwen2DecoderSession } from '../electron/engine/llm/qwen2-decoder-session.js';
import { DECODER_ARTIFACT_NAME } from '../electron/engine/llm/qwen2-prepare-artifact.js';
import { videoFingerprint } from '../electron/common/fingerprint/video-fingerprint.js';
import { resolvePreparedModel } from '../electron/engine/prepare/prepare-model.js';
import type { AskResult, EngineParamsIn } from '../electron/shared/engine-protocol.js';
import { benchDir, machineFacts, resultsDir, writeResult, type BenchResult, type Measurement } from './bench-harness.js';
import { ensureHybridCheckpoint } from './engine-chat-checkpoint.js';

const env = process.env;
const shape = env.BENCH_SHAPE ?? '1.5b';
const decodeTokens = Number(env.BENCH_DECODE ?? 32);
const roundCount = Number(env.BENCH_ROUNDS ?? 3);
const parts = (env.BENCH_PARTS ?? 'a,b,c').split(',');
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

const client = new EngineClient(nodeEngineLauncher({ enginePath: join(repoRoot, 'electron', 'engine', 'server', 'engine-main.ts'), execArgv: ['--import', 'tsx'], env: { APOLLO_CACHE_DIR: apolloCache } }));
const enginePid = (await client.call('ping')).pid;

interface Timed {
  result: AskResult;
  wallMs: number;
  clientFirstDeltaMs: number;
  clientDecodeTokPerS: number;
}

type Turn = { question: string; answer: string };
async function ask(videoPath: string, videoKey: string, history: Turn[], question: string, settings: EngineParamsIn<'ask'>['settings']): Promise<Timed> {
  const start = performance.now();
  let firstDelta: number | undefined;
  const result = await client.call('ask', { videoPath, videoKey, modelDir, settings: { device: 'cpu', precision: 'int4', ...settings }, history, question }, {
    onEvent: (e) => {
      if (e.type === 'delta') firstDelta ??= performance.now();
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

// ---- a warm-up question on the short video loads the model, builds the tiny vision graphs and
// encodes; the decode questions after it are new first questions (the video prefix stays cached).
log('warm-up question on the 10 s video');
const warm = await ask(shortVideo, shortKey, [], 'Describe the video.', { greedy: true, maxNewTokens: 4 });
const contextTokens = warm.result.timings.prefillTokens;

// ---- (c) decode through the engine vs the bare decoder session, alternating round by round (the
// machine is shared: load changes by the minute, so each side is measured in the same windows).
// The bare session lives in this process, prefilled once to the engine's context length; each
// round rewinds it there and decodes with argmax, while the engine process sits idle.
const decoderDir = join(prepared.preparedDir, DECODER_ARTIFACT_NAME);
const bareSession = parts.includes('c') ? await Qwen2DecoderSession.open(decoderDir, { device: await selectDevice('cpu'), threads: defaultThreadCount() }) : undefined;
const vocab = Math.min(bareSession?.config.vocabSize ?? 1, 151643);
const barePrompt = Array.from({ length: contextTokens }, (_, i) => (i * 7919 + 13) % vocab);
if (bareSession !== undefined) await bareSession.forward(bareSession.embed(barePrompt), contextTokens);
// A third side: the same runtime in this process (no engine process, no IPC), warmed up alike.
const inProcess = parts.includes('c') ? await ApolloRuntime.load({ modelDir, precision: 'int4', device: 'cpu' }) : undefined;
const inProcessAsk = (question: string) => inProcess!.ask({ videoPath: shortVideo, videoKey: shortKey, history: [], question, generation: { greedy: true, maxNewTokens: decodeTokens } }, () => {});
if (inProcess !== undefined) await inProcess.ask({ videoPath: shortVideo, videoKey: shortKey, history: [], question: 'Describe the video.', generation: { greedy: true, maxNewTokens: 4 } }, () => {});
const argmax = (v: Float32Array) => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
};
const bareRound = async (session: Qwen2DecoderSession): Promise<number> => {
  session.truncate(contextTokens);
  let next = argmax(await session.forward(session.embed([barePrompt[contextTokens - 1]!]), 1));
  const started = performance.now();
  for (let i = 1; i < decodeTokens; i++) next = argmax(await session.forward(session.embed([next]), 1));
  // decodeTokens − 1 steps after the first token, as the engine counts them.
  return (decodeTokens - 1) / ((performance.now() - started) / 1000);
};
const rounds: Array<{ bare: number; greedy: Timed; sampled: Timed; inProcess: number; load1: number }> = [];
for (let r = 0; bareSession !== undefined && r < roundCount; r++) {
  log(`(c) round ${r + 1}/${roundCount}`);
  const bare = await bareRound(bareSession);
  const g = await ask(shortVideo, shortKey, [], `Round ${r + 1}: what do you see?`, { greedy: true, maxNewTokens: decodeTokens });
  const sm = await ask(shortVideo, shortKey, [], `Round ${r + 1}: what is in it?`, { seed: r + 1, maxNewTokens: decodeTokens });
  const local = (await inProcessAsk(`Round ${r + 1}: what do you see?`)).timings.decodeTokensPerSecond;
  rounds.push({ bare, greedy: g, sampled: sm, inProcess: local, load1: loadavg()[0]! });
  log(`bare ${bare.toFixed(2)} tok/s, engine greedy ${g.result.timings.decodeTokensPerSecond.toFixed(2)}, sampled ${sm.result.timings.decodeTokensPerSecond.toFixed(2)}, in-process greedy ${local.toFixed(2)} (load ${loadavg()[0]!.toFixed(1)})`);
}
await bareSession?.release();
await inProcess?.release();

// ---- (a) first question vs follow-up on the long video
let first: Timed | undefined;
let follow: Timed | undefined;
const firstQ = 'What happens in this video?';
if (parts.includes('a')) {
  log(`(a) first question on the ${videoSeconds} s video`);
  first = await ask(longVideo, longKey, [], firstQ, { greedy: true, maxNewTokens: firstDecode });
  follow = await ask(longVideo, longKey, [{ question: firstQ, answer: first.result.answer }], 'And what colour is the background?', { greedy: true, maxNewTokens: firstDecode });
}
const enginePeakRssMB = rssOf(enginePid);
await client.shutdown();

// ---- (b) re-open in a fresh runtime: a control encode (new sampling ratio → cache miss) shows the
// run counter counts; then the long video, encoded before, must need no tower run at all.
const towerRuns = (r: { runner?: { runs: { siglip: number; internVideo: number; connector: number } } }) => (r.runner === undefined ? 0 : r.runner.runs.siglip + r.runner.runs.internVideo + r.runner.runs.connector);
let reopenedPart: { control: Awaited<ReturnType<ApolloRuntime['encode']>>; reopenedEncode: Awaited<ReturnType<ApolloRuntime['encode']>>; reopened: AskResult; wallMs: number } | undefined;
if (parts.includes('b') && first !== undefined) {
  log('(b) fresh runtime: control encode, then the re-opened long video');
  const runtime = await ApolloRuntime.load({ modelDir, precision: 'int4', device: 'cpu' });
  const control = await runtime.encode({ videoPath: shortVideo, videoKey: shortKey, clipSamplingRatio: 0.5 }, () => {});
  const reopenedEncode = await runtime.encode({ videoPath: longVideo, videoKey: longKey }, () => {});
  const reopenStart = performance.now();
  const reopened = await runtime.ask({ videoPath: longVideo, videoKey: longKey, history: [], question: firstQ, generation: { greedy: true, maxNewTokens: firstDecode } }, () => {});
  reopenedPart = { control, reopenedEncode, reopened, wallMs: performance.now() - reopenStart };
  await runtime.release();
  log(`control tower runs ${towerRuns(control.embeddings)}, re-opened tower runs ${towerRuns(reopenedEncode.embeddings)}, fromCache ${reopened.embeddingsFromCache}, same tokens as before: ${JSON.stringify(reopened.tokenIds) === JSON.stringify(first.result.tokenIds)}`);
}

// ---- results
const t = (x: Timed) => x.result.timings;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const measurements: Measurement[] = [];
const summary: Record<string, unknown> = {
  model: `hybrid: Qwen2.5-${shape} LLM shapes (random BF16 → ${JSON.stringify(prepared.manifest.options)} via prepare), tiny towers, connector → clips × num_output_tokens at the LLM hidden size; device cpu, ${defaultThreadCount()} threads`,
};
if (first !== undefined && follow !== undefined) {
  const firstTtftMs = t(first).encodeMs + t(first).ttftMs;
  const followTtftMs = t(follow).encodeMs + t(follow).ttftMs;
  measurements.push(
    { name: `(a) first question, ${videoSeconds} s video`, seconds: firstTtftMs / 1000, runs: 1, ttftMs: firstTtftMs, encodeMs: t(first).encodeMs, prefillMs: t(first).ttftMs, prefillTokens: t(first).prefillTokens, clips: first.result.plan.clips, embeddingsFromCache: first.result.embeddingsFromCache, decodeTokPerS: t(first).decodeTokensPerSecond, clientFirstTextMs: first.clientFirstDeltaMs },
    { name: '(a) follow-up question', seconds: followTtftMs / 1000, runs: 1, ttftMs: followTtftMs, encodeMs: t(follow).encodeMs, prefillMs: t(follow).ttftMs, prefillTokens: t(follow).prefillTokens, clips: follow.result.plan.clips, embeddingsFromCache: follow.result.embeddingsFromCache, decodeTokPerS: t(follow).decodeTokensPerSecond, clientFirstTextMs: follow.clientFirstDeltaMs },
  );
  Object.assign(summary, { followUpOfFirstTtft: followTtftMs / firstTtftMs, followUpGoalMet: followTtftMs / firstTtftMs <= 0.05, followUpPrefillTokens: t(follow).prefillTokens });
}
if (reopenedPart !== undefined && first !== undefined) {
  const { control, reopenedEncode, reopened } = reopenedPart;
  measurements.push(
    { name: '(b) control encode, fresh runtime (10 s video, new ratio)', seconds: control.encodeMs / 1000, runs: 1, towerRuns: towerRuns(control.embeddings), embeddingsFromCache: control.embeddings.fromCache, encodeMs: control.encodeMs },
    { name: '(b) re-opened video, fresh runtime, first question', seconds: (reopened.timings.encodeMs + reopened.timings.ttftMs) / 1000, runs: 1, towerRuns: towerRuns(reopenedEncode.embeddings), embeddingsFromCache: reopened.embeddingsFromCache, ttftMs: reopened.timings.encodeMs + reopened.timings.ttftMs, encodeMs: reopened.timings.encodeMs, prefillMs: reopened.timings.ttftMs, prefillTokens: reopened.timings.prefillTokens, wallMs: reopenedPart.wallMs },
  );
  Object.assign(summary, { reopenedTowerRuns: towerRuns(reopenedEncode.embeddings), reopenedSameTokens: JSON.stringify(reopened.tokenIds) === JSON.stringify(first.result.tokenIds) });
}
if (rounds.length > 0) {
  const bare = median(rounds.map((r) => r.bare));
  const greedy = median(rounds.map((r) => t(r.greedy).decodeTokensPerSecond));
  const greedyClient = median(rounds.map((r) => r.greedy.clientDecodeTokPerS));
  const sampled = median(rounds.map((r) => t(r.sampled).decodeTokensPerSecond));
  const sampledClient = median(rounds.map((r) => r.sampled.clientDecodeTokPerS));
  const row = (name: string, tokPerS: number, extra: Record<string, unknown>) => ({ name, seconds: 1 / tokPerS, runs: rounds.length, decodeTokPerS: tokPerS, vsBare: tokPerS / bare, contextTokens, ...extra });
  measurements.push(
    row('(c) decode, bare Qwen2DecoderSession loop (argmax), median of rounds', bare, { perRound: rounds.map((r) => Number(r.bare.toFixed(2))) }),
    row('(c) decode, engine ask greedy (engine-side), median', greedy, { perRound: rounds.map((r) => Number(t(r.greedy).decodeTokensPerSecond.toFixed(2))) }),
    row('(c) decode, engine ask greedy (client wall clock), median', greedyClient, { perRound: rounds.map((r) => Number(r.greedy.clientDecodeTokPerS.toFixed(2))) }),
    row('(c) decode, engine ask default sampling (engine-side), median', sampled, { perRound: rounds.map((r) => Number(t(r.sampled).decodeTokensPerSecond.toFixed(2))) }),
    row('(c) decode, engine ask default sampling (client wall clock), median', sampledClient, { perRound: rounds.map((r) => Number(r.sampled.clientDecodeTokPerS.toFixed(2))) }),
    row('(c) decode, ApolloRuntime ask greedy in this process (no engine process), median', median(rounds.map((r) => r.inProcess)), { perRound: rounds.map((r) => Number(r.inProcess.toFixed(2))) }),
  );
  Object.assign(summary, {
    decodeTokens,
    rounds: rounds.length,
    engineGreedyOverheadVsBare: 1 - greedy / bare,
    engineGreedyClientOverheadVsBare: 1 - greedyClient / bare,
    engineSampledOverheadVsBare: 1 - sampled / bare,
    overheadGoalMet: 1 - greedyClient / bare <= 0.05,
    loadAverageDuringRounds: rounds.map((r) => Number(r.load1.toFixed(1))).join(' / '),
  });
}
Object.assign(summary, { enginePeakRssMB, benchProcessPeakRssMB: rssOf('self'), prepared: prepared.reused ? 'reused' : 'built this run' });

// A run of only some parts keeps the other parts' rows and summary from the last full run.
const resultPath = join(resultsDir, 'engine-chat.json');
const partsMeasured = new Set(parts.map((p) => `(${p})`));
const previous = parts.length < 3 && existsSync(resultPath) ? (JSON.parse(readFileSync(resultPath, 'utf8')) as BenchResult) : undefined;
const kept = previous?.measurements.filter((m) => !partsMeasured.has(m.name.slice(0, 3))) ?? [];
// Summary keys of (c) and of this process's memory are replaced; those of (a)/(b) are kept.
const replacedKeys = new Set(['model', 'decodeTokens', 'rounds', 'engineGreedyOverheadVsBare', 'engineClientOverheadVsBare', 'engineGreedyClientOverheadVsBare', 'engineSampledOverheadVsBare', 'overheadGoalMet', 'loadAverageDuringRounds', 'benchProcessPeakRssMB', 'prepared']);
const previousSummary = Object.fromEntries(Object.entries(previous?.summary ?? {}).filter(([k]) => !replacedKeys.has(k) && !(k === 'enginePeakRssMB' && !parts.includes('a'))));
if (previous !== undefined && !parts.includes('a')) {
  // The engine's peak with the 10-minute context is the full run's; this run's is only the short video's.
  previousSummary.enginePeakRssMBLongVideo = previous.summary.enginePeakRssMBLongVideo ?? previous.summary.enginePeakRssMB;
}
const result: BenchResult = {
  bench: 'engine-chat',
  date: new Date().toISOString(),
  machine: machineFacts(),
  measurements: [...kept, ...measurements].sort((a, b) => (a.name.slice(0, 3) < b.name.slice(0, 3) ? -1 : a.name.slice(0, 3) > b.name.slice(0, 3) ? 1 : 0)),
  summary: { ...previousSummary, ...summary, ...(previous === undefined ? {} : { partsOfThisRun: parts.join(','), keptFromRunOf: previous.summary.keptFromRunOf ?? previous.date }) },
};
const path = writeResult(result);
log(`wrote ${path}`);
log(JSON.stringify(summary));
