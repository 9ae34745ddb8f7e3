// Vision encoding at Apollo-3B's real sizes with random weights, onnxruntime CPU provider: seconds
// per clip of each variant of the graphs (float32, int8 = DynamicQuantizeMatMul over int8 weights,
// float16 on request) for SigLIP (4 frames), InternVideo2 and fusion + connector, the clip
// embedding's error of each variant against float32 (also with one part at a time in int8, to see
// where the error comes from), the projected encode time of a 10-minute and a 1-hour video, and
// the re-open time of a 1-hour video from the clip-embedding cache (no tower run).
//
// Method: every graph is built at its full selected depth and real width (random weights, external
// data in a temporary folder) and all variants' sessions are open at once; each round encodes one
// clip (new pixels each round) through every variant in turn, so the variants see the same load on
// this shared machine. Each part's time is the fastest of the rounds after a warm-up round. An
// earlier version extrapolated from 1- and 3-layer graphs; that was off by 2× either way, so only
// full-depth figures are reported.
// Run: flock /tmp/apollo-heavy.lock npx tsx bench/vision-encode.bench.ts && npm run bench:docs
// (env BENCH_VARIANTS=float32,int8[,float16], BENCH_ROUNDS=2, BENCH_THREADS=1)
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { videoFingerprint } from '../electron/common/fingerprint/video-fingerprint.js';
import { apolloPlanningConfigSchema } from '../electron/engine/model/apollo-config.js';
import { TINY_APOLLO_SIZES, makeTinyCheckpoint, tinyApolloConfigFiles } from '../electron/engine/model/tiny-checkpoint.js';
import { ExternalDataWriter } from '../electron/engine/onnx/external-data-writer.js';
import type { GraphBuilder } from '../electron/engine/onnx/graph-builder.js';
import { prepareModel } from '../electron/engine/prepare/prepare-model.js';
import { planApolloClips } from '../electron/engine/video/apollo-clip-plan.js';
import { samplingSettingsFor, samplingSettingsFromConfig } from '../electron/engine/video/sampling-settings.js';
import { ClipEmbeddingCache, clipCacheKey } from '../electron/engine/vision/clip-embedding-cache.js';
import { buildConnectorGraph } from '../electron/engine/vision/connector-graph.js';
import { buildInternVideoGraph } from '../electron/engine/vision/internvideo-graph.js';
import { buildSiglipGraph } from '../electron/engine/vision/siglip-graph.js';
import { loadVisionModel, videoClipEmbeddings } from '../electron/engine/vision/video-clip-embeddings.js';
import { fusionInputsOf, partDtype, visionEmbeddingTag, visionGraphArtifacts } from '../electron/engine/vision/vision-prepare-artifact.js';
import type { VisionDtype } from '../electron/engine/vision/vision-graph-parts.js';
import { internVideoBlocksToRun, internVideoGridFrames, internVideoGridSide, siglipGridSide, siglipLayersToRun, type VisionShapes } from '../electron/engine/vision/vision-shapes.js';
import { benchDir, machineFacts, writeResult, type Measurement } from './bench-harness.js';
import { apollo3bConfigFiles, clipPixels, errorOf, randomVisionFetcher, visionShapesOfFiles } from './random-vision-weights.js';

// BENCH_TINY=1: the tiny checkpoint's sizes, to check the script in seconds (results go to bench/_tmp-vision-encode.json)
const tinyCheck = process.env.BENCH_TINY === '1';
const configFiles = tinyCheck ? tinyApolloConfigFiles(TINY_APOLLO_SIZES) : apollo3bConfigFiles;
const shapes: VisionShapes = visionShapesOfFiles(configFiles);
// one thread by default: on a shared, oversubscribed 2-core machine two onnxruntime threads collapse
const threads = Number(process.env.BENCH_THREADS ?? 1);
const work = mkdtempSync(join(tmpdir(), 'apollo-vision-bench-'));

