// One loaded decoder, holding the KV cache between calls.
//
// The cache is owned here: one buffer per layer, kv head and kind ([capacity, headDim] rows,
// float32 or float16), of which the first `length` rows are filled. It never crosses the
// onnxruntime boundary as an output: the graph is cut at attention (qwen2-decoder-graph.ts), the
// segments return this step's q/k/v (a few KB per layer in decode), the new k/v are appended here,
// and attention reads the cache in place — natively for a decode step (native/src/attention.cc,
// every cached row read once), or through a small weightless graph for prefill chunks, to which
// the buffers are handed as views (onnxruntime-node reads CPU inputs without copying; a float16
// cache is first widened once per layer and pass into float32 buffers kept for that). So a decode
// step costs the weights plus one read of the cache, never a copy of it. (Measured alternatives,
// bench/llm-attention.bench.ts: GroupQueryAttention with the cache bound as a preallocated output,
// which onnxruntime-node copies whole into JavaScript every step, and attention in the graph over
// views, which MLAS runs far below memory bandwidth at one query row.)
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ApolloError } from '../../shared/errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { loadNativeAddon, type AttentionKernel, type NativeAddon } from '../native/native-addon.js';
import { floatConverter } from '../native/float-convert.js';
import { emitCachedAttention } from '../onnx/emit-attention.js';
import { encodeFloats, type FloatDType } from '../onnx/float-encoding.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { rotaryCaches } from '../onnx/emit-rotary.js';
import { EmbeddingTable } from './embedding-table.js';
import type { DeviceChoice } from './execution-device.js';
import { readDecoderArtifacts, type DecoderArtifacts } from './qwen2-artifacts.js';
import { decoderIo } from './qwen2-decoder-graph.js';

export type KvDtype = FloatDType;

export interface DecoderSessionOptions {
  device: DeviceChoice;
  /** onnxruntime intra-op threads (CPU), also the native attention's threads. */
  threads: number;
  /** Initial cache capacity in tokens (default 256); grows by a quarter when exceeded. */
  capacity?: number;
  /** Longest run of new positions per pass (default DEFAULT_PREFILL_CHUNK); attention splits it further at long context (SCORE_BUDGET). */
  prefillChunk?: number;
  /** Element type of the cache (default float32). float16 halves the bytes every decode step reads. */
  kvDtype?: KvDtype;
  /** How one new position attends: 'native' (default where the addon loads) or 'graph'. */
  decodeAttention?: 'native' | 'graph';
  /** The native kernel (default: the fastest this CPU runs); benchmarks compare them. */
  attentionKernel?: AttentionKernel;
  /** Float32 scores one prefill attention call may hold per kv head (default SCORE_BUDGET); tests lower it. */
  attentionScoreBudget?: number;
}

export interface ForwardOptions {
  signal?: AbortSignal;
  /** Progress over the new positions (stage 'prefill'), one event per chunk. */
  onProgress?: ProgressListener;
  /**
   * Positions the caller expects the cache to reach (this prompt and the answer to come): when the
   * cache must grow, it grows to this instead of a quarter more than needed, so a 12k-token video
   * prompt does not hold 3k positions of slack (the growth copies the cache once, too).
   */
  capacityHint?: number;
}

type KvData = Float32Array | Uint16Array;

/**
 * Positions per prefill pass. 128 prefills as fast as 512 here (MatMulNBits is compute-bound from
 * far fewer rows: 104–108 vs 104–105 tok/s at 1.5B, 61 vs 58 at 3B, interleaved, load ~2) while a
 * pass's working set is a third (+110–215 MB over the weights vs +460–580 MB), which is what
 * keeps 3B at 16k positions within 4 GB (bench/llm-long-context.bench.ts).
 */
const DEFAULT_PREFILL_CHUNK = 128;

/**
 * One call of the prefill attention graph holds at most this many float32 scores per kv head
 * (8 MB; the graph's mask, softmax and scores a few times that): a chunk's queries are split into
 * row blocks that each see only the keys up to their last position, so the working set stays
 * bounded at any depth while the chunk (and with it the weight matmuls' efficiency) keeps its size.
 * The blocks share one float32 copy of the layer's rows (widened), so smaller blocks cost only
 * more, smaller MatMuls: at 3B and 16k positions a 128-position pass peaked +231–274 MB over the
 * resident set with 8 MB and +440–588 MB with 32 MB, and ran 10–12% faster (1 MB: no smaller,
 * slower; bench/llm-long-context.bench.ts's peak RSS is the check at size).
 */
