// One onnxruntime session over a prepared decoder, holding the KV cache between calls.
// The cache lives in one buffer per layer and tensor, [1, kvHeads, capacity, headDim], bound both
// as past_key_values.N.* (input) and as the preallocated present.N.* (output): GroupQueryAttention
// sees the same memory and appends the new entries in place (no past -> present copy, no memset).
// Limit of onnxruntime-node 1.30 (measured, see the README): its run() still copies every fetched
// output, the preallocated ones included, into a fresh ArrayBuffer on return, so each step pays one
// memcpy of the cache *capacity* inside the binding. Hence the capacity is kept tight (the caller
// passes prompt + max new tokens; growth adds a quarter, not a doubling). Removing that copy needs
// IO binding, which onnxruntime-node exposes only for GPU buffers (preferredOutputLocation).
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { EmbeddingTable } from './embedding-table.js';
import type { DeviceChoice } from './execution-device.js';
import { readDecoderArtifacts, type DecoderArtifacts } from './qwen2-artifacts.js';
import { decoderIo } from './qwen2-decoder-graph.js';

export interface DecoderSessionOptions {
  device: DeviceChoice;
  /** onnxruntime intra-op threads (CPU). */
  threads: number;
  /** Initial cache capacity in tokens (default 256); grows by a quarter when exceeded. */
  capacity?: number;
  /**
   * Longest run of new positions per onnxruntime call (default 512). GroupQueryAttention's CPU
   * kernel allocates heads × chunk × capacity float32 scores, which for a 10k-token video prompt in
   * one call would be gigabytes; chunks give the same cache and logits (tested).
   */
  prefillChunk?: number;
}

export interface ForwardOptions {
  signal?: AbortSignal;
  /** Progress over the new positions (stage 'prefill'), one event per chunk. */
  onProgress?: ProgressListener;
}

interface KvBuffer {
  data: Float32Array | Uint16Array;
  tensor: ort.Tensor;
}

export class Qwen2DecoderSession {
  private length_ = 0;
  private capacity: number;
  private keys: KvBuffer[] = [];
  private values: KvBuffer[] = [];
  private readonly logits: ort.Tensor;

  private constructor(
    readonly artifacts: DecoderArtifacts,
    private readonly session: ort.InferenceSession,
    private readonly embeddings: EmbeddingTable,
    capacity: number,
    private readonly prefillChunk: number,
  ) {
    this.capacity = capacity;
    this.allocate(capacity);
    this.logits = new ort.Tensor('float32', new Float32Array(artifacts.config.vocabSize), [1, 1, artifacts.config.vocabSize]);
  }

