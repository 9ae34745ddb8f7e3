// Engine method `prepare`: builds the prepared model (graphs, converted and quantized weights) for
// a downloaded checkpoint. It is heavy CPU work, so it runs in the engine process, not in main.
import { prepareModel } from '../../prepare/prepare-model.js';
import { implementMethod } from '../engine-rpc.js';

export const prepareMethod = implementMethod('prepare', async (params, ctx) => {
  const prepared = await prepareModel(params.modelDir, { precision: params.precision, signal: ctx.signal, onProgress: (p) => ctx.emit(p) });
  return { reused: prepared.reused, precision: params.precision };
});
