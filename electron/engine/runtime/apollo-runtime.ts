// One loaded Apollo model inside the engine process: the prepared LLM decoder (with its KV cache),
// the tokenizer and generation config, the vision towers and the clip-embedding cache. It answers
// a question about a video the way the reference does (plan → clip embeddings → prompt → splice →
// prefill → sampled decode) and keeps the KV cache of the conversation, so a follow-up prefills
// only its own tokens.
import { join } from 'node:path';
import type { AskResult, EncodeRate, RuntimeEvent } from '../../shared/engine-protocol.js';
import type { ProgressEvent } from '../../shared/progress.js';
import { frameWarnings, type VideoWarning } from '../../shared/video-warnings.js';
import { generateAnswer } from '../chat/answer-generation.js';
import { MEDIA_TOKEN_ID } from '../chat/chat-prompt.js';
import { commonPrefixLength, planConversationTurn, type ChatTurn } from '../chat/conversation-plan.js';
import { decoderIdentity, KvPrefixCache, kvPrefixKey, videoPrefixLength } from '../llm/kv-prefix-cache.js';
import { resolveGenerationSettings, type GenerationOverrides } from '../chat/generation-config.js';
import { assembleInputsEmbeds, planSplice } from '../chat/splice-plan.js';
import { loadChatTokenizer, type ChatTokenizer } from '../chat/tokenizer.js';
import { defaultThreadCount, selectDevice, type DeviceChoice, type DeviceName } from '../llm/execution-device.js';
import { Qwen2DecoderSession } from '../llm/qwen2-decoder-session.js';
import { DECODER_ARTIFACT_NAME } from '../llm/qwen2-prepare-artifact.js';
import { resolvePreparedModel, type PreparedModel } from '../prepare/prepare-model.js';
import type { Precision } from '../prepare/prepare-manifest.js';
import type { PlannedVideo } from '../video/plan-video.js';
import { samplingSettingsFromConfig } from '../video/sampling-settings.js';
import { VideoPlanMemo } from '../video/video-plan-memo.js';
import { ClipEmbeddingCache, type CachedClipEmbeddings } from '../vision/clip-embedding-cache.js';
import { ApolloError } from '../../shared/errors.js';
import { buildVideoText } from '../video/video-text.js';
import { defaultClipCacheDir, frameIssuesOf, loadVisionModel, openVisionRunner, videoClipEmbeddings, videoClipsSoFar, type VideoEmbeddingsResult, type VisionModel } from '../vision/video-clip-embeddings.js';
import type { VisionDtype } from '../vision/vision-graph-parts.js';
import type { VisionRunner } from '../vision/vision-sessions.js';
import { visionDtypeFor } from '../vision/vision-prepare-artifact.js';

export interface RuntimeKey {
  modelDir: string;
  precision: Precision;
  device: DeviceName | 'auto';
}

export interface AskRequest {
  videoPath: string;
  videoKey: string;
  history: ChatTurn[];
  question: string;
  clipSamplingRatio?: number;
  generation: GenerationOverrides;
  /** Answer from the clips encoded so far (see askParams.answerNow). */
  answerNow?: boolean;
  /** Encode (coarse-to-fine) until this many clips exist, then answer from them. */
  answerAfterClips?: number;
  /** The rate last measured for this model here: the encoding ETA's basis until this run measures its own. */
  expectedRate?: EncodeRate;
}

/** What the prompt shows of the video: all clips, or the subset encoded so far as Apollo's prompt for it. */
export interface VideoForPrompt {
  videoText: string;
  clipCount: number;
  /** (clipCount · tokensPerClip, hidden) rows, clip after clip in time order. */
  clipRows: Float32Array;
  used: number;
  total: number;
}

/** "from 21 of 84 clips", or "from all 84 clips". */
export function clipsUsedLabel(used: number, total: number): string {
  return used === total ? `from all ${total} clips` : `from ${used} of ${total} clips`;
}

/**
 * The prompt's view of a video whose clips `encoded` (ascending) are encoded: Apollo's own video
 * text for that many clips (count in words, each clip's time label) and their rows, in time order.
 * All clips: the video's text and rows unchanged.
 */
export function videoForPrompt(video: PlannedVideo, embeddings: Float32Array, rowsPerClip: number, encoded: readonly number[] | undefined): VideoForPrompt {
  const total = video.plan.groupCount;
  if (encoded === undefined || encoded.length === total) return { videoText: video.videoText, clipCount: total, clipRows: embeddings, used: total, total };
  if (video.plan.clips.length !== total) {
    throw new ApolloError('VIDEO_TOKEN_MISMATCH', 'This video\'s clips and their time labels do not line up one to one, so it cannot be answered from part of its clips; wait for the encoding to finish.');
  }
  const clips = encoded.map((i) => video.plan.clips[i]!);
  const rows = new Float32Array(encoded.length * rowsPerClip);
  encoded.forEach((clip, j) => rows.set(embeddings.subarray(clip * rowsPerClip, (clip + 1) * rowsPerClip), j * rowsPerClip));
  return { videoText: buildVideoText({ ...video.plan, clips, groupCount: clips.length }, video.settings), clipCount: clips.length, clipRows: rows, used: clips.length, total };
}

