// Time to the first answer token (TTFA) for a 10-minute video at Apollo-3B's shapes on this CPU
// (issue 17), in three cases: (a) full detail, every clip of the video's Apollo plan (84 at the
// default settings); (b) "Answer now" once 25% of the clips are encoded in the app's coarse-to-fine
// (bit-reversed) order, with Apollo's prompt for that subset; (c) the clip sampling ratio at 0.05
// (the setting the app offers), whose own plan has fewer, different clips. Also the error of the
// progress bar's ETA over the whole encode (the app's estimator, electron/engine/vision/encode-eta.ts).
//
// Method (real measurement, no extrapolation):
// - A generated test video (ffmpeg testsrc2, 10 min, 30 fps, BENCH_VIDEO_SIZE; a 20 s segment
//   looped by stream copy), probed and planned
//   by the app's own code (planVideo with samplingSettingsFromConfig of Apollo-3B's config): the
//   clip counts and prompts come from the plan, not from constants.
// - Vision: the three graphs written by the app's writeVisionGraph at full selected depth and real
//   width (random weights), each part in the dtype the app opens on a CPU at its default precision
//   (visionDtypeFor('int4', 'cpu') = int8, partDtype per part), opened with the app's
//   openVisionSessions, and driven by the app's encoder pipeline (encodeVideoClips) with the app's
//   chunk preparer (ffmpeg extraction + preprocessing of the real video's frames, overlapping the
//   encoding as in the app): so extraction is inside the measured time, nothing is added. ONE run
//   over the full plan in coarse-to-fine order records every clip's completion time (the pipeline's
//   progress events, with the ETA the app's estimator gave at each); (a) is when the last clip
//   finished, (b) when 25% (ceil) had. Sessions are fresh (as at the app's first encode); their
//   open time is reported apart. (c) then encodes its own clips through the same, now warm, sessions.
// - ETA: the first ETA's error and the mean error over the run (predicted vs actual time left) of
//   the first encode here (no remembered rate, what the pipeline computed live), and the same events
//   replayed through the app's estimator with the rate that case (c)'s run measured as the
//   remembered rate (what the host passes for the next video).
// - LLM: the app's decoder at the real 3B shape, int4 (DEFAULT_INT4, 4-bit head; the cached bench
//   folder of llm-long-context is reused) with the float16 KV cache the app uses at int4, the app's
//   default thread count. Per case the prompt is built exactly as the app's ask does it
//   (videoForPrompt → planConversationTurn with the real Qwen2.5 tokenizer → planSplice →
//   assembleInputsEmbeds with the encode's clip embeddings), prefilled from an empty cache, then
//   one decode step. TTFA = encode + prefill (prompt build included, as the app's ttftMs) + first
//   decode step, each part reported. The decoder is warmed with 8 tokens after open (it is loaded
//   with the model, before any video is opened); the vision sessions are released before it opens.
//
// Run (idle machine, about 25–50 min at full size; see expected duration below):
//   flock /tmp/apollo-heavy.lock npx tsx bench/first-answer.bench.ts && npm run bench:docs
// Env: BENCH_THREADS (default: the app's, availableParallelism), BENCH_VIDEO_SIZE (1280x720),
// BENCH_QUESTION; smoke-run knobs (results then go to bench/_tmp-first-answer.json, never to
// results/): BENCH_CLIPS=n encodes only the first n clips of the full plan's order (case (a)'s and
// (b)'s times then are those of the last/25%-th clip encoded), BENCH_LAYERS=n runs n SigLIP layers,
// n InternVideo2 blocks and an n-layer LLM (real widths; the LLM folder is built once into the
// bench cache), BENCH_SKIP_LLM=1.
// Expected duration at full size: video ~10 s, graph build ~1–2 min, 84 + 7 clips at ~10–26 s each
// (int8, real widths) ≈ 15–40 min, prefill of 12,048 + ~3k + 1,065 tokens at 3B ≈ 6–8 min (the
// 12k prefill alone ~5.5 min in llm-long-context-3b). A smoke run (BENCH_CLIPS=2 BENCH_LAYERS=1
// BENCH_THREADS=1) takes ~2.5 min.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { assembleInputsEmbeds, planSplice } from '../electron/engine/chat/splice-plan.js';
import { planConversationTurn } from '../electron/engine/chat/conversation-plan.js';
import { resolveGenerationSettings } from '../electron/engine/chat/generation-config.js';
import { defaultThreadCount } from '../electron/engine/llm/execution-device.js';
import { Qwen2DecoderSession } from '../electron/engine/llm/qwen2-decoder-session.js';
import { loadApolloCheckpointConfig } from '../electron/engine/model/apollo-config.js';
import { tinyApolloConfigFiles } from '../electron/engine/model/tiny-checkpoint.js';
import { DEFAULT_INT4 } from '../electron/engine/quant/quant-settings.js';
import { videoForPrompt } from '../electron/engine/runtime/apollo-runtime.js';
import { planVideo, type PlannedVideo } from '../electron/engine/video/plan-video.js';
import { preprocessorConfigOf } from '../electron/engine/video/preprocessor-config.js';
import { samplingSettingsFromConfig } from '../electron/engine/video/sampling-settings.js';
import { EncodeEtaEstimator, type EncodeRate } from '../electron/engine/vision/encode-eta.js';
import { coarseToFineOrder } from '../electron/engine/vision/encode-order.js';
import { encodeVideoClips, newEncodeState, type ChunkPreparer } from '../electron/engine/vision/encode-video-clips.js';
import { towerClipRequests, videoChunkPreparer } from '../electron/engine/vision/video-chunk-preparer.js';
import { VISION_GRAPH_PARTS, partDtype, visionDtypeFor, writeVisionGraph, type VisionGraphPaths } from '../electron/engine/vision/vision-prepare-artifact.js';
import { openVisionSessions, type VisionRunner } from '../electron/engine/vision/vision-sessions.js';
import { visionShapesOf } from '../electron/engine/vision/vision-shapes-from-config.js';
import { internVideoBlocksToRun, siglipLayersToRun } from '../electron/engine/vision/vision-shapes.js';
import type { ProgressEvent } from '../electron/shared/progress.js';
import { qwen25Tokenizer } from '../test/unit/chat-tokenizer-fixture.js';
import { benchDir, machineFacts, writeResult, type Measurement } from './bench-harness.js';
import { etaErrorColumns, etaErrors, type EtaErrors } from './eta-errors.js';
import { ensureOrtModel, loadConfig } from './llm-bench-models.js';
import { APOLLO_3B_SIZES, randomVisionFetcher } from './random-vision-weights.js';