async function graphSession(name: string, build: (w: ExternalDataWriter) => Promise<GraphBuilder>): Promise<ort.InferenceSession> {
  const path = join(work, `${name}.onnx`);
  const writer = new ExternalDataWriter(`${path}.data`);
  (await build(writer)).save(path);
  return ort.InferenceSession.create(path, { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
}

const F = shapes.fusion.frames;
const s = shapes.siglip;
const v = shapes.internVideo;
const G = siglipGridSide(s);
const G2 = internVideoGridSide(v);
const T2 = internVideoGridFrames(v);
const measurements: Measurement[] = [];
const variants = (process.env.BENCH_VARIANTS ?? 'float32,int8').split(',') as VisionDtype[];
if (variants[0] !== 'float32') throw new Error('BENCH_VARIANTS must start with float32, the baseline');
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

interface VariantSessions {
  siglip: ort.InferenceSession;
  internVideo: ort.InferenceSession;
  connector: ort.InferenceSession;
}

/** One session per (part, graph dtype), shared by the variants that use the same graph. */
const partSessions = new Map<string, Promise<ort.InferenceSession>>();
function partSession(part: 'siglip' | 'internVideo' | 'connector', dtype: VisionDtype): Promise<ort.InferenceSession> {
  const key = `${part}-${dtype}`;
  let session = partSessions.get(key);
  if (session === undefined) {
    if (part === 'siglip') session = graphSession(key, (w) => buildSiglipGraph(s, randomVisionFetcher(1), dtype, { externalData: w }));
    else if (part === 'internVideo') session = graphSession(key, (w) => buildInternVideoGraph(v, randomVisionFetcher(2), dtype, { externalData: w }));
    else session = graphSession(key, (w) => buildConnectorGraph(shapes.connector, fusionInputsOf(shapes), randomVisionFetcher(3), dtype, { externalData: w }));
    partSessions.set(key, session);
  }
  return session;
}

/** A variant as the app opens it: each part's graph in partDtype (the int8 variant keeps the parts quant-settings leaves out in float32). */
async function openVariant(dtype: VisionDtype): Promise<VariantSessions> {
  return {
    siglip: await partSession('siglip', partDtype('siglip', dtype)),
    internVideo: await partSession('internVideo', partDtype('internVideo', dtype)),
    connector: await partSession('connector', partDtype('connector', dtype)),
  };
}

/** Wall seconds and this process's CPU seconds (steadier on a shared machine: with one thread, the time it computed). */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const out = await fn();
  const c = process.cpuUsage(c0);
  return [out, Number(process.hrtime.bigint() - t0) / 1e9, (c.user + c.system) / 1e6];
}

const runSiglip = (x: VariantSessions, pixels: Float32Array) => x.siglip.run({ pixel_values: new ort.Tensor('float32', pixels, [F, s.numChannels, s.imageSize, s.imageSize]) }).then((o) => o.siglip_features!.data as Float32Array);
const runInternVideo = (x: VariantSessions, pixels: Float32Array) => x.internVideo.run({ pixel_values: new ort.Tensor('float32', pixels, [1, v.numChannels, v.numFrames, v.imageSize, v.imageSize]) }).then((o) => o.internvideo_features!.data as Float32Array);
const runConnector = (x: VariantSessions, sig: Float32Array, iv: Float32Array) =>
  x.connector.run({ siglip_features: new ort.Tensor('float32', sig, [1, F, G, G, s.hiddenSize]), internvideo_features: new ort.Tensor('float32', iv, [1, T2, G2, G2, v.hiddenSize]) }).then((o) => o.clip_embeddings!.data as Float32Array);

/** Per variant and part: the fastest round's seconds; per variant: the errors of every clip. */
const best: Record<string, { siglip: number; internVideo: number; connector: number; clip: number; clipCpu: number }> = {};
const errors: Record<string, { relRms: number; relMax: number; cosine: number }[]> = {};
/** The int8 connector alone (every part int8), for the comparison with the default. */
let connectorInt8: { seconds: number; cpuSeconds: number } | undefined;
const note = (key: string, e: { relRms: number; relMax: number; cosine: number }) => (errors[key] ??= []).push(e);

async function measureVariants(): Promise<void> {
  const open: Partial<Record<VisionDtype, VariantSessions>> = {};
  for (const dtype of variants) open[dtype] = await openVariant(dtype);
  for (const dtype of variants) best[dtype] = { siglip: Infinity, internVideo: Infinity, connector: Infinity, clip: Infinity, clipCpu: Infinity };
  // every part int8, the connector included (what INT8_VISION_PARTS decides against): timed and compared too
  const int8Connector = variants.includes('int8') ? { ...open.int8!, connector: await partSession('connector', 'int8') } : undefined;
  let int8ConnectorCpu = Infinity;
  let int8ConnectorWall = Infinity;
  for (let round = 0; round <= rounds; round++) {
    const sigPixels = clipPixels([F, s.numChannels, s.imageSize, s.imageSize], 10 + round);
    const ivPixels = clipPixels([1, v.numChannels, v.numFrames, v.imageSize, v.imageSize], 20 + round);
    const out: Partial<Record<VisionDtype, { sig: Float32Array; iv: Float32Array; emb: Float32Array }>> = {};
    for (const dtype of variants) {
      const x = open[dtype]!;
      const [sig, tS, cS] = await timed(() => runSiglip(x, sigPixels));
      const [iv, tI, cI] = await timed(() => runInternVideo(x, ivPixels));
      const [emb, tC, cC] = await timed(() => runConnector(x, sig, iv));
      out[dtype] = { sig, iv, emb };
      console.log(`round ${round} ${dtype}: siglip ${tS.toFixed(2)} s (cpu ${cS.toFixed(2)}), internvideo2 ${tI.toFixed(2)} s (cpu ${cI.toFixed(2)}), connector ${tC.toFixed(2)} s (cpu ${cC.toFixed(2)}) (load ${loadavg()[0]!.toFixed(1)})`);
      if (round === 0) continue; // warm-up
      const b = best[dtype]!;
      b.siglip = Math.min(b.siglip, tS);
      b.internVideo = Math.min(b.internVideo, tI);
      b.connector = Math.min(b.connector, tC);
      b.clip = Math.min(b.clip, tS + tI + tC);
      b.clipCpu = Math.min(b.clipCpu, cS + cI + cC);
    }
    const ref = out.float32!;
    for (const dtype of variants) {
      if (dtype === 'float32') continue;
      const o = out[dtype]!;
      note(`${dtype} clip embedding`, errorOf(o.emb, ref.emb));
      note(`${dtype} siglip features`, errorOf(o.sig, ref.sig));
      note(`${dtype} internvideo2 features`, errorOf(o.iv, ref.iv));
      // one part at a time in this variant, the others float32: where the error comes from
      note(`${dtype} siglip only`, errorOf(await runConnector(open.float32!, o.sig, ref.iv), ref.emb));
      note(`${dtype} internvideo2 only`, errorOf(await runConnector(open.float32!, ref.sig, o.iv), ref.emb));
      note(`${dtype} connector only`, errorOf(await runConnector(open[dtype]!, ref.sig, ref.iv), ref.emb));
      if (dtype === 'int8' && int8Connector !== undefined) {
        note('int8 connector only', errorOf(await runConnector(int8Connector, ref.sig, ref.iv), ref.emb));
        const [all, wall, cpu] = await timed(() => runConnector(int8Connector, o.sig, o.iv));
        note('every part int8, connector included', errorOf(all, ref.emb));
        if (round > 0) int8ConnectorCpu = Math.min(int8ConnectorCpu, cpu);
        if (round > 0) int8ConnectorWall = Math.min(int8ConnectorWall, wall);
      }
    }
  }
  if (int8Connector !== undefined) connectorInt8 = { seconds: int8ConnectorWall, cpuSeconds: int8ConnectorCpu };
  for (const x of partSessions.values()) await (await x).release();
  for (const f of readdirSync(work)) if (f.endsWith('.onnx') || f.endsWith('.onnx.data')) rmSync(join(work, f));
}

/** Re-open of a 1-hour video: config + fingerprints + a cache hit for 84 clips at H = 2048. */
async function reopenSeconds(clips: number): Promise<{ seconds: number; towerRuns: number; entryMiB: number }> {
  const modelDir = join(work, 'tiny-model');
  await makeTinyCheckpoint(modelDir);
  const video = join(work, 'one-hour.mp4');
  // a 1.5 GB file (sparse, with real bytes spread through it)
  const fd = openSync(video, 'w');
  ftruncateSync(fd, 1.5e9);
  for (let i = 0; i < 64; i++) writeSync(fd, Buffer.alloc(65536, i + 1), 0, 65536, Math.floor((i * (1.5e9 - 65536)) / 63));
  closeSync(fd);
  const model = await loadVisionModel(modelDir);
  const cache = new ClipEmbeddingCache(join(work, 'clip-cache'));
  const sampling = await samplingSettingsFor(modelDir);
  const key = clipCacheKey({ videoFingerprint: await videoFingerprint(video), modelId: model.modelId, sampling, precision: visionEmbeddingTag('float32') });
  const H = shapes.connector.textHiddenSize;
  const L = shapes.connector.numLatents;
  const embeddings = new Float32Array(clips * L * H).map((_, i) => Math.sin(i));
  await cache.put(key, { clips, numLatents: L, hiddenSize: H, embeddings, metadata: { plan: { clips: clips } } });
  // A re-opened video needs no graph, but the runtime holds its prepared folder all the same.
  const prepared = await prepareModel(modelDir, { precision: 'fp32', cacheDir: join(work, 'prepared'), artifacts: visionGraphArtifacts(['float32']) });
  const times: number[] = [];
  let towerRuns = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    const m = await loadVisionModel(modelDir);
    // A re-open: fingerprint, then the cache (the plan is only made on a miss, which fails this bench).
    const r = await videoClipEmbeddings({ key: await videoFingerprint(video), settings: sampling, planned: () => Promise.reject(new Error('re-open missed the cache')) }, m, new ClipEmbeddingCache(join(work, 'clip-cache')), { dtype: 'float32', prepared });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (!r.fromCache) throw new Error('re-open missed the cache');
    towerRuns += r.runner === undefined ? 0 : r.runner.runs.siglip + r.runner.runs.internVideo + r.runner.runs.connector;
  }
  times.sort((a, b) => a - b);
  return { seconds: times[2]!, towerRuns, entryMiB: embeddings.byteLength / 2 ** 20 };
}

