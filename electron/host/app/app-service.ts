// The app's host-side logic, shared by Electron main (over IPC) and web mode (over HTTP + SSE):
// opened videos, their analysis and chats, settings, and events to the UI. Model and video work
// happens in the engine process, reached through EngineClient; the chat history lives here, so
// an engine crash never loses it.
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonValidated, writeJsonAtomic } from '../../common/persist/atomic-file.js';
import type { AppEvent, AppSettings, ChatHistory, ChatTurn, DeviceStatus, LibraryVideo, TurnVersion, VideoAnalysis, VideoRef } from '../../shared/app-api.js';
import { encodeRateSchema, type DeviceReport, type EncodeRate, type RuntimeEvent } from '../../shared/engine-protocol.js';
import { ApolloError, serializeError, toApolloError } from '../../shared/errors.js';
import { LIMITS } from '../../shared/limits.js';
import type { VideoWarning } from '../../shared/video-warnings.js';
import type { EngineClient } from '../engine-client/engine-client.js';
import type { MediaLibrary } from '../media/media-server.js';
import { ChatHistoryStore, summarizeChat, type OtherChat } from './chat-history-store.js';
import { ThumbnailCache } from './clip-thumbnails.js';
import { lockDataFolder } from './data-folder-lock.js';
import { videoFingerprint } from '../../common/fingerprint/video-fingerprint.js';
import { chatToMarkdown } from './markdown-export.js';
import { ModelManager } from './model-manager.js';
import { SettingsStore } from './settings-store.js';
import { VideoLibrary } from './video-library.js';

export interface AppServiceOptions {
  dataDir: string;
  engine: EngineClient;
  mediaUrlFor: (videoId: string, capability?: string) => string;
  /** Web mode: issues a video's media capability (see host/web/media-capability.ts). */
  mediaCapabilityFor?: (videoId: string) => string;
  /** The model folder to answer with (an original checkpoint or a prepared one), if one is installed. */
  modelDir?: string;
}

type Listener = (event: AppEvent) => void;

// Per model, device setting and precision: the steady per-clip rate and start-up the last encode measured.
const encodeRatesSchema = z.record(z.string(), encodeRateSchema.extend({ device: z.enum(['cuda', 'webgpu', 'dml', 'cpu']), precision: z.enum(['fp32', 'fp16', 'int4']) }));

export class AppService {
  readonly videos: VideoLibrary;
  private readonly chats: ChatHistoryStore;
  readonly settings: SettingsStore;
  readonly models: ModelManager;
  private readonly thumbnails = new ThumbnailCache();
  private readonly listeners = new Set<Listener>();
  private readonly analyses = new Map<string, VideoAnalysis>();
  private readonly histories = new Map<string, ChatHistory>();
  /** Per video content: its chats other than the one shown (newest first). */
  private readonly otherChats = new Map<string, OtherChat[]>();
  private readonly active = new Map<string, AbortController>();
  private readonly videoWork = new Map<string, AbortController>();
  /** The background encode running per video (also in videoWork), so "Answer now" can pause it. */
  private readonly encoding = new Map<string, AbortController>();
  /** Videos whose encoding "Answer now" interrupted: it resumes after that answer (a Cancel meanwhile drops it). */
  private readonly resumeAfterAnswer = new Set<string>();
  /** Per video key: switches the question waiting for the encoding to "answer now" (false once it is answering from every clip). */
  private readonly answerNowSwitches = new Map<string, () => boolean>();
  private modelDir: string | undefined;
  /** The device the last answer ran on (for the badge), once known. */
  device: DeviceStatus | undefined;

  constructor(private readonly options: AppServiceOptions) {
    this.videos = new VideoLibrary(options.dataDir, options.mediaUrlFor, options.mediaCapabilityFor);
    this.chats = new ChatHistoryStore(options.dataDir);
    this.settings = new SettingsStore(options.dataDir);
    this.modelDir = options.modelDir;
    this.models = new ModelManager(options.engine, {
      download: (download) => this.emit({ type: 'model-download', download }),
      progress: (spec, progress) => this.emit({ type: 'progress', scope: 'model', id: spec, progress }),
      changed: () => void this.onModelsChanged(),
    });
  }

  private releaseDataFolder: (() => Promise<void>) | undefined;