const env = process.env;
const threads = Number(env.BENCH_THREADS ?? defaultThreadCount());
const videoSize = env.BENCH_VIDEO_SIZE ?? '1280x720';
const VIDEO_SECONDS = 600;
const VIDEO_FPS = 30;
const SEGMENT_SECONDS = 20;
const ANSWER_NOW_SHARE = 0.25;
const LOW_RATIO = 0.05;
const question = env.BENCH_QUESTION ?? 'What happens in this video? Describe the main events in order.';
const clipLimit = env.BENCH_CLIPS === undefined ? undefined : Number(env.BENCH_CLIPS);
const layers = env.BENCH_LAYERS === undefined ? undefined : Number(env.BENCH_LAYERS);
const skipLlm = env.BENCH_SKIP_LLM === '1';
const reduced = clipLimit !== undefined || layers !== undefined || skipLlm;
const log = (s: string) => process.stderr.write(`[first-answer] ${new Date().toISOString().slice(11, 19)} ${s}\n`);
const load = () => loadavg().map((x) => x.toFixed(2)).join('/');
const work = mkdtempSync(join(tmpdir(), 'apollo-first-answer-'));

/** Apollo-3B-t32's config files (bench/random-vision-weights.ts), the towers' depth reduced for BENCH_LAYERS (select layer −2: n + 1 layers run n). */
function configFiles(): Record<string, unknown> {
  return tinyApolloConfigFiles({ ...APOLLO_3B_SIZES, siglipLayers: layers === undefined ? APOLLO_3B_SIZES.siglipLayers : layers + 1, ivDepth: layers === undefined ? APOLLO_3B_SIZES.ivDepth : layers + 1 });
}

interface Timed {
  t: number;
  done: number;
  total: number;
  etaMs: number | undefined;
}

