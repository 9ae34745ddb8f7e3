// The llama.cpp peer: prefill and decode speed of a GGUF through node-llama-cpp (CPU, greedy).
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';

export interface PeerResult {
  prefillTokens: number;
  prefillSeconds: number;
  decodeTokens: number;
  decodeSeconds: number;
  threads: number;
}

export async function runLlamaCpp(ggufPath: string, o: { threads: number; promptTokens: number; decodeTokens: number; vocabSize: number }): Promise<PeerResult> {
  const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, maxThreads: o.threads });
  const model = await llama.loadModel({ modelPath: ggufPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: o.promptTokens + o.decodeTokens + 16, batchSize: o.promptTokens, threads: { ideal: o.threads, min: o.threads } });
  const sequence = context.getSequence();
  // Deterministic ordinary-token prompt (ids below the special tokens).
  const prompt = Array.from({ length: o.promptTokens }, (_, i) => (i * 7919 + 13) % Math.min(o.vocabSize, 151643)) as Token[];
  const t0 = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens(prompt);
  const t1 = performance.now();
  let generated = 0;
  const last: Token[] = [prompt[prompt.length - 1]!];
  // The first decode step re-evaluates the last prompt token; time the following steps only.
  let tStart = 0;
  await sequence.eraseContextTokenRanges([{ start: prompt.length - 1, end: prompt.length }]);
  for await (const _token of sequence.evaluate(last, { temperature: 0 })) {
    if (generated === 0) tStart = performance.now();
    generated++;
    if (generated > o.decodeTokens) break;
  }
  const t2 = performance.now();
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { prefillTokens: o.promptTokens, prefillSeconds: (t1 - t0) / 1000, decodeTokens: o.decodeTokens, decodeSeconds: (t2 - tStart) / 1000, threads: o.threads };
}