  /** Takes the data folder (one process per folder: data-folder-lock.ts), then loads the settings. */
  async init(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    // Owner-only, also for a folder an older version created with the default mode.
    if (process.platform !== 'win32') await chmod(this.options.dataDir, 0o700).catch(() => undefined);
    this.releaseDataFolder ??= await lockDataFolder(this.options.dataDir);
    await this.settings.load();
    if (this.options.modelDir === undefined) await this.useInstalledModel();
  }

  /** Whether a saved chat refers to this file's content (an upload nobody chats about can go). */
  async chatRefersTo(path: string): Promise<boolean> {
    return this.chats.hasTurns(await videoFingerprint(path));
  }

  /** Whether an upload is still needed: a saved chat refers to its content, or the library lists it. */
  async keepsUpload(path: string): Promise<boolean> {
    if ((await this.videos.recent()).some((v) => v.path === path)) return true;
    return this.chatRefersTo(path);
  }

  /** Lets another process use the data folder (on shutdown). */
  async close(): Promise<void> {
    const release = this.releaseDataFolder;
    this.releaseDataFolder = undefined;
    await release?.();
  }

  /** Without an explicit --model: the model chosen in settings, else an installed one (the default pick first). */
  private async useInstalledModel(): Promise<void> {
    const chosen = this.settings.get().model;
    if (chosen !== undefined) {
      try {
        this.modelDir = await this.models.resolve(chosen);
        this.selectedModel = chosen;
        return;
      } catch {
        // removed or moved: fall through to whatever is installed
      }
    }
    const overview = await this.models.overview(undefined).catch(() => undefined);
    const installed = overview?.installed ?? [];
    const pick = installed.find((m) => m.spec === overview?.defaultPick.name) ?? installed[0];
    if (pick === undefined) return;
    this.modelDir = await this.models.resolve(pick.spec).catch(() => undefined);
    if (this.modelDir !== undefined) this.selectedModel = pick.spec;
  }

  private async onModelsChanged(): Promise<void> {
    if (this.options.modelDir === undefined && this.modelDir === undefined) await this.useInstalledModel();
    this.emit({ type: 'models-changed' });
  }

  private selectedModel: string | undefined;

  modelsOverview() {
    return this.models.overview(this.options.modelDir !== undefined ? 'local folder' : this.selectedModel);
  }

  /** Answers with an installed model from now on (remembered in the settings). */
  async selectModel(spec: string): Promise<void> {
    this.modelDir = await this.models.resolve(spec);
    this.selectedModel = spec;
    await this.settings.update({ model: spec });
    this.emit({ type: 'models-changed' });
  }