interface EncodeRun {
  events: Timed[];
  /** ms from the start of encodeVideoClips. */
  clipDoneMs: number[];
  prepareMs: { clips: number; ms: number }[];
  embeddings: Float32Array;
  order: number[];
  measuredRate?: EncodeRate;
  encodedClips: number[];
}

/** One encode through the app's pipeline: every progress event timed, every chunk's preparation timed. */
async function encodeRun(runner: VisionRunner, video: PlannedVideo, shapes: ReturnType<typeof visionShapesOf>, preprocessing: ReturnType<typeof preprocessorConfigOf>, stopAfter: number | undefined): Promise<EncodeRun> {
  const F = shapes.fusion.frames;
  const clips = towerClipRequests(video.plan, F);
  const inner = videoChunkPreparer(video.probe, clips, preprocessing, F);
  const prepareMs: EncodeRun['prepareMs'] = [];
  const prepare: ChunkPreparer = async (indices, signal) => {
    const t0 = performance.now();
    const out = await inner(indices, signal);
    prepareMs.push({ clips: indices.length, ms: performance.now() - t0 });
    return out;
  };
  const order = coarseToFineOrder(clips.length);
  const state = newEncodeState(shapes, clips.length);
  const events: Timed[] = [];
  let measuredRate: EncodeRate | undefined;
  const t0 = performance.now();
  await encodeVideoClips(runner, shapes, prepare, {
    clipCount: clips.length,
    chunkSize: shapes.encodeBatchSize,
    order,
    state,
    ...(stopAfter === undefined ? {} : { stopAfter }),
    now: () => performance.now(),
    onMeasuredRate: (r) => (measuredRate = r),
    onProgress: (p: ProgressEvent) => {
      if (p.stage !== 'encode') return;
      const e = { t: performance.now(), done: p.done, total: p.total, etaMs: p.etaMs };
      events.push(e);
      if (p.done > 0) log(`clip ${p.done}/${p.total} at ${((e.t - t0) / 1000).toFixed(1)} s, ETA ${p.etaMs === undefined ? '—' : `${(p.etaMs / 1000).toFixed(0)} s`} (load ${load()})`);
    },
  });
  const clipDoneMs = events.filter((e) => e.done > 0).map((e) => e.t - t0);
  return { events, clipDoneMs, prepareMs, embeddings: state.embeddings, order, ...(measuredRate === undefined ? {} : { measuredRate }), encodedClips: [...state.encoded].sort((a, b) => a - b) };
}