export class ApolloRuntime {
  /** The token ids whose keys/values the decoder's cache holds, and for which video. */
  private cached: { videoKey: string; ids: number[] } | undefined;
  private lastEmbeddings: { id: string; result: Awaited<ReturnType<typeof videoClipEmbeddings>> } | undefined;

  private constructor(
    readonly key: RuntimeKey,
    readonly deviceChoice: DeviceChoice,
    private readonly decoder: Qwen2DecoderSession,
    private readonly tokenizer: ChatTokenizer,
    private readonly vision: VisionModel,
    private readonly plans: VideoPlanMemo,
    private readonly prepared: PreparedModel,
    private readonly clipCache: ClipEmbeddingCache,
  ) {
    this.kvPrefixes = new KvPrefixCache(clipCache);
    this.decoderId = decoderIdentity(prepared.manifest, DECODER_ARTIFACT_NAME);
  }

  /** Saved KV caches of video prefixes, beside the clip embeddings and under the same limit. */
  private readonly kvPrefixes: KvPrefixCache;
  private readonly decoderId: string;

  /**
   * Loads the model. Videos are planned through `plans` and their embeddings cached in `clipCache`:
   * the engine passes its process-wide ones; a runtime used alone (benches) gets its own.
   */
  static async load(key: RuntimeKey, options: { plans?: VideoPlanMemo; clipCache?: ClipEmbeddingCache; signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void } = {}): Promise<ApolloRuntime> {
    const deviceChoice = await selectDevice(key.device);
    const prepared = await resolvePreparedModel(key.modelDir, { precision: key.precision, ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    // A float16 cache halves the bytes every decode step reads and was as fast or faster at every
    // depth measured (docs/benchmarks.md, llm-long-context); fp32 keeps float32 for exactness.
    const kvDtype = key.precision === 'fp32' ? 'float32' : 'float16';
    const decoder = await Qwen2DecoderSession.open(join(prepared.preparedDir, DECODER_ARTIFACT_NAME), { device: deviceChoice, threads: defaultThreadCount(), kvDtype });
    const llmDir = join(key.modelDir, 'llm');
    const [tokenizer, vision] = await Promise.all([loadChatTokenizer(llmDir), loadVisionModel(key.modelDir)]);
    return new ApolloRuntime(key, deviceChoice, decoder, tokenizer, vision, options.plans ?? new VideoPlanMemo(), prepared, options.clipCache ?? new ClipEmbeddingCache(defaultClipCacheDir()));
  }

  private get visionDtype(): VisionDtype {
    return visionDtypeFor(this.key.precision, this.deviceChoice.device);
  }

  /** The vision sessions, opened at the first encode and kept warm for the next video (released with the runtime). */
  private visionRunner: Promise<VisionRunner> | undefined;

  private warmVisionRunner(): Promise<VisionRunner> {
    this.visionRunner ??= openVisionRunner(this.vision, this.prepared, this.visionDtype, { executionProviders: this.deviceChoice.executionProviders, intraOpNumThreads: defaultThreadCount() });
    // a failed open is not kept: the next encode tries again
    this.visionRunner.catch(() => (this.visionRunner = undefined));
    return this.visionRunner;
  }

  /** The video's probe and plan under these settings, from the engine's memo (analyze-video may have made it). */
  private plannedVideo(request: Pick<AskRequest, 'videoPath' | 'videoKey' | 'clipSamplingRatio'>, emit: (event: RuntimeEvent) => void, signal: AbortSignal | undefined): Promise<PlannedVideo> {
    const settings = samplingSettingsFromConfig(this.vision.config.root, request.clipSamplingRatio === undefined ? {} : { clipSamplingRatio: request.clipSamplingRatio });
    return this.plans.plan({ path: request.videoPath, key: request.videoKey }, settings, { signal, onProgress: (p) => emit({ type: 'progress', progress: p }) });
  }

  /** Drops what this runtime keeps of a video in memory (its embeddings, its conversation's KV cache). */
  forgetVideo(videoKey: string): void {
    if (this.lastEmbeddings?.id.startsWith(`${videoKey}:`)) this.lastEmbeddings = undefined;
    if (this.cached?.videoKey === videoKey) {
      this.cached = undefined;
      this.decoder.reset();
    }
  }

  /**
   * The video's clip embeddings, from the cache or encoded now (progress as events). Called when a
   * video is opened, so that the first question finds them ready.
   */
  async encode(request: Pick<AskRequest, 'videoPath' | 'videoKey' | 'clipSamplingRatio' | 'expectedRate'>, emit: (event: RuntimeEvent) => void, signal?: AbortSignal, options: { stopAfter?: number } = {}) {
    const video = await this.plannedVideo(request, emit, signal);
    const started = performance.now();
    // The conversation's video stays in memory: a follow-up does not re-read and re-check its entry.
    const id = `${request.videoKey}:${request.clipSamplingRatio ?? 'default'}`;
    if (this.lastEmbeddings?.id === id) return { video, embeddings: { ...this.lastEmbeddings.result, fromCache: true }, encodeMs: performance.now() - started, videoWarnings: this.videoWarningsOf(video, this.lastEmbeddings.result.entry) };
    let measuredRate: EncodeRate | undefined;
    const embeddings = await videoClipEmbeddings({ key: request.videoKey, settings: video.settings, planned: () => Promise.resolve(video) }, this.vision, this.clipCache, {
      dtype: this.visionDtype,
      cpuDtype: visionDtypeFor(this.key.precision, 'cpu'),
      runner: () => this.warmVisionRunner(),
      // clips spread over the whole video first, so an early answer sees all of it (encode-order.ts)
      order: 'coarse-to-fine',
      ...(options.stopAfter === undefined ? {} : { stopAfter: options.stopAfter }),
      ...(request.expectedRate === undefined ? {} : { expectedRate: request.expectedRate }),
      onMeasuredRate: (rate) => (measuredRate = rate),
      prepared: this.prepared,
      session: { executionProviders: this.deviceChoice.executionProviders, intraOpNumThreads: defaultThreadCount() },
      onProgress: (p) => emit({ type: 'progress', progress: p }),
      ...(signal === undefined ? {} : { signal }),
    });
    // only a complete video is kept as the conversation's
    if (embeddings.encodedClips === undefined) this.lastEmbeddings = { id, result: embeddings };
    return { video, embeddings, encodeMs: performance.now() - started, videoWarnings: this.videoWarningsOf(video, embeddings.entry), ...(measuredRate === undefined ? {} : { measuredRate }) };
  }

  /** What the user is told about the video: the plan's warnings and frames decoded with errors (kept in the cache entry). */
  private videoWarningsOf(video: PlannedVideo, entry: CachedClipEmbeddings): VideoWarning[] {
    const { damagedTimes, missingTimes } = frameIssuesOf(entry);
    return [...video.warnings, ...frameWarnings(damagedTimes, missingTimes)];
  }

  /** The clips to answer from: all (encoding what is missing), or for "answer now" those encoded so far. */
  private async embeddingsForAsk(request: AskRequest, emit: (event: RuntimeEvent) => void, signal: AbortSignal | undefined): Promise<{ video: PlannedVideo; embeddings: VideoEmbeddingsResult; encodeMs: number; videoWarnings: VideoWarning[]; measuredRate?: EncodeRate }> {
    if (request.answerAfterClips !== undefined) return this.encode(request, emit, signal, { stopAfter: request.answerAfterClips });
    if (request.answerNow !== true) return this.encode(request, emit, signal);
    const video = await this.plannedVideo(request, emit, signal);
    const soFar = await videoClipsSoFar({ key: request.videoKey, settings: video.settings, planned: () => Promise.resolve(video) }, this.vision, this.clipCache, this.visionDtype);
    if (soFar === undefined) throw new ApolloError('NOTHING_ENCODED_YET');
    return { video, embeddings: soFar, encodeMs: 0, videoWarnings: this.videoWarningsOf(video, soFar.entry) };
  }

  async ask(request: AskRequest, emit: (event: RuntimeEvent) => void, signal?: AbortSignal): Promise<AskResult> {
    const progress = (p: ProgressEvent) => emit({ type: 'progress', progress: p });
    const { video, embeddings, encodeMs, videoWarnings, measuredRate } = await this.embeddingsForAsk(request, emit, signal);
    const shown = videoForPrompt(video, embeddings.entry.embeddings, embeddings.entry.numLatents * embeddings.entry.hiddenSize, embeddings.encodedClips);
    const settings = resolveGenerationSettings(this.vision.config.generation, request.generation);
    const askStart = performance.now();
    const planTurn = () =>
      planConversationTurn(this.tokenizer, {
        videoText: shown.videoText,
        history: request.history,
        question: request.question,
        cachedIds: this.cached?.videoKey === request.videoKey ? this.cached.ids : [],
        modelMaxLength: video.settings.modelMaxLength,
        reserveTokens: settings.maxNewTokens,
        clipCount: shown.clipCount,
        tokensPerClip: embeddings.entry.numLatents,
      });
    let plan = planTurn();
    // The video prefix's KV cache: from disk when this conversation's cache is not in memory (a
    // re-opened video, another process), saved after the answer when it was prefilled now.
    const prefixIds = plan.ids.slice(0, videoPrefixLength(plan.ids, MEDIA_TOKEN_ID));
    const prefixKey = kvPrefixKey({ embeddingsKey: embeddings.key, decoderId: this.decoderId, kvDtype: this.decoder.kvDtype, prefixIds });
    let prefixFromDisk = false;
    if (prefixIds.length > 0 && plan.reuseLength < prefixIds.length) {
      const loaded = await this.kvPrefixes.load(prefixKey, this.decoder, { capacityHint: plan.ids.length + settings.maxNewTokens });
      this.cached = 'prefixIds' in loaded ? { videoKey: request.videoKey, ids: loaded.prefixIds } : undefined;
      prefixFromDisk = 'prefixIds' in loaded;
      plan = planTurn();
    }

    // Keep the reusable prefix of the cache; prefill the rest (the session runs it in chunks).
    this.decoder.truncate(plan.reuseLength);
    const segments = planSplice(plan.ids, plan.reuseLength);
    const hidden = this.decoder.config.hiddenSize;
    const embeds = assembleInputsEmbeds(segments, { hiddenSize: hidden, embedTokens: (ids) => this.decoder.embed(ids), clipRows: shown.clipRows });
    const total = plan.prefillIds.length;
    let logits: Float32Array;
    try {
      logits = await this.decoder.forward(embeds, total, { onProgress: progress, capacityHint: plan.ids.length + settings.maxNewTokens, ...(signal === undefined ? {} : { signal }) });
    } finally {
      // Whatever was prefilled (all of it, or the chunks before a cancel) is what the cache holds.
      this.cached = { videoKey: request.videoKey, ids: plan.ids.slice(0, this.decoder.length) };
    }
    const firstLogits = Float32Array.from(logits);
    let ttftMs = 0;
    let firstTokenAt = 0;
    const answer = await generateAnswer({
      tokenizer: this.tokenizer,
      settings,
      firstLogits,
      feed: async (id) => {
        const next = await this.decoder.forward(this.decoder.embed([id]), 1);
        this.cached!.ids.push(id);
        return next;
      },
      onToken: (_id, index) => {
        if (index === 0) {
          firstTokenAt = performance.now();
          ttftMs = firstTokenAt - askStart;
        }
      },
      onDelta: (delta) => emit({ type: 'delta', delta }),
      ...(signal === undefined ? {} : { signal }),
    });
    const decodeSeconds = (performance.now() - firstTokenAt) / 1000;
    const decodeTokens = answer.ids.length;
    const cachedIds = this.cached?.ids ?? [];
    if (!prefixFromDisk && prefixIds.length > 0 && plan.reuseLength < prefixIds.length && commonPrefixLength(cachedIds, prefixIds) === prefixIds.length) {
      // A cache that cannot be written costs the next re-open a prefill, not this answer.
      await this.kvPrefixes.save(prefixKey, this.decoder, prefixIds, { videoKey: request.videoKey }).catch((error: unknown) => process.stderr.write(`could not save the video's KV cache: ${error instanceof Error ? error.message : String(error)}\n`));
    }
    return {
      answer: answer.text,
      tokenIds: answer.ids,
      stopReason: answer.stopReason,
      droppedTurns: plan.droppedTurns,
      device: this.deviceChoice.device,
      deviceReason: this.deviceChoice.reason,
      precision: this.key.precision,
      plan: { clips: embeddings.entry.clips, effectiveRatio: video.plan.effectiveRatio },
      clipsUsed: { used: shown.used, total: shown.total, label: clipsUsedLabel(shown.used, shown.total) },
      embeddingsFromCache: embeddings.fromCache,
      visionFallbacks: embeddings.fallbacks.map((f) => f.reason),
      videoWarnings,
      ...(measuredRate === undefined ? {} : { measuredRate }),
      timings: {
        encodeMs,
        ttftMs,
        prefillTokens: total,
        decodeTokens,
        decodeTokensPerSecond: decodeTokens > 1 && decodeSeconds > 0 ? (decodeTokens - 1) / decodeSeconds : 0,
      },
    };
  }

  async release(): Promise<void> {
    const runner = this.visionRunner;
    this.visionRunner = undefined;
    await runner?.then((r) => r.release(), () => undefined);
    await this.decoder.release();
  }
}
