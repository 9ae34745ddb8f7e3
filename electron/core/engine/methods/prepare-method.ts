// Engine method `prepare`: builds the prepared model (graphs, converted and quantized weights) for
// a downloaded checkpoint. It is heavy CPU work, so it runs in the engine process, not in main.
import { z } from 'zod';
import { prepareModel } from '../../prepare/prepare-model.js';
import { defineMethod } from '../engine-rpc.js';

export const prepareParams = z.object({
  modelDir: z.string().min(1).max(4096),
  precision: z.enum(['fp32', 'fp16', 'int4']),
});

export const prepareMethod = defineMethod(prepareParams, async (params, ctx) => {
  const prepared = await prepareModel(params.modelDir, { precision: params.precision, signal: ctx.signal, onProgress: (p) => ctx.emit(p) });
  return { reused: prepared.reused, precision: params.precision };
});