async function main(): Promise<void> {
  const loadStart = load();
  const started = new Date().toISOString();
  // The checkpoint's config files (no weights): the app's readers give the shapes, the sampling
  // settings, the preprocessing and the generation settings.
  const modelDir = join(work, 'model');
  for (const [rel, value] of Object.entries(configFiles())) {
    mkdirSync(dirname(join(modelDir, rel)), { recursive: true });
    writeFileSync(join(modelDir, rel), JSON.stringify(value, null, 2));
  }
  const config = await loadApolloCheckpointConfig(modelDir);
  const shapes = visionShapesOf(config);
  const preprocessing = preprocessorConfigOf(config);
  const generation = resolveGenerationSettings(config.generation, {});
  const fullSettings = samplingSettingsFromConfig(config.root);
  const lowSettings = samplingSettingsFromConfig(config.root, { clipSamplingRatio: LOW_RATIO });

  const videoPath = join(work, 'ten-minutes.mp4');
  let t = performance.now();
  // A 20 s segment looped (stream copy) to 10 minutes: generating 10 minutes of testsrc2 at 720p
  // takes minutes; the decoder's work per extracted frame is the same.
  const segment = join(work, 'segment.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${videoSize}:rate=${VIDEO_FPS}:duration=${SEGMENT_SECONDS}`, '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', segment]);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-stream_loop', String(VIDEO_SECONDS / SEGMENT_SECONDS - 1), '-i', segment, '-c', 'copy', videoPath]);
  log(`generated ${VIDEO_SECONDS} s ${videoSize} video in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const full = await planVideo(videoPath, fullSettings);
  if (Math.abs(full.plan.duration - VIDEO_SECONDS) > 1) throw new Error(`the generated video lasts ${full.plan.duration} s, not ${VIDEO_SECONDS}`);
  const low = await planVideo(videoPath, lowSettings);
  const K = full.plan.groupCount;
  const answerNowClips = Math.ceil(ANSWER_NOW_SHARE * K);
  log(`plans: ${K} clips (ratio ${fullSettings.clipSamplingRatio}), ${low.plan.groupCount} clips (ratio ${LOW_RATIO}); Answer now after ${answerNowClips}`);

  // The vision graphs the app opens on a CPU at its default precision.
  const dtype = visionDtypeFor('int4', 'cpu');
  const graphDir = join(work, 'vision');
  mkdirSync(graphDir);
  t = performance.now();
  const paths = {} as VisionGraphPaths;
  for (const [i, part] of VISION_GRAPH_PARTS.entries()) paths[part] = await writeVisionGraph(graphDir, part, shapes, randomVisionFetcher(i + 1), partDtype(part, dtype));
  const graphBuildSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const runner = await openVisionSessions(paths, shapes, { executionProviders: ['cpu'], intraOpNumThreads: threads });
  const sessionOpenSeconds = (performance.now() - t) / 1000;
  log(`vision graphs (${dtype}) built in ${graphBuildSeconds.toFixed(1)} s, sessions opened in ${sessionOpenSeconds.toFixed(1)} s`);

  const loadBeforeEncode = load();
  const stopAfter = clipLimit === undefined ? undefined : Math.min(clipLimit, K);
  const runA = await encodeRun(runner, full, shapes, preprocessing, stopAfter);
  const loadAfterEncode = load();
  const runC = await encodeRun(runner, low, shapes, preprocessing, undefined);
  await runner.release();
  const encodedA = runA.clipDoneMs.length;
  const encodeA = runA.clipDoneMs.at(-1)! / 1000;
  const bIndex = Math.min(answerNowClips, encodedA) - 1;
  const encodeB = runA.clipDoneMs[bIndex]! / 1000;
  const encodeC = runC.clipDoneMs.at(-1)! / 1000;
  const subsetB = runA.order.slice(0, bIndex + 1).sort((a, b) => a - b);

  // ETA: what the pipeline computed live (first encode here, no remembered rate), and the same run
  // replayed through the app's estimator with case (c)'s measured rate as the remembered one.
  const live = etaErrors(runA.events);
  let replay: EtaErrors | undefined;
  if (runC.measuredRate !== undefined) {
    const est = new EncodeEtaEstimator(runA.events[0]!.total, runC.measuredRate);
    const first = runA.prepareMs[0];
    const etas = runA.events.map((e, i) => {
      // the pipeline reports the first chunk's preparation before its first clip's progress
      if (i === 1 && first !== undefined) est.prepared(first.clips, first.ms);
      return est.update(e.done, e.t);
    });
    replay = etaErrors(runA.events.map((e, i) => ({ ...e, etaMs: etas[i] })));
  }

  const measurements: Measurement[] = [];
  const summary: Record<string, unknown> = {};
  const cases = [
    { key: 'a', name: `(a) full detail: all ${K} clips`, video: full, encodeSeconds: encodeA, clips: encodedA, encoded: undefined as number[] | undefined, embeddings: runA.embeddings },
    { key: 'b', name: `(b) Answer now after ${bIndex + 1} of ${K} clips (coarse-to-fine)`, video: full, encodeSeconds: encodeB, clips: bIndex + 1, encoded: subsetB, embeddings: runA.embeddings },
    { key: 'c', name: `(c) clip sampling ratio ${LOW_RATIO}: ${low.plan.groupCount} clips`, video: low, encodeSeconds: encodeC, clips: runC.clipDoneMs.length, encoded: undefined, embeddings: runC.embeddings },
  ];

  let llmInfo = 'skipped (BENCH_SKIP_LLM)';
  const llm = new Map<string, { promptTokens: number; promptBuildSeconds: number; prefillSeconds: number; firstDecodeStepSeconds: number }>();
  if (!skipLlm) {
    const llmConfig = loadConfig('3b');
    // the folder llm-long-context built (maxPositions 16512), so it is reused
    const dir = await ensureOrtModel('3b', llmConfig, { ...DEFAULT_INT4, lmHead: 'int4' }, { maxPositions: 16512, ...(layers === undefined ? {} : { layersOverride: layers }) });
    t = performance.now();
    const decoder = await Qwen2DecoderSession.open(dir, { device: { device: 'cpu', reason: 'requested', executionProviders: ['cpu'] }, threads, kvDtype: 'float16' });
    const decoderOpenSeconds = (performance.now() - t) / 1000;
    await decoder.forward(decoder.embed([1, 2, 3, 4, 5, 6, 7, 8]), 8);
    decoder.reset();
    const tokenizer = qwen25Tokenizer();
    const rowsPerClip = shapes.connector.numLatents * shapes.connector.textHiddenSize;
    for (const c of cases) {
      const t0 = performance.now();
      const shown = videoForPrompt(c.video, c.embeddings, rowsPerClip, c.encoded);
      const plan = planConversationTurn(tokenizer, { videoText: shown.videoText, history: [], question, cachedIds: [], modelMaxLength: c.video.settings.modelMaxLength, reserveTokens: generation.maxNewTokens, clipCount: shown.clipCount, tokensPerClip: shapes.connector.numLatents });
      decoder.truncate(plan.reuseLength);
      const embeds = assembleInputsEmbeds(planSplice(plan.ids, plan.reuseLength), { hiddenSize: decoder.config.hiddenSize, embedTokens: (ids) => decoder.embed(ids), clipRows: shown.clipRows });
      const t1 = performance.now();
      const logits = await decoder.forward(embeds, plan.prefillIds.length, { capacityHint: plan.ids.length + generation.maxNewTokens });
      const t2 = performance.now();
      let next = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[next]!) next = i;
      await decoder.forward(decoder.embed([next]), 1);
      const t3 = performance.now();
      const r = { promptTokens: plan.ids.length, promptBuildSeconds: (t1 - t0) / 1000, prefillSeconds: (t2 - t0) / 1000, firstDecodeStepSeconds: (t3 - t2) / 1000 };
      llm.set(c.key, r);
      log(`${c.name}: ${r.promptTokens} prompt tokens, prefill ${r.prefillSeconds.toFixed(1)} s (prompt build ${r.promptBuildSeconds.toFixed(2)} s), first decode step ${r.firstDecodeStepSeconds.toFixed(2)} s (load ${load()})`);
      decoder.reset();
    }
    await decoder.release();
    llmInfo = `Qwen2 3B shape${layers === undefined ? '' : ` with ${layers} layer(s)`} (hidden ${llmConfig.hiddenSize}, ${layers ?? llmConfig.numLayers} layers), int4 block ${DEFAULT_INT4.blockSize} ${DEFAULT_INT4.symmetric ? 'symmetric' : 'zero points'} accuracy ${DEFAULT_INT4.accuracyLevel}, 4-bit head, float16 KV cache; opened in ${decoderOpenSeconds.toFixed(1)} s`;
  }

  for (const c of cases) {
    const l = llm.get(c.key);
    measurements.push({
      name: c.name,
      seconds: l === undefined ? c.encodeSeconds : c.encodeSeconds + l.prefillSeconds + l.firstDecodeStepSeconds,
      runs: 1,
      clips: c.clips,
      encodeSeconds: c.encodeSeconds,
      promptTokens: l?.promptTokens,
      prefillSeconds: l?.prefillSeconds,
      firstDecodeStepSeconds: l?.firstDecodeStepSeconds,
      ttfaMinutes: l === undefined ? undefined : (c.encodeSeconds + l.prefillSeconds + l.firstDecodeStepSeconds) / 60,
    });
  }
  for (const [name, e] of [['encode-eta (live, first encode here)', live], ['encode-eta replayed with case (c)\'s rate remembered', replay]] as const) {
    if (e === undefined) continue;
    measurements.push({
      name: `ETA over (a)'s encode: ${name}`,
      seconds: encodeA,
      runs: 1,
      clips: encodedA,
      ...etaErrorColumns(e),
    });
  }
  Object.assign(summary, {
    video: `${VIDEO_SECONDS} s ${videoSize} ${VIDEO_FPS} fps testsrc2 (libx264 veryfast, a ${SEGMENT_SECONDS} s segment looped by stream copy)${full.warnings.length === 0 ? '' : `, warnings: ${full.warnings.map((w) => w.code).join(', ')}`}; real frames extracted and preprocessed by the app's chunk preparer, overlapping the encoding (inside the encode times)`,
    plan: `${K} clips at ratio ${fullSettings.clipSamplingRatio} (effective ${full.plan.effectiveRatio.toFixed(4)}), ${low.plan.groupCount} at ${LOW_RATIO}; Answer now at ${answerNowClips} = ceil(${ANSWER_NOW_SHARE} × ${K})`,
    vision: `${dtype} variant (SigLIP ${partDtype('siglip', dtype)}, InternVideo2 ${partDtype('internVideo', dtype)}, connector ${partDtype('connector', dtype)}): SigLIP ${shapes.siglip.hiddenSize}×${siglipLayersToRun(shapes.siglip)} layers @${shapes.siglip.imageSize}, InternVideo2 ${shapes.internVideo.hiddenSize}×${internVideoBlocksToRun(shapes.internVideo)} blocks @${shapes.internVideo.imageSize}; random weights; chunks of ${shapes.encodeBatchSize}`,
    llm: llmInfo,
    threads,
    availableParallelism: availableParallelism(),
    question,
    ...(reduced ? { reduced: `smoke run: ${[clipLimit === undefined ? '' : `BENCH_CLIPS=${clipLimit}`, layers === undefined ? '' : `BENCH_LAYERS=${layers}`, skipLlm ? 'BENCH_SKIP_LLM=1' : ''].filter((x) => x !== '').join(' ')}` } : {}),
    graphBuildSeconds,
    visionSessionOpenSeconds: sessionOpenSeconds,
    firstChunkPrepareSeconds: runA.prepareMs[0] === undefined ? undefined : runA.prepareMs[0].ms / 1000,
    chunkPrepareSecondsPerClip: runA.prepareMs.map((p) => (p.ms / 1000 / p.clips).toFixed(2)).join(', '),
    meanSecondsPerClipAfterFirst: encodedA > 1 ? (runA.clipDoneMs.at(-1)! - runA.clipDoneMs[0]!) / 1000 / (encodedA - 1) : undefined,
    measuredRateA: runA.measuredRate === undefined ? 'none' : `${runA.measuredRate.msPerClip.toFixed(0)} ms/clip, start-up ${runA.measuredRate.startupMs.toFixed(0)} ms`,
    measuredRateC: runC.measuredRate === undefined ? 'none' : `${runC.measuredRate.msPerClip.toFixed(0)} ms/clip, start-up ${runC.measuredRate.startupMs.toFixed(0)} ms`,
    ttfaDefinition: 'encode (from the encoder pipeline\'s start, sessions open) + prefill (prompt build and prefill from an empty cache; its logits give the first token) + one decode step',
    etaNote: 'errors: |predicted − actual time left| / actual, first ETA and mean over every ETA; meanAbsEtaErrorOfRun divides by the whole encode instead',
    loadAverage1m5m15m: `start ${loadStart} → before encode ${loadBeforeEncode} → after (a)'s encode ${loadAfterEncode} → end ${load()}`,
    started,
  });
  const result = {
    bench: 'first-answer',
    date: new Date().toISOString(),
    machine: machineFacts(),
    measurements,
    summary,
    // [done, seconds since the encode's start, ETA seconds, seconds actually left] per event of (a)'s run
    traces: {
      encodeA: runA.events.map((e) => [e.done, +((e.t - runA.events[0]!.t) / 1000).toFixed(2), e.etaMs === undefined ? null : +(e.etaMs / 1000).toFixed(2), +((runA.events.at(-1)!.t - e.t) / 1000).toFixed(2)]),
      encodeAOrder: runA.order,
      encodeC: runC.events.map((e) => [e.done, +((e.t - runC.events[0]!.t) / 1000).toFixed(2)]),
    },
  };
  let path: string;
  if (reduced) {
    path = join(benchDir, '_tmp-first-answer.json');
    writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  } else path = writeResult(result);
  log(`wrote ${path}`);
  console.table(measurements.map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined).map(([k, v]) => [k, typeof v === 'number' ? +v.toPrecision(4) : v]))));
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
