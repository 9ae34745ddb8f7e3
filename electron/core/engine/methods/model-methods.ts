// Engine methods `encode` and `ask`: encode a video (warming the clip cache), and answer one question about it with the conversation so far; `ask` streams text
// deltas and progress, returns the answer with its token ids and timings. The loaded model
// (runtime) stays in the engine between requests, so follow-ups reuse its KV cache.
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { ApolloError } from '../../../shared/errors.js';
import type { VideoPlanMemo } from '../../video/video-plan-memo.js';
import { ClipEmbeddingCache } from '../../vision/clip-embedding-cache.js';
import { defaultClipCacheDir } from '../../vision/video-clip-embeddings.js';
import { ApolloRuntime, type RuntimeKey } from '../apollo-runtime.js';
import { defineMethod, type MethodContext } from '../engine-rpc.js';

const settingsSchema = z
    .object({
      device: z.enum(['auto', 'cuda', 'webgpu', 'dml', 'cpu']).default('auto'),
      precision: z.enum(['fp32', 'fp16', 'int4']).default('int4'),
      temperature: z.number().min(0).max(2).optional(),
      topP: z.number().gt(0).max(1).optional(),
      topK: z.number().int().min(0).max(1_000_000).optional(),
      maxNewTokens: z.number().int().min(1).max(16384).optional(),
      clipSamplingRatio: z.number().gt(0).max(1).optional(),
      /** Size limit of the clip-embedding cache (the app's "cache size" setting). */
      cacheSizeGiB: z.number().min(0.1).max(1024).optional(),
      greedy: z.boolean().optional(),
      seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    })
    .strict();

export const encodeParams = z.object({
  videoPath: z.string().min(1).max(4096),
  videoKey: z.string().regex(/^[0-9a-f]{16,128}$/),
  modelDir: z.string().min(1).max(4096),
  settings: settingsSchema,
});

export const askParams = encodeParams.extend({
  history: z.array(z.object({ question: z.string().max(8000), answer: z.string().max(200_000) })).max(1000),
  question: z.string().min(1).max(8000),
});

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
}

/** `encode` (warm the clip-embedding cache when a video opens) and `ask`, sharing one model and the engine's plan memo. */
export function createModelMethods(plans: VideoPlanMemo, clipCache = new ClipEmbeddingCache(defaultClipCacheDir())) {
  const runtimes = new RuntimeHolder();
  // Requests run one at a time: the model and its KV cache serve one conversation at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => {});
    return run;
  };
  const runtimeFor = (params: z.infer<typeof encodeParams>, ctx: MethodContext) => {
    if (ctx.signal.aborted) throw new ApolloError('CANCELLED');
    const s = params.settings;
    if (s.cacheSizeGiB !== undefined) clipCache.setMaxBytes(Math.round(s.cacheSizeGiB * 1024 ** 3));
    return runtimes.get({ modelDir: params.modelDir, precision: s.precision, device: s.device }, { plans, clipCache, signal: ctx.signal, onProgress: (p) => ctx.emit({ type: 'progress', progress: p }) });
  };
  const encode = defineMethod(encodeParams, (params, ctx) =>
    serial(async () => {
      const runtime = await runtimeFor(params, ctx);
      const { embeddings, encodeMs, video } = await runtime.encode(
        { videoPath: params.videoPath, videoKey: params.videoKey, ...(params.settings.clipSamplingRatio === undefined ? {} : { clipSamplingRatio: params.settings.clipSamplingRatio }) },
        (event) => ctx.emit(event),
        ctx.signal,
      );
      return { clips: embeddings.entry.clips, fromCache: embeddings.fromCache, encodeMs, effectiveRatio: video.plan.effectiveRatio, device: runtime.deviceChoice.device, deviceReason: runtime.deviceChoice.reason, precision: runtime.key.precision };
    }),
  );
  const ask = defineMethod(askParams, (params, ctx) =>
    serial(async () => {
      const s = params.settings;
      const runtime = await runtimeFor(params, ctx);
      return runtime.ask(
        {
          videoPath: params.videoPath,
          videoKey: params.videoKey,
          history: params.history,
          question: params.question,
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
  return { encode, ask };
}