const SCORE_BUDGET = 8 * 2 ** 20;

export class Qwen2DecoderSession {
  private length_ = 0;
  private capacity = 0;
  /** keys[layer][head], values[layer][head]: [capacity, headDim] rows, the first length_ filled. */
  private keys: KvData[][] = [];
  private values: KvData[][] = [];
  private readonly logits: ort.Tensor;
  private readonly attentionOut: Float32Array;
  private readonly half: number;
  private readonly toHalf = floatConverter();
  private readonly widen = this.toHalf;
  private wideKeys: Float32Array[] = [];
  private wideValues: Float32Array[] = [];

  private constructor(
    readonly artifacts: DecoderArtifacts,
    private readonly segments: ort.InferenceSession[],
    private readonly attentionGraph: ort.InferenceSession,
    private readonly embeddings: EmbeddingTable,
    private readonly rotary: { cos: KvData; sin: KvData },
    private readonly native: NativeAddon | undefined,
    readonly kvDtype: KvDtype,
    private readonly threads: number,
    capacity: number,
    private readonly prefillChunk: number,
    private readonly attentionKernel: AttentionKernel | undefined,
    private readonly heap: Pick<NativeAddon, 'releaseFreeHeap'> | undefined,
    private readonly scoreBudget: number,
  ) {
    const { vocabSize, numHeads, headDim } = artifacts.config;
    this.half = headDim / 2;
    this.allocate(capacity);
    this.logits = new ort.Tensor('float32', new Float32Array(vocabSize), [1, 1, vocabSize]);
    this.attentionOut = new Float32Array(numHeads * headDim);
  }

  static async open(dir: string, options: DecoderSessionOptions): Promise<Qwen2DecoderSession> {
    const artifacts = await readDecoderArtifacts(dir);
    const { config, graph } = artifacts;
    const kvDtype = options.kvDtype ?? 'float32';
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: options.device.executionProviders,
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // One arena per segment would each keep a prefill chunk's peak (7 GB at 1.5B): allocate per
      // run instead; the engine process tunes malloc for that (engine/engine-environment.ts).
      enableCpuMemArena: false,
      // Segments run back to back, each with its own pool: spinning pools fight over the cores
      // (decode 8x slower measured), so idle pool threads sleep.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    const segments: ort.InferenceSession[] = [];
    let attentionGraph: ort.InferenceSession | undefined;
    try {
      for (const file of graph.segmentFiles) segments.push(await ort.InferenceSession.create(join(dir, file), sessionOptions));
      attentionGraph = await ort.InferenceSession.create(buildAttentionGraph(artifacts), { ...sessionOptions, executionProviders: ['cpu'] });
    } catch (error) {
      await Promise.all(segments.map((s) => s.release()));
      throw new ApolloError('PREPARED_MODEL_INVALID', `The decoder graphs in ${dir} could not be loaded (${error instanceof Error ? error.message.slice(0, 200) : String(error)}); run \`apollo-chat prepare MODEL_DIR\` again.`, { cause: error });
    }
    const table = new EmbeddingTable(join(dir, artifacts.embeddings.file), artifacts.embeddings);
    const { cos, sin } = rotaryCaches(config.ropeTheta, config.headDim, graph.maxPositions);
    const rotary = { cos: encodeFloats(cos, graph.activationDtype), sin: encodeFloats(sin, graph.activationDtype) };
    const addon = loadNativeAddon();
    const native = options.decodeAttention !== 'graph' && addon.loaded ? addon.addon : undefined;
    const capacity = Math.min(graph.maxPositions, Math.max(1, options.capacity ?? 256));
    return new Qwen2DecoderSession(artifacts, segments, attentionGraph, table, rotary, native, kvDtype, options.threads, capacity, Math.max(1, options.prefillChunk ?? DEFAULT_PREFILL_CHUNK), options.attentionKernel, addon.loaded ? addon.addon : undefined, Math.max(1, options.attentionScoreBudget ?? SCORE_BUDGET));
  }

