// The engine's methods beyond the built-ins (ping, cancel, shutdown). Each capability registers
// its methods here as it lands.
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import { defineMethod, type EngineMethods } from './engine-rpc.js';
import { VideoPlanMemo } from '../video/video-plan-memo.js';
import { createAnalyzeVideoMethod } from './methods/analyze-video.js';
import { createModelMethods } from './methods/model-methods.js';
import { prepareMethod } from './methods/prepare-method.js';

/** Methods that only exist for tests of crash, out-of-memory and cancellation handling. */
function testHookMethods(): EngineMethods {
  return {
    'test:crash': defineMethod(z.object({ code: z.number().int().min(1).max(255) }), ({ code }) => process.exit(code)),
    'test:exhaust-memory': defineMethod(z.object({}), () => {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(1_000_000).fill(hoard.length));
    }),
    'test:count': defineMethod(z.object({ to: z.number().int().min(1).max(1000), everyMs: z.number().int().min(1).max(1000) }), async ({ to, everyMs }, ctx) => {
      for (let i = 1; i <= to; i++) {
        await new Promise((r) => setTimeout(r, everyMs));
        if (ctx.signal.aborted) throw new ApolloError('CANCELLED');
        ctx.emit({ stage: 'count', done: i, total: to });
      }
      return { counted: to };
    }),
  };
}

export function engineMethods(): EngineMethods {
  // One memo of planned videos for the process: analyze, encode and ask share each probe.
  const plans = new VideoPlanMemo();
  return {
    'analyze-video': createAnalyzeVideoMethod(plans),
    ...createModelMethods(plans),
    prepare: prepareMethod,
    ...(process.env.APOLLO_ENGINE_TEST_HOOKS === '1' ? testHookMethods() : {}),
  };
}
