// The engine's method table: every work method of the protocol contract (built-ins ping, cancel
// and shutdown live in the message loop). A contract method without an implementation here does
// not compile.
import { ApolloError } from '../../shared/errors.js';
import { implementMethod, type EngineMethodImpl, type EngineMethodTable } from './engine-rpc.js';
import { VideoPlanMemo } from '../video/video-plan-memo.js';
import { createAnalyzeVideoMethod } from './methods/analyze-video.js';
import { createModelMethods } from './methods/model-methods.js';
import { ClipEmbeddingCache } from '../vision/clip-embedding-cache.js';
import { defaultClipCacheDir } from '../vision/video-clip-embeddings.js';
import { videoCacheStatus } from '../vision/video-cache-entries.js';
import { prepareMethod } from './methods/prepare-method.js';

/** Methods that only exist for tests of crash, out-of-memory and cancellation handling. */
function testHookMethods(): { 'test:crash': EngineMethodImpl<'test:crash'>; 'test:exhaust-memory': EngineMethodImpl<'test:exhaust-memory'>; 'test:count': EngineMethodImpl<'test:count'> } {
  return {
    'test:crash': implementMethod('test:crash', ({ code }) => process.exit(code)),
    'test:exhaust-memory': implementMethod('test:exhaust-memory', () => {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(1_000_000).fill(hoard.length));
    }),
    'test:count': implementMethod('test:count', async ({ to, everyMs }, ctx) => {
      for (let i = 1; i <= to; i++) {
        await new Promise((r) => setTimeout(r, everyMs));
        if (ctx.signal.aborted) throw new ApolloError('CANCELLED');
        ctx.emit({ stage: 'count', done: i, total: to });
      }
      return { counted: to };
    }),
  };
}

export function engineMethods(options: { testHooks?: boolean } = {}): EngineMethodTable {
  const testHooks = options.testHooks ?? process.env.APOLLO_ENGINE_TEST_HOOKS === '1';
  // One memo of planned videos for the process: analyze, encode and ask share each probe.
  const plans = new VideoPlanMemo();
  const clipCache = new ClipEmbeddingCache(defaultClipCacheDir());
  return {
    'analyze-video': createAnalyzeVideoMethod(plans),
    ...createModelMethods(plans, clipCache),
    'video-caches': implementMethod('video-caches', async ({ videoKeys }) => ({ videos: await videoCacheStatus(clipCache.dir, videoKeys) })),
    prepare: prepareMethod,
    ...(testHooks ? testHookMethods() : {}),
  };
}