  /** Tokens held in the cache. */
  get length(): number {
    return this.length_;
  }

  get config() {
    return this.artifacts.config;
  }

  /** How a decode step attends: natively over the cache, or through the attention graph. */
  get decodeAttention(): 'native' | 'graph' {
    return this.native === undefined ? 'graph' : 'native';
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

  /** Bytes held by the cache buffers (their capacity, filled or not). */
  get cacheBytes(): number {
    const { numLayers, numKvHeads, headDim } = this.artifacts.config;
    return 2 * numLayers * numKvHeads * this.capacity * headDim * (this.kvDtype === 'float32' ? 4 : 2);
  }

  /** Rows [from, to) of one cache buffer, as a view (for saving and restoring the cache). */
  cacheRows(kind: 'key' | 'value', layer: number, head: number, from = 0, to = this.length_): KvData {
    const { headDim } = this.artifacts.config;
    return (kind === 'key' ? this.keys : this.values)[layer]![head]!.subarray(from * headDim, to * headDim);
  }

  /**
   * Makes room for `length` positions (at least `capacity` when larger, to spare a later growth)
   * and marks them filled, for a caller that writes the rows itself through cacheRows.
   */
  reserve(length: number, capacity = 0): void {
    const max = this.artifacts.graph.maxPositions;
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`bad cache length ${length}`);
    if (length > max) throw new ApolloError('PROMPT_TOO_LONG', `The cache would hold ${length} positions but the model supports ${max}.`);
    if (length > this.capacity) this.allocate(Math.min(max, Math.max(length, capacity)));
    this.length_ = length;
  }

  /** Grows every buffer to `capacity` rows, keeping the filled ones. */
  private allocate(capacity: number): void {
    const { numLayers, numKvHeads, headDim } = this.artifacts.config;
    const grow = (old: KvData | undefined): KvData => {
      const data = this.kvDtype === 'float32' ? new Float32Array(capacity * headDim) : new Uint16Array(capacity * headDim);
      if (old !== undefined) (data as Float32Array).set(old.subarray(0, this.length_ * headDim) as Float32Array);
      return data;
    };
    const layers = (old: KvData[][]) => Array.from({ length: numLayers }, (_, i) => Array.from({ length: numKvHeads }, (_, j) => grow(old[i]?.[j])));
    this.keys = layers(this.keys);
    this.values = layers(this.values);
    this.capacity = capacity;
  }

  /**
   * Runs `seq` new positions (embeds [seq × hidden], float32) after the cached ones, in chunks,
   * and returns the logits of the last one. The returned array is reused by the next call: copy
   * it to keep it.
   */
  async forward(embeds: Float32Array, seq: number, options: ForwardOptions = {}): Promise<Float32Array> {
    const { hiddenSize } = this.artifacts.config;
    if (seq < 1 || embeds.length !== seq * hiddenSize) throw new RangeError(`embeds has ${embeds.length} values, expected ${seq} × ${hiddenSize}`);
    const total = this.length_ + seq;
    if (total > this.artifacts.graph.maxPositions) throw new ApolloError('PROMPT_TOO_LONG', `The conversation needs ${total} positions but the model supports ${this.artifacts.graph.maxPositions}; ask a shorter question or lower max new tokens.`);
    if (total > this.capacity) {
      const hinted = options.capacityHint !== undefined && options.capacityHint >= total ? Math.ceil(options.capacityHint / 64) * 64 : Math.ceil((total + Math.max(256, total / 4)) / 256) * 256;
      this.allocate(Math.min(this.artifacts.graph.maxPositions, hinted));
    }
    for (let start = 0; start < seq; ) {
      options.signal?.throwIfAborted();
      const n = Math.min(seq - start, this.prefillChunk);
      await this.run(embeds.subarray(start * hiddenSize, (start + n) * hiddenSize), n);
      start += n;
      if (seq > 1) {
        // The pass's activations were freed but the C heap still holds them (see native/src/heap.cc).
        this.heap?.releaseFreeHeap();
        options.onProgress?.({ stage: 'prefill', done: start, total: seq, unit: 'tokens' });
      }
    }
    return this.logits.data as Float32Array;
  }