  static async open(dir: string, options: DecoderSessionOptions): Promise<Qwen2DecoderSession> {
    const artifacts = await readDecoderArtifacts(dir);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(join(dir, artifacts.graph.modelFile), {
        executionProviders: options.device.executionProviders,
        intraOpNumThreads: options.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      throw new ApolloError('PREPARED_MODEL_INVALID', `The decoder graph in ${dir} could not be loaded (${error instanceof Error ? error.message.slice(0, 200) : String(error)}); run \`apollo-chat prepare MODEL_DIR\` again.`, { cause: error });
    }
    const table = new EmbeddingTable(join(dir, artifacts.embeddings.file), artifacts.embeddings);
    const capacity = Math.min(artifacts.graph.maxPositions, Math.max(1, options.capacity ?? 256));
    return new Qwen2DecoderSession(artifacts, session, table, capacity, Math.max(1, options.prefillChunk ?? 512));
  }

  /** Tokens held in the cache. */
  get length(): number {
    return this.length_;
  }

  get config() {
    return this.artifacts.config;
  }

  embed(ids: readonly number[]): Float32Array {
    return this.embeddings.lookup(ids);
  }

  /** Forgets the cache (the buffers are kept). */
  reset(): void {
    this.length_ = 0;
  }

  /** Keeps only the first `length` cached positions (a follow-up reuses the conversation's prefix). */
  truncate(length: number): void {
    if (!Number.isInteger(length) || length < 0 || length > this.length_) throw new RangeError(`cannot truncate a cache of ${this.length_} positions to ${length}`);
    this.length_ = length;
  }

  private allocate(capacity: number): void {
    const { numLayers, numKvHeads, headDim } = this.artifacts.config;
    const kvDtype = this.artifacts.graph.kvDtype;
    const make = (old: KvBuffer | undefined): KvBuffer => {
      const size = numKvHeads * capacity * headDim;
      const data = kvDtype === 'float32' ? new Float32Array(size) : new Uint16Array(size);
      if (old !== undefined) {
        // Copy the valid prefix of each head's rows into the larger buffer.
        const oldCapacity = old.data.length / (numKvHeads * headDim);
        for (let hd = 0; hd < numKvHeads; hd++) {
          const rows = old.data.subarray(hd * oldCapacity * headDim, (hd * oldCapacity + this.length_) * headDim);
          (data as Float32Array).set(rows as Float32Array, hd * capacity * headDim);
        }
      }
      return { data, tensor: new ort.Tensor(kvDtype, data, [1, numKvHeads, capacity, headDim]) };
    };
    this.keys = Array.from({ length: numLayers }, (_, i) => make(this.keys[i]));
    this.values = Array.from({ length: numLayers }, (_, i) => make(this.values[i]));
    this.capacity = capacity;
  }

  /**
   * Runs `seq` new positions (embeds [seq × hidden], float32) after the cached ones, in chunks of
   * at most prefillChunk, and returns the logits of the last one. The returned array is reused by
   * the next call: copy it to keep it.
   */
  async forward(embeds: Float32Array, seq: number, options: ForwardOptions = {}): Promise<Float32Array> {
    const { hiddenSize } = this.artifacts.config;
    if (seq < 1 || embeds.length !== seq * hiddenSize) throw new RangeError(`embeds has ${embeds.length} values, expected ${seq} × ${hiddenSize}`);
    const total = this.length_ + seq;
    if (total > this.artifacts.graph.maxPositions) throw new ApolloError('PROMPT_TOO_LONG', `The conversation needs ${total} positions but the model supports ${this.artifacts.graph.maxPositions}; ask a shorter question or lower max new tokens.`);
    if (total > this.capacity) this.allocate(Math.min(this.artifacts.graph.maxPositions, Math.ceil((total + Math.max(256, total / 4)) / 256) * 256));
    for (let start = 0; start < seq; start += this.prefillChunk) {
      options.signal?.throwIfAborted();
      const n = Math.min(this.prefillChunk, seq - start);
      await this.run(embeds.subarray(start * hiddenSize, (start + n) * hiddenSize), n);
      if (seq > 1) options.onProgress?.({ stage: 'prefill', done: start + n, total: seq, unit: 'tokens' });
    }
    return this.logits.data as Float32Array;
  }

  private async run(embeds: Float32Array, seq: number): Promise<void> {
    const { hiddenSize, numLayers } = this.artifacts.config;
    const total = this.length_ + seq;
    const positions = new BigInt64Array(seq);
    for (let i = 0; i < seq; i++) positions[i] = BigInt(this.length_ + i);
    const feeds: Record<string, ort.Tensor> = {
      [decoderIo.inputsEmbeds]: new ort.Tensor('float32', embeds, [1, seq, hiddenSize]),
      [decoderIo.attentionMask]: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      [decoderIo.positionIds]: new ort.Tensor('int64', positions, [1, seq]),
    };
    // Every output is fetched: older onnxruntime-node bindings name the results of a subset by the
    // session's output order, which would mislabel them.
    const fetches: Record<string, ort.Tensor> = { [decoderIo.logits]: this.logits };
    for (let i = 0; i < numLayers; i++) {
      feeds[decoderIo.pastKey(i)] = this.keys[i]!.tensor;
      feeds[decoderIo.pastValue(i)] = this.values[i]!.tensor;
      fetches[decoderIo.presentKey(i)] = this.keys[i]!.tensor;
      fetches[decoderIo.presentValue(i)] = this.values[i]!.tensor;
    }
    try {
      await this.session.run(feeds, fetches);
    } catch (error) {
      throw new ApolloError('INFERENCE_FAILED', `onnxruntime failed while running the decoder (${error instanceof Error ? error.message.slice(0, 200) : String(error)}); run again with --debug, or try --device cpu.`, { cause: error });
    }
    this.length_ = total;
  }

  async release(): Promise<void> {
    this.embeddings.close();
    await this.session.release();
  }
}
