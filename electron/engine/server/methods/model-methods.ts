// Engine methods `encode` and `ask`: encode a video (warming the clip cache), and answer one question about it with the conversation so far; `ask` streams text
// deltas and progress, returns the answer with its token ids and timings. The loaded model
// (runtime) stays in the engine between requests, so follow-ups reuse its KV cache.
import { randomInt } from 'node:crypto';
import type { EngineParams, EngineResult, RuntimeEvent } from '../../../shared/engine-protocol.js';
import { ApolloError } from '../../../shared/errors.js';
import type { VideoPlanMemo } from '../../video/video-plan-memo.js';
import type { ClipEmbeddingCache } from '../../vision/clip-embedding-cache.js';
import { removeVideoCacheFiles } from '../../vision/video-cache-entries.js';
import { ApolloRuntime, type RuntimeKey } from '../../runtime/apollo-runtime.js';
import { implementMethod, type MethodContext } from '../engine-rpc.js';

/** The runtimes this engine process holds: one model at a time (a different key releases the old). */
class RuntimeHolder {
  private current: { key: string; runtime: Promise<ApolloRuntime> } | undefined;

  async get(key: RuntimeKey, options: Parameters<typeof ApolloRuntime.load>[1]): Promise<ApolloRuntime> {
    const id = JSON.stringify(key);
    if (this.current?.key !== id) {
      const previous = this.current?.runtime;
      const loading = (async () => {
        await previous?.then((r) => r.release()).catch(() => {});
        return ApolloRuntime.load(key, options);
      })();
      this.current = { key: id, runtime: loading };
      // A failed load is not kept: the next request tries again.
      loading.catch(() => {
        if (this.current?.runtime === loading) this.current = undefined;
      });
    }
    return this.current.runtime;
  }

  /** The loaded runtime, if one is loaded (not loading it). */
  async loaded(): Promise<ApolloRuntime | undefined> {
    return this.current?.runtime.catch(() => undefined);
  }
}

/**
 * `encode` (warm the clip-embedding cache when a video opens), `ask`, and `forget-video-caches`
 * (a video removed from the library), sharing one model, the clip cache and the engine's plan memo.
 */
export function createModelMethods(plans: VideoPlanMemo, clipCache: ClipEmbeddingCache) {
  const runtimes = new RuntimeHolder();
  // Requests run one at a time: the model and its KV cache serve one conversation at a time.
  // A request cancelled while it waits for its turn (a Stop during the video's encoding) settles
  // at once as CANCELLED instead of when the work ahead of it ends, and never starts.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> => {
    const run = queue.then(() => {
      if (signal.aborted) throw new ApolloError('CANCELLED');
      return work();
    });
    queue = run.catch(() => {});
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new ApolloError('CANCELLED'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
  const runtimeFor = (params: EngineParams<'encode'>, ctx: MethodContext<RuntimeEvent>) => {
    if (ctx.signal.aborted) throw new ApolloError('CANCELLED');
    const s = params.settings;
    if (s.cacheSizeGiB !== undefined) clipCache.setMaxBytes(Math.round(s.cacheSizeGiB * 1024 ** 3));
    return runtimes.get({ modelDir: params.modelDir, precision: s.precision, device: s.device }, { plans, clipCache, signal: ctx.signal, onProgress: (p) => ctx.emit({ type: 'progress', progress: p }) });
  };
  const encode = implementMethod('encode', (params, ctx) =>
    serial(ctx.signal, async (): Promise<EngineResult<'encode'>> => {
      const runtime = await runtimeFor(params, ctx);
      const { embeddings, encodeMs, video, videoWarnings, measuredRate } = await runtime.encode(
        { videoPath: params.videoPath, videoKey: params.videoKey, ...(params.settings.clipSamplingRatio === undefined ? {} : { clipSamplingRatio: params.settings.clipSamplingRatio }), ...(params.expectedRate === undefined ? {} : { expectedRate: params.expectedRate }) },
        (event) => ctx.emit(event),
        ctx.signal,
      );
      return { clips: embeddings.entry.clips, fromCache: embeddings.fromCache, encodeMs, effectiveRatio: video.plan.effectiveRatio, videoWarnings, ...(measuredRate === undefined ? {} : { measuredRate }), device: runtime.deviceChoice.device, deviceReason: runtime.deviceChoice.reason, precision: runtime.key.precision };
    }),
  );
  const ask = implementMethod('ask', (params, ctx) =>
    serial(ctx.signal, async () => {
      const s = params.settings;
      const runtime = await runtimeFor(params, ctx);
      return runtime.ask(
        {
          videoPath: params.videoPath,
          videoKey: params.videoKey,
          history: params.history,
          question: params.question,
          ...(params.answerNow === undefined ? {} : { answerNow: params.answerNow }),
          ...(params.answerAfterClips === undefined ? {} : { answerAfterClips: params.answerAfterClips }),
          ...(params.expectedRate === undefined ? {} : { expectedRate: params.expectedRate }),
          ...(s.clipSamplingRatio === undefined ? {} : { clipSamplingRatio: s.clipSamplingRatio }),
          generation: {
            ...(s.greedy === undefined ? {} : { greedy: s.greedy }),
            ...(s.temperature === undefined ? {} : { temperature: s.temperature }),
            ...(s.topP === undefined ? {} : { topP: s.topP }),
            ...(s.topK === undefined ? {} : { topK: s.topK }),
            ...(s.maxNewTokens === undefined ? {} : { maxNewTokens: s.maxNewTokens }),
            // A fresh seed per answer unless the caller asks for a reproducible one.
            seed: s.seed ?? randomInt(2 ** 32 - 1),
          },
        },
        (event) => ctx.emit(event),
        ctx.signal,
      );
    }),
  );
  // Queued like the model's work, so no encode of the video writes its entry back meanwhile.
  const forget = implementMethod('forget-video-caches', ({ videoKey }, ctx) =>
    serial(ctx.signal, async () => {
      (await runtimes.loaded())?.forgetVideo(videoKey);
      return removeVideoCacheFiles(clipCache.dir, videoKey);
    }),
  );
  return { encode, ask, 'forget-video-caches': forget };
}