  private async run(embeds: Float32Array, seq: number): Promise<void> {
    const { hiddenSize, numLayers } = this.artifacts.config;
    const past = this.length_;
    const total = past + seq;
    const half = this.half;
    const dtype = this.artifacts.graph.activationDtype;
    const rotaryFeeds: Record<string, ort.Tensor> = {
      [decoderIo.rotaryCos]: new ort.Tensor(dtype, this.rotary.cos.subarray(past * half, total * half), [seq, half]),
      [decoderIo.rotarySin]: new ort.Tensor(dtype, this.rotary.sin.subarray(past * half, total * half), [seq, half]),
      [decoderIo.rotaryPositions]: new ort.Tensor('int64', BigInt64Array.from({ length: seq }, (_, i) => BigInt(i)), [1, seq]),
    };
    try {
      let out = await this.segments[0]!.run({ [decoderIo.inputsEmbeds]: new ort.Tensor('float32', embeds, [1, seq, hiddenSize]), ...rotaryFeeds });
      for (let i = 0; i < numLayers; i++) {
        this.append(i, out[decoderIo.key]!.data as Float32Array, out[decoderIo.value]!.data as Float32Array, past, seq);
        const attention = await this.attend(i, out[decoderIo.query]!.data as Float32Array, total, seq);
        const feeds = { [decoderIo.attention]: attention, [decoderIo.residualIn]: out[decoderIo.residual]! };
        if (i + 1 < numLayers) out = await this.segments[i + 1]!.run({ ...feeds, ...rotaryFeeds });
        else await this.segments[numLayers]!.run(feeds, { [decoderIo.logits]: this.logits });
      }
    } catch (error) {
      if (error instanceof ApolloError) throw error;
      throw new ApolloError('INFERENCE_FAILED', `onnxruntime failed while running the decoder (${error instanceof Error ? error.message.slice(0, 200) : String(error)}); run again with --debug, or try --device cpu.`, { cause: error });
    }
    this.length_ = total;
  }

  /** Appends layer i's new keys and values ([seq, kvHeads·headDim] float32) at row `past`. */
  private append(layer: number, k: Float32Array, v: Float32Array, past: number, seq: number): void {
    const { numKvHeads, headDim } = this.artifacts.config;
    const width = numKvHeads * headDim;
    const rows = seq === 1 ? undefined : new Float32Array(seq * headDim);
    for (let j = 0; j < numKvHeads; j++) {
      for (const [src, dst] of [[k, this.keys[layer]![j]!], [v, this.values[layer]![j]!]] as const) {
        let head: Float32Array;
        if (rows === undefined) head = src.subarray(j * headDim, (j + 1) * headDim);
        else {
          for (let s = 0; s < seq; s++) rows.set(src.subarray(s * width + j * headDim, s * width + (j + 1) * headDim), s * headDim);
          head = rows;
        }
        if (dst instanceof Float32Array) dst.set(head, past * headDim);
        else this.toHalf.f32ToF16(head, dst.subarray(past * headDim, (past + seq) * headDim));
      }
    }
  }

  /** Layer i's attention output for the last `seq` of `total` cached positions. */
  private async attend(layer: number, q: Float32Array, total: number, seq: number): Promise<ort.Tensor> {
    const { numHeads, numKvHeads, headDim } = this.artifacts.config;
    if (seq === 1 && this.native !== undefined) {
      this.native.attendDecode(q, this.keys[layer]!, this.values[layer]!, total, this.attentionOut, numHeads, this.threads, this.attentionKernel);
      return new ort.Tensor('float32', this.attentionOut, [1, 1, numHeads * headDim]);
    }
    const width = numHeads * headDim;
    const group = numHeads / numKvHeads;
    const blockRows = Math.max(1, Math.min(seq, Math.floor(this.scoreBudget / (group * total))));
    const cache = this.widened(layer, total);
    if (blockRows === seq) return this.attendRows(cache, q, total, seq);
    // Row blocks: rows [r, r + n) of the chunk are positions total - seq + r …, which see the
    // first total - seq + r + n keys; the graph's causal mask is relative to its own inputs.
    const out = new Float32Array(seq * width);
    for (let r = 0; r < seq; r += blockRows) {
      const n = Math.min(blockRows, seq - r);
      const block = await this.attendRows(cache, q.subarray(r * width, (r + n) * width), total - seq + r + n, n);
      out.set(block.data as Float32Array, r * width);
    }
    return new ort.Tensor('float32', out, [1, seq, width]);
  }