const loadAtStart = loadavg()[0]!;
try {
  await measureVariants();
  const loadAfterEncode = loadavg()[0]!;
  const sampling = samplingSettingsFromConfig(apolloPlanningConfigSchema.parse(configFiles['config.json']));
  const clipsFor = (seconds: number) => planApolloClips({ frameCount: Math.round(seconds * 30), fps: 30 }, sampling).groupCount;
  const k10 = clipsFor(600);
  const k60 = clipsFor(3600);
  const fp32Clip = best.float32!.clip;
  const worst = (key: string) => {
    const list = errors[key]!;
    return { relRms: Math.max(...list.map((e) => e.relRms)), relMax: Math.max(...list.map((e) => e.relMax)), cosine: Math.min(...list.map((e) => e.cosine)) };
  };
  for (const dtype of variants) {
    const b = best[dtype]!;
    const err = dtype === 'float32' ? undefined : worst(`${dtype} clip embedding`);
    measurements.push({
      name: `clip ${dtype}: SigLIP ×${F} frames + InternVideo2 + connector${dtype === 'int8' ? ` (connector ${partDtype('connector', 'int8')})` : ''}`,
      seconds: b.clip,
      runs: rounds,
      per: 'clip',
      siglipSeconds: b.siglip,
      internVideoSeconds: b.internVideo,
      connectorSeconds: b.connector,
      speedupVsFloat32: fp32Clip / b.clip,
      cpuSeconds: b.clipCpu,
      cpuSpeedupVsFloat32: best.float32!.clipCpu / b.clipCpu,
      ...(err === undefined ? {} : { embeddingCosine: err.cosine, embeddingRelRms: err.relRms, embeddingRelMax: err.relMax }),
    });
  }
  const errorRows: Record<string, unknown> = {};
  for (const key of Object.keys(errors)) {
    const w = worst(key);
    errorRows[key] = `cosine ${w.cosine.toFixed(5)}, rel. RMS ${w.relRms.toExponential(2)}, rel. max ${w.relMax.toExponential(2)}`;
  }
  if (connectorInt8 !== undefined) {
    const all = worst('every part int8, connector included');
    measurements.push({ name: 'connector int8 alone (every part int8: not the default; error of the whole clip)', seconds: connectorInt8.seconds, runs: rounds, per: 'clip', cpuSeconds: connectorInt8.cpuSeconds, embeddingCosine: all.cosine, embeddingRelRms: all.relRms, embeddingRelMax: all.relMax });
  }
  const reopen = await reopenSeconds(k60);
  measurements.push({ name: 're-open 1-hour video from cache', seconds: reopen.seconds, runs: 5, per: `${k60} clips, ${reopen.entryMiB.toFixed(0)} MiB`, towerRuns: reopen.towerRuns });
  const int8 = best.int8;
  const int8Err = int8 === undefined ? undefined : worst('int8 clip embedding');
  const result = {
    bench: 'vision-encode',
    date: new Date().toISOString(),
    machine: machineFacts(),
    measurements,
    summary: {
      sizes: `SigLIP ${s.hiddenSize}×${siglipLayersToRun(s)} layers @${s.imageSize}, InternVideo2 ${v.hiddenSize}×${internVideoBlocksToRun(v)} blocks @${v.imageSize}×${v.numFrames}, connector ${shapes.connector.visionHiddenSize}→${shapes.connector.textHiddenSize}`,
      threads,
      method: `full selected depth at real widths, random weights; all variants open at once, ${rounds} rounds after a warm-up round, each round one new clip through every variant in turn (4 SigLIP frames batched); fastest round per part; errors: worst over the ${rounds + 1} clips against float32`,
      variants: variants.join(', '),
      fp32SecondsPerClip: fp32Clip,
      ...(int8 === undefined || int8Err === undefined
        ? {}
        : {
            int8SecondsPerClip: int8.clip,
            int8SpeedupPerClip: fp32Clip / int8.clip,
            int8CpuSpeedupPerClip: best.float32!.clipCpu / int8.clipCpu,
            int8EmbeddingCosine: int8Err.cosine,
            int8EmbeddingRelRms: int8Err.relRms,
            goal: 'int8 ≥ 2.5× float32 per clip at clip-embedding cosine ≥ 0.995',
            goalMetWall: fp32Clip / int8.clip >= 2.5 && int8Err.cosine >= 0.995,
            goalMetCpu: best.float32!.clipCpu / int8.clipCpu >= 2.5 && int8Err.cosine >= 0.995,
            int8Projected10MinMinutes: (k10 * int8.clip) / 60,
          }),
      clips10Min: k10,
      clips1Hour: k60,
      fp32Projected10MinMinutes: (k10 * fp32Clip) / 60,
      errorsVsFloat32: errorRows,
      reopen1HourSeconds: reopen.seconds,
      reopenTowerRuns: reopen.towerRuns,
      loadAverage1mStartAfterEncodeEnd: `${loadAtStart.toFixed(2)} / ${loadAfterEncode.toFixed(2)} / ${loadavg()[0]!.toFixed(2)}`,
      note: 'encode only (extraction and preprocessing overlap it; see the preprocess benchmark); random weights have no outlier channels, which real SigLIP/InternVideo2 activations may have (per-tensor activation quantization is most sensitive to them); re-open with the page cache warm',
    },
  };
  const path = tinyCheck ? join(benchDir, '_tmp-vision-encode.json') : writeResult(result);
  if (tinyCheck) writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${path}`);
  console.table(measurements);
} finally {
  rmSync(work, { recursive: true, force: true });
}