  async removeModel(spec: string): Promise<void> {
    await this.models.remove(spec);
    if (this.selectedModel === spec) {
      this.selectedModel = undefined;
      this.modelDir = this.options.modelDir;
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: AppEvent): void {
    for (const l of this.listeners) l(event);
  }

  get hasModel(): boolean {
    return this.modelDir !== undefined;
  }

  /** What HostInfo says about the model and device (both hosts), so a reloaded page shows them at once. */
  modelInfo(): { model?: string; device?: DeviceStatus } {
    const model = this.options.modelDir !== undefined ? 'local folder' : this.selectedModel;
    return { ...(model !== undefined && this.modelDir !== undefined ? { model } : {}), ...(this.device !== undefined ? { device: this.device } : {}) };
  }

  async openVideo(path: string, displayName?: string): Promise<VideoRef> {
    const video = await this.videos.open(path, displayName);
    return video.ref;
  }

  /** Probes and plans the video in the engine (progress as events); cached per video and ratio. */
  async analyzeVideo(videoId: string): Promise<VideoAnalysis> {
    const video = this.videos.get(videoId);
    const ratio = this.settings.get().clipSamplingRatio;
    const cached = this.analyses.get(videoId);
    if (cached !== undefined && cached.clipSamplingRatio === ratio) return cached;
    this.stopEncoding(videoId);
    this.videoWork.get(videoId)?.abort();
    const controller = new AbortController();
    this.videoWork.set(videoId, controller);
    try {
      const result = await this.options.engine.call(
        'analyze-video',
        { path: video.path, videoKey: video.key, clipSamplingRatio: ratio, ...(this.modelDir ? { modelDir: this.modelDir } : {}) },
        // once cancelled, the engine's reports still on their way are not passed on (the page would show the work again)
        { signal: controller.signal, onEvent: (progress) => !controller.signal.aborted && this.emit({ type: 'progress', scope: 'video', id: videoId, progress }) },
      );
      const rate = await this.encodeRate();
      const analysis: VideoAnalysis = { video: video.ref, ...result, ...(rate !== undefined ? { estimate: { msPerClip: rate.msPerClip, device: rate.device, precision: rate.precision } } : {}) };
      this.warnAboutVideo(video.key, result.warnings);
      this.analyses.set(videoId, analysis);
      const poster = result.clips[Math.floor(result.clips.length / 2)];
      await this.videos
        .recordPlan(video.key, { duration: result.probe.duration, clips: result.clips.length, clipSamplingRatio: result.clipSamplingRatio, ...(poster ? { poster: { clip: poster.index, at: (poster.start + poster.end) / 2 } } : {}) })
        .catch(() => undefined);
      this.emit({ type: 'analysis', analysis });
      // Encoding starts as soon as the video is open, so the first question finds it done.
      void this.encodeInBackground(videoId);
      return analysis;
    } catch (error) {
      throw withDisplayName(error, video.path, video.ref.name);
    } finally {
      if (this.videoWork.get(videoId) === controller) this.videoWork.delete(videoId);
    }
  }

  private async encodeInBackground(videoId: string): Promise<void> {
    if (this.modelDir === undefined || this.encoding.has(videoId)) return;
    const video = this.videos.get(videoId);
    const controller = new AbortController();
    this.videoWork.set(videoId, controller);
    this.encoding.set(videoId, controller);
    const settings = this.settings.get();
    try {
      const expectedRate = await this.encodeRate();
      const result = await this.options.engine.call(
        'encode',
        {
          videoPath: video.path,
          videoKey: video.key,
          modelDir: this.modelDir,
          settings: { device: settings.device, precision: settings.precision, clipSamplingRatio: settings.clipSamplingRatio, cacheSizeGiB: settings.cacheSizeGiB },
          ...(expectedRate !== undefined ? { expectedRate: { msPerClip: expectedRate.msPerClip, startupMs: expectedRate.startupMs } } : {}),
        },
        // once cancelled or paused, the engine's reports still on their way are not passed on
        { signal: controller.signal, onEvent: (e) => !controller.signal.aborted && this.onAskEvent(videoId, undefined, e) },
      );
      this.setDevice(result);
      this.warnAboutVideo(video.key, result.videoWarnings);
      if (result.measuredRate !== undefined) await this.recordEncodeRate(result.measuredRate, result.device, result.precision);
      // The cost line's estimate gives way to what it took (the plan may have changed meanwhile).
      const analysis = this.analyses.get(videoId);
      if (analysis !== undefined && analysis.clipSamplingRatio === settings.clipSamplingRatio && analysis.clips.length === result.clips) {
        const encoded: VideoAnalysis = { ...analysis, video: this.videos.get(videoId).ref, encoded: { ms: Math.round(result.encodeMs), clips: result.clips, fromCache: result.fromCache } };
        this.analyses.set(videoId, encoded);
        this.emit({ type: 'analysis', analysis: encoded });
      }
    } catch (error) {
      const e = toApolloError(error);
      if (e.code !== 'CANCELLED') this.emit({ type: 'notice', level: 'error', message: `The video could not be encoded: ${withDisplayName(e, video.path, video.ref.name).message}` });
    } finally {
      if (this.videoWork.get(videoId) === controller) this.videoWork.delete(videoId);
      if (this.encoding.get(videoId) === controller) this.encoding.delete(videoId);
    }
  }

  /** Encodes the rest of the video after a Cancel (what was encoded is kept, so only the missing clips run). */
  resumeEncoding(videoId: string): void {
    this.videos.get(videoId);
    if (this.modelDir === undefined) throw new ApolloError('MODEL_NOT_INSTALLED', 'No model is installed yet; download one in the model manager (or run `apollo-chat pull`), then the video is watched.');
    void this.encodeInBackground(videoId);
  }

  /** Stops the video's background encode for an "answer now" (its clips are kept); it resumes after that answer. */
  private pauseEncodingForAnswer(videoId: string): void {
    const running = this.encoding.get(videoId);
    if (running === undefined) return;
    this.resumeAfterAnswer.add(videoId);
    this.stopEncoding(videoId);
  }

  /** Aborts the background encode; a new one may start at once (the engine runs it after the old one stops). */
  private stopEncoding(videoId: string): void {
    const running = this.encoding.get(videoId);
    this.encoding.delete(videoId);
    running?.abort();
  }

  /** The question waiting for the encoding is answered from the clips encoded so far. */
  answerNow(videoId: string): void {
    const video = this.videos.get(videoId);
    const toNow = this.answerNowSwitches.get(video.key);
    if (toNow === undefined) throw new ApolloError('INVALID_ARGUMENT', 'No question is waiting for the video to be watched; ask one, then choose Answer now.', { details: { status: 409 } });
    if (!toNow()) throw new ApolloError('INVALID_ARGUMENT', 'Every clip is watched already: this answer is being written from all of them.', { details: { status: 409 } });
  }

  /** Shows each of a video's warnings (damaged frames, a derived frame rate) once as a notice. */
  private warnAboutVideo(videoKey: string, warnings: readonly VideoWarning[] | undefined): void {
    for (const w of warnings ?? []) {
      const id = `${videoKey}\n${w.message}`;
      if (this.shownVideoWarnings.has(id)) continue;
      this.shownVideoWarnings.add(id);
      this.emit({ type: 'notice', level: 'warning', message: w.message });
    }
  }

  private readonly shownVideoWarnings = new Set<string>();

  private setDevice(result: DeviceReport): void {
    const fellBack = result.deviceReason.startsWith('fallback');
    this.device = { device: result.device, precision: result.precision, ...(fellBack ? { fallbackReason: result.deviceReason } : {}) };
    this.emit({ type: 'device', status: this.device });
  }

  /** Where the model's encoding rate under the current device and precision settings is kept. */
  private encodeRateKey(): string {
    const s = this.settings.get();
    return `${this.modelDir ?? ''}\n${s.device}/${s.precision}`;
  }

  /** The encoding rate last measured with this model and the current device and precision settings. */
  private async encodeRate(): Promise<z.infer<typeof encodeRatesSchema>[string] | undefined> {
    const rates = await readJsonValidated(join(this.options.dataDir, 'encode-rates.json'), encodeRatesSchema);
    return rates.ok ? rates.value[this.encodeRateKey()] : undefined;
  }

  private async recordEncodeRate(rate: EncodeRate, device: DeviceStatus['device'], precision: DeviceStatus['precision']): Promise<void> {
    const path = join(this.options.dataDir, 'encode-rates.json');
    const rates = await readJsonValidated(path, encodeRatesSchema);
    await writeJsonAtomic(path, { ...(rates.ok ? rates.value : {}), [this.encodeRateKey()]: { msPerClip: Math.round(rate.msPerClip), startupMs: Math.round(rate.startupMs), device, precision } }).catch(() => {});
  }

  cancelVideoWork(videoId: string): void {
    // the user's Cancel also holds for encoding an "answer now" paused
    this.resumeAfterAnswer.delete(videoId);
    this.stopEncoding(videoId);
    this.videoWork.get(videoId)?.abort();
  }

  /** What the media server (both hosts) serves: opened videos and their clip thumbnails. */
  get media(): MediaLibrary {
    return { pathOf: (videoId) => this.videos.pathOf(videoId), thumbnail: (videoId, clipIndex) => this.thumbnail(videoId, clipIndex) };
  }

  async thumbnail(videoId: string, clipIndex: number): Promise<Buffer> {
    const video = this.videos.known(videoId);
    // A library video not opened in this run: its poster clip, at the time its last plan gave.
    const poster = this.analyses.has(videoId) ? undefined : (await this.videos.recent()).find((v) => v.key === video.key)?.poster;
    if (poster !== undefined && poster.clip === clipIndex) return this.thumbnails.get(video.key, video.path, clipIndex, poster.at);
    const analysis = this.analyses.get(videoId) ?? (await this.analyzeVideo(this.videos.get(videoId).ref.id));
    const clip = analysis.clips[clipIndex];
    if (clip === undefined) throw new ApolloError('INVALID_ARGUMENT', `This video has no clip ${clipIndex}.`, { details: { status: 404 } });
    return this.thumbnails.get(video.key, video.path, clipIndex, clip.pictureSeconds ?? (clip.start + clip.end) / 2);
  }

  async chat(videoId: string): Promise<ChatHistory> {
    const video = this.videos.get(videoId);
    let history = this.histories.get(video.key);
    if (history === undefined) {
      const loaded = await this.chats.load(video.key, videoId, video.ref.name);
      history = loaded.current;
      this.histories.set(video.key, history);
      this.otherChats.set(video.key, loaded.others);
    }
    // One chat per content: a renamed copy shares it, and its export is headed with the name opened now.
    return { ...history, videoId, videoName: video.ref.name };
  }

  private async persist(videoKey: string): Promise<void> {
    const history = this.histories.get(videoKey);
    if (history !== undefined) await this.chats.save(videoKey, history, this.otherChats.get(videoKey));
  }

  /** Starts another chat on the video; the one shown (if it has turns) is kept with the video's chats. */
  async newChat(videoId: string): Promise<ChatHistory> {
    return this.switchChat(videoId, undefined);
  }

  /** Shows one of the video's other chats; the one shown (if it has turns) is kept. */
  async openChat(videoId: string, chatId: string): Promise<ChatHistory> {
    return this.switchChat(videoId, chatId);
  }

  private async switchChat(videoId: string, chatId: string | undefined): Promise<ChatHistory> {
    const video = this.videos.get(videoId);
    const current = await this.chat(videoId);
    if (current.chatId === chatId) return current;
    if (this.active.has(video.key)) throw new ApolloError('INVALID_ARGUMENT', 'An answer is still being written; stop it first, then switch chats.', { details: { status: 409 } });
    const others = this.otherChats.get(video.key) ?? [];
    const picked = chatId === undefined ? { chatId: randomUUID(), turns: [] } : others.find((c) => c.chatId === chatId);
    if (picked === undefined) throw new ApolloError('INVALID_ARGUMENT', 'That chat is no longer kept for this video; open the library again.', { details: { status: 404 } });
    const stored = this.histories.get(video.key)!;
    const kept: OtherChat[] = stored.turns.length > 0 ? [{ chatId: stored.chatId ?? randomUUID(), turns: stored.turns, ...(stored.droppedTurns === undefined ? {} : { droppedTurns: stored.droppedTurns }) }] : [];
    this.otherChats.set(video.key, [...kept, ...others.filter((c) => c.chatId !== picked.chatId)].slice(0, LIMITS.chatsPerVideo - 1));
    const next: ChatHistory = { videoId, videoName: video.ref.name, chatId: picked.chatId, turns: picked.turns, ...('droppedTurns' in picked && picked.droppedTurns !== undefined ? { droppedTurns: picked.droppedTurns } : {}) };
    this.histories.set(video.key, next);
    await this.persist(video.key);
    return this.chat(videoId);
  }

  /** The videos opened before, newest first: what their last plan said, what the engine's cache holds, their chats. */
  async library(): Promise<LibraryVideo[]> {
    const entries = await this.videos.entries();
    const caches = await this.options.engine.call('video-caches', { videoKeys: entries.map((e) => e.key) }).catch(() => undefined);
    const out: LibraryVideo[] = [];
    for (const entry of entries) {
      const size = await stat(entry.path).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
      const cache = caches?.videos.find((c) => c.videoKey === entry.key);
      let current = this.histories.get(entry.key);
      let others = this.otherChats.get(entry.key);
      if (current === undefined || others === undefined) {
        const loaded = await this.chats.load(entry.key, '', entry.name);
        current = loaded.current;
        others = loaded.others;
      }
      const chats = [...(current.turns.length > 0 ? [summarizeChat(current.chatId ?? '', current.turns, true)] : []), ...others.map((c) => summarizeChat(c.chatId, c.turns, false))];
      out.push({
        id: entry.key,
        name: entry.name,
        openedAt: entry.openedAt,
        ...(size !== undefined ? { sizeBytes: size, video: this.videos.grantListed(entry, size) } : {}),
        ...(entry.duration !== undefined ? { duration: entry.duration } : {}),
        ...(entry.clips !== undefined ? { clips: entry.clips } : {}),
        ...(entry.clipSamplingRatio !== undefined ? { clipSamplingRatio: entry.clipSamplingRatio } : {}),
        ...(entry.poster !== undefined ? { posterClip: entry.poster.clip } : {}),
        cache: cache === undefined ? { embeddings: 'unknown', kvPrefix: false, bytes: 0 } : { embeddings: cache.embeddings, ...(cache.encodedClips !== undefined ? { encodedClips: cache.encodedClips, totalClips: cache.totalClips } : {}), kvPrefix: cache.kvPrefix, bytes: cache.bytes },
        chats,
      });
    }
    return out;
  }

  /** Opens a library video again (from where it was last opened). */
  async openLibraryVideo(libraryId: string): Promise<VideoRef> {
    const entry = (await this.videos.entries()).find((e) => e.key === libraryId);
    if (entry === undefined) throw new ApolloError('INVALID_ARGUMENT', 'This video is no longer in the library; open the file again.', { details: { status: 404 } });
    return this.openVideo(entry.path, entry.name);
  }

  /**
   * Removes a video from the library: its chats, and the engine's cached clip embeddings and saved
   * KV prefix for it (work on it is cancelled first). The video file itself is left alone.
   */
  async removeLibraryVideo(libraryId: string): Promise<{ freedBytes: number }> {
    if (this.active.has(libraryId)) throw new ApolloError('INVALID_ARGUMENT', 'An answer about this video is still being written; stop it first, then remove the video.', { details: { status: 409 } });
    for (const video of this.videos.list()) {
      if (this.videos.get(video.id).key !== libraryId) continue;
      this.cancelVideoWork(video.id);
      this.analyses.delete(video.id);
    }
    const { freedBytes } = await this.options.engine.call('forget-video-caches', { videoKey: libraryId });
    await this.chats.remove(libraryId);
    this.histories.delete(libraryId);
    this.otherChats.delete(libraryId);
    await this.videos.forget(libraryId);
    return { freedBytes };
  }

  /**
   * Validates and records a question, then starts answering it. Resolves as soon as the turn
   * exists (bad input and a busy chat are thrown here); `finished` settles with the final turn.
   */
  async startTurn(videoId: string, question: string, versions?: TurnVersion[], options: { answerNow?: boolean } = {}): Promise<{ turn: ChatTurn; finished: Promise<ChatTurn> }> {
    const trimmed = question.trim();
    if (trimmed === '') throw new ApolloError('INVALID_ARGUMENT', 'Type a question first.');
    if (trimmed.length > LIMITS.questionChars) throw new ApolloError('INVALID_ARGUMENT', `That question is too long; keep it under ${LIMITS.questionChars} characters.`);
    const video = this.videos.get(videoId);
    if (this.active.has(video.key)) throw new ApolloError('INVALID_ARGUMENT', 'An answer is still being written; stop it or wait for it to finish.', { details: { status: 409 } });
    const history = await this.chat(videoId);
    const stored = this.histories.get(video.key)!;
    const turn: ChatTurn = { id: randomUUID(), question: trimmed, answer: '', status: 'pending', createdAt: new Date().toISOString() };
    // Regenerate and Edit: the earlier versions stay with the turn; the new one is the last.
    if (versions !== undefined && versions.length > 0) Object.assign(turn, { versions, versionIndex: versions.length });
    stored.turns.push(turn);
    const controller = new AbortController();
    this.active.set(video.key, controller);
    await this.persist(video.key);
    this.emit({ type: 'turn', videoId, turn: { ...turn } });
    const previous = history.turns.filter((t) => t.status === 'done').map((t) => ({ question: t.question, answer: t.answer }));
    const finished = this.answer(videoId, video.key, video.path, turn, previous, controller, options.answerNow === true);
    return { turn: { ...turn }, finished };
  }

  /**
   * Asks the engine, streaming into `turn`. A question that waits for the video's encoding can be
   * switched to "answer now" (answerNowSwitches): its request is cancelled (a queued one at once)
   * and asked again from the clips encoded so far; encoding that this interrupted resumes after.
   */
  private async answer(videoId: string, videoKey: string, videoPath: string, turn: ChatTurn, previous: Array<{ question: string; answer: string }>, controller: AbortController, answerNow: boolean): Promise<ChatTurn> {
    const stored = this.histories.get(videoKey)!;
    const settings = this.settings.get();
    let now = answerNow;
    try {
      if (this.modelDir === undefined) throw new ApolloError('MODEL_NOT_INSTALLED', 'No model is installed yet; download one in the model manager (or run `apollo-chat pull`) and ask again.');
      if (now) this.pauseEncodingForAnswer(videoId);
      const expectedRate = await this.encodeRate();
      let result;
      for (;;) {
        const attempt = new AbortController();
        const stop = () => attempt.abort();
        controller.signal.addEventListener('abort', stop, { once: true });
        let switched = false;
        let prefilling = false;
        // Until the answer starts (prefill), the question may still be switched to the clips so far.
        if (!now) this.answerNowSwitches.set(videoKey, () => !prefilling && turn.status === 'pending' && !attempt.signal.aborted && ((switched = true), attempt.abort(), true));
        try {
          result = await this.options.engine.call(
            'ask',
            {
              videoPath,
              videoKey,
              modelDir: this.modelDir,
              settings: askSettings(settings),
              history: previous,
              question: turn.question,
              ...(now ? { answerNow: true } : {}),
              ...(expectedRate !== undefined ? { expectedRate: { msPerClip: expectedRate.msPerClip, startupMs: expectedRate.startupMs } } : {}),
            },
            {
              signal: attempt.signal,
              onEvent: (e) => {
                if (e.type === 'progress' && e.progress.stage === 'prefill') prefilling = true;
                this.onAskEvent(videoId, turn, e);
              },
            },
          );
          break;
        } catch (error) {
          if (!switched || controller.signal.aborted) throw error;
          // The waiting question answers now; whatever encoding it waited for resumes after it.
          now = true;
          this.pauseEncodingForAnswer(videoId);
          this.resumeAfterAnswer.add(videoId);
        } finally {
          controller.signal.removeEventListener('abort', stop);
          this.answerNowSwitches.delete(videoKey);
        }
      }
      turn.answer = result.answer;
      turn.status = result.stopReason === 'cancelled' ? 'stopped' : 'done';
      if (result.timings !== undefined) turn.timings = result.timings;
      turn.clipsUsed = result.clipsUsed;
      if (result.clipsUsed.used >= result.clipsUsed.total) this.resumeAfterAnswer.delete(videoId);
      this.setDevice(result);
      this.warnAboutVideo(videoKey, result.videoWarnings);
      if (result.measuredRate !== undefined) await this.recordEncodeRate(result.measuredRate, result.device, result.precision);
      if (result.droppedTurns !== undefined && result.droppedTurns > 0) {
        stored.droppedTurns = result.droppedTurns;
        this.emit({ type: 'notice', level: 'info', message: `The oldest ${result.droppedTurns} question(s) were left out of the model's context to make room.` });
      }
    } catch (error) {
      const e = toApolloError(error);
      if (e.code === 'CANCELLED') turn.status = 'stopped';
      else {
        turn.status = 'error';
        turn.error = serializeError(withDisplayName(e, videoPath, this.videos.get(videoId).ref.name));
        if (e.code === 'ENGINE_CRASHED' || e.code === 'ENGINE_OUT_OF_MEMORY') this.emit({ type: 'notice', level: 'error', message: e.message });
      }
    } finally {
      this.active.delete(videoKey);
      if (this.resumeAfterAnswer.delete(videoId)) void this.encodeInBackground(videoId);
    }
    await this.persist(videoKey);
    this.emit({ type: 'turn', videoId, turn: { ...turn } });
    return { ...turn };
  }

  private onAskEvent(videoId: string, turn: ChatTurn | undefined, e: RuntimeEvent): void {
    // A turn that has ended (stopped, failed) takes no more text.
    if (e.type === 'delta' && turn !== undefined && (turn.status === 'pending' || turn.status === 'streaming')) {
      if (turn.status !== 'streaming') {
        turn.status = 'streaming';
        this.emit({ type: 'turn', videoId, turn: { ...turn } });
      }
      turn.answer += e.delta;
      this.emit({ type: 'turn-delta', videoId, turnId: turn.id, delta: e.delta });
    } else if (e.type === 'progress') {
      this.emit({ type: 'progress', scope: 'video', id: videoId, progress: e.progress });
    }
  }

  stop(videoId: string): boolean {
    const video = this.videos.get(videoId);
    const controller = this.active.get(video.key);
    controller?.abort();
    return controller !== undefined;
  }

  /** Asks the last question again; the earlier answer is kept as a version of the turn. */
  async regenerate(videoId: string): Promise<{ turn: ChatTurn; finished: Promise<ChatTurn> }> {
    const video = this.videos.get(videoId);
    await this.chat(videoId);
    const stored = this.histories.get(video.key)!;
    const last = stored.turns.at(-1);
    if (last === undefined) throw new ApolloError('INVALID_ARGUMENT', 'There is no answer to regenerate yet.');
    if (this.active.has(video.key)) throw new ApolloError('INVALID_ARGUMENT', 'An answer is still being written; stop it first.', { details: { status: 409 } });
    const versions = allVersions(last, []);
    stored.turns.pop();
    return this.startTurn(videoId, last.question, versions);
  }

  /**
   * Asks an earlier question anew, edited: the turn's current version (with the turns that
   * followed it) is kept as a version, so nothing is lost and the user can switch back.
   */
  async editQuestion(videoId: string, turnId: string, question: string): Promise<{ turn: ChatTurn; finished: Promise<ChatTurn> }> {
    const video = this.videos.get(videoId);
    await this.chat(videoId);
    const stored = this.histories.get(video.key)!;
    const index = stored.turns.findIndex((t) => t.id === turnId);
    if (index < 0) throw new ApolloError('INVALID_ARGUMENT', 'That question is no longer in this chat.', { details: { status: 404 } });
    if (this.active.has(video.key)) throw new ApolloError('INVALID_ARGUMENT', 'An answer is still being written; stop it first.', { details: { status: 409 } });
    const versions = allVersions(stored.turns[index]!, stored.turns.slice(index + 1));
    stored.turns.splice(index);
    return this.startTurn(videoId, question, versions);
  }

  /**
   * Shows version `index` of a turn, with the conversation that followed that version. The engine
   * is sent the shown turns with the next question, so its KV cache follows: it keeps the longest
   * prefix it has and prefills from where the versions differ.
   */
  async selectVersion(videoId: string, turnId: string, index: number): Promise<ChatHistory> {
    const video = this.videos.get(videoId);
    await this.chat(videoId);
    const stored = this.histories.get(video.key)!;
    const at = stored.turns.findIndex((t) => t.id === turnId);
    if (at < 0) throw new ApolloError('INVALID_ARGUMENT', 'That question is no longer in this chat.', { details: { status: 404 } });
    if (this.active.has(video.key)) throw new ApolloError('INVALID_ARGUMENT', 'An answer is still being written; stop it first.', { details: { status: 409 } });
    const turn = stored.turns[at]!;
    const all = allVersions(turn, stored.turns.slice(at + 1));
    const picked = all[index];
    if (picked === undefined) throw new ApolloError('INVALID_ARGUMENT', `This answer has ${all.length} version(s).`, { details: { status: 404 } });
    const { later, ...shown } = picked;
    const others = all.filter((_, i) => i !== index);
    const next: ChatTurn = { id: turn.id, ...shown, ...(others.length > 0 ? { versions: others, versionIndex: index } : {}) };
    stored.turns.splice(at, stored.turns.length - at, next, ...later);
    await this.persist(video.key);
    return this.chat(videoId);
  }

  async clearChat(videoId: string): Promise<void> {
    const video = this.videos.get(videoId);
    await this.chat(videoId);
    this.histories.get(video.key)!.turns = [];
    await this.persist(video.key);
  }

  async exportMarkdown(videoId: string): Promise<string> {
    return chatToMarkdown(await this.chat(videoId), this.analyses.get(videoId)?.clips, new Date());
  }

  async updateSettings(patch: unknown): Promise<AppSettings> {
    const before = this.settings.get();
    const after = await this.settings.update(patch);
    if (after.clipSamplingRatio !== before.clipSamplingRatio) this.analyses.clear();
    return after;
  }
}

/** All versions of a turn in order, the shown one (with the turns after it) in its place. */
function allVersions(turn: ChatTurn, later: ChatTurn[]): TurnVersion[] {
  const { versions = [], versionIndex, id: _id, ...shown } = turn;
  const at = Math.min(versionIndex ?? versions.length, versions.length);
  return [...versions.slice(0, at), { ...shown, later }, ...versions.slice(at)];
}

/** Errors name the file as the user knows it, never by a host path (uploads live in our data folder). */
function withDisplayName(error: unknown, path: string, name: string): ApolloError {
  const e = toApolloError(error);
  if (!e.message.includes(path)) return e;
  return new ApolloError(e.code, e.message.split(path).join(name), { cause: e, ...(e.details ? { details: e.details } : {}) });
}

function askSettings(s: AppSettings) {
  return { device: s.device, precision: s.precision, temperature: s.temperature, topP: s.topP, maxNewTokens: s.maxNewTokens, clipSamplingRatio: s.clipSamplingRatio, cacheSizeGiB: s.cacheSizeGiB };
}