  /**
   * Layer i's cached rows [0, total) as float32 views: the cache itself when it is float32, else
   * its float16 rows widened into buffers kept for the next layer (2 × kv heads × capacity rows;
   * 34 MB at 16k positions of 3B), once per layer and pass however many row blocks follow.
   */
  private widened(layer: number, total: number): { keys: Float32Array[]; values: Float32Array[] } {
    const { numKvHeads, headDim } = this.artifacts.config;
    const heads = Array.from({ length: numKvHeads }, (_, j) => j);
    if (this.kvDtype === 'float32') {
      return { keys: heads.map((j) => this.cacheRows('key', layer, j, 0, total) as Float32Array), values: heads.map((j) => this.cacheRows('value', layer, j, 0, total) as Float32Array) };
    }
    const n = total * headDim;
    if (this.wideKeys.length === 0 || this.wideKeys[0]!.length < n) {
      const rows = Math.max(total, this.capacity) * headDim;
      this.wideKeys = heads.map(() => new Float32Array(rows));
      this.wideValues = heads.map(() => new Float32Array(rows));
    }
    const keys = heads.map((j) => this.wideKeys[j]!.subarray(0, n));
    const values = heads.map((j) => this.wideValues[j]!.subarray(0, n));
    for (const j of heads) {
      this.widen.f16ToF32(this.cacheRows('key', layer, j, 0, total) as Uint16Array, keys[j]!);
      this.widen.f16ToF32(this.cacheRows('value', layer, j, 0, total) as Uint16Array, values[j]!);
    }
    return { keys, values };
  }

  /** The attention graph over the first `total` rows of float32 keys/values, for the last `rows` of them. */
  private async attendRows(cache: { keys: Float32Array[]; values: Float32Array[] }, q: Float32Array, total: number, rows: number): Promise<ort.Tensor> {
    const { numHeads, numKvHeads, headDim } = this.artifacts.config;
    const feeds: Record<string, ort.Tensor> = { query: new ort.Tensor('float32', q, [1, rows, numHeads * headDim]) };
    for (let j = 0; j < numKvHeads; j++) {
      feeds[`key.${j}`] = new ort.Tensor('float32', cache.keys[j]!.subarray(0, total * headDim), [total, headDim]);
      feeds[`value.${j}`] = new ort.Tensor('float32', cache.values[j]!.subarray(0, total * headDim), [total, headDim]);
    }
    return (await this.attentionGraph.run(feeds))[decoderIo.attention]!;
  }

  async release(): Promise<void> {
    this.embeddings.close();
    await Promise.all([...this.segments.map((s) => s.release()), this.attentionGraph.release()]);
  }
}

/**
 * The weightless attention graph for one layer's prefill pass (the same for every layer), over
 * float32 rows: a float16 cache is widened once per layer and pass (Qwen2DecoderSession.widened),
 * not once per row block inside the graph.
 */
function buildAttentionGraph(artifacts: DecoderArtifacts): Uint8Array {
  const cacheDtype = 'float32';
  const { numHeads, numKvHeads, headDim } = artifacts.config;
  const g = new GraphBuilder({ name: 'qwen2_cached_attention' });
  const heads = Array.from({ length: numKvHeads }, (_, j) => j);
  const out = emitCachedAttention(g, {
    query: g.input('query', 'float32', [1, 'sequence_length', numHeads * headDim]),
    keys: heads.map((j) => g.input(`key.${j}`, cacheDtype, ['total_sequence_length', headDim])),
    values: heads.map((j) => g.input(`value.${j}`, cacheDtype, ['total_sequence_length', headDim])),
    numHeads,
    kvNumHeads: numKvHeads,
    headDim,
    cacheDtype,
  });
  g.output(out, decoderIo.attention, 'float32', [1, 'sequence_length', numHeads * headDim]);
  return g.encode();
}
