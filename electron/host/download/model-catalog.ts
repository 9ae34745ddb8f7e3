// The model catalog (resources/model-catalog.json): Apollo sizes, their mirror repositories in
// fallback order, and memory estimates per precision computed from the checkpoints' config numbers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import { packageRoot } from '../../common/platform/package-root.js';
import { invalidRevisionMessage, isHubRevision, isRepoId, splitModelSpec } from '../../shared/model-spec.js';

const llmSchema = z.object({
  hidden_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  num_key_value_heads: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  vocab_size: z.number().int().positive(),
  tie_word_embeddings: z.boolean(),
  model_max_length: z.number().int().positive(),
});

const catalogSchema = z.object({
  version: z.literal(1),
  skipFiles: z.object({ suffixes: z.array(z.string().min(2)) }),
  memory: z.object({
    int4BlockSize: z.number().int().positive(),
    int4ScaleBytes: z.number().int().positive(),
    runtimeOverheadFraction: z.number().min(0),
    usableSystemMemoryFraction: z.number().gt(0).max(1),
    usableGpuMemoryFraction: z.number().gt(0).max(1),
  }),
  models: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z0-9.-]+$/),
        title: z.string(),
        approxDownloadBytes: z.number().int().positive(),
        repos: z.array(z.string().refine(isRepoId, 'a repository id org/name')).min(1),
        // A commit where the mirror is known, else a branch: checked like any revision.
        revision: z.string().refine(isHubRevision, 'a branch, tag or commit id'),
        llm: llmSchema,
        towerParameters: z.object({ siglip: z.number().int().positive(), internvideo2: z.number().int().positive() }),
      }),
    )
    .min(1),
  connector: z.object({
    vision_hidden_size: z.number().int().positive(),
    num_output_tokens: z.number().int().positive(),
    resampler_n_heads: z.number().int().positive(),
    resampler_head_dim: z.number().int().positive(),
    num_key_value_heads: z.number().int().positive(),
    ff_multi: z.number().int().positive(),
    num_weighted_norms: z.number().int().positive(),
  }),
});

export type ModelCatalog = z.infer<typeof catalogSchema>;
export type CatalogModel = ModelCatalog['models'][number];
export type LlmDims = z.infer<typeof llmSchema>;
export type ConnectorDims = ModelCatalog['connector'];
export type Precision = 'fp16' | 'int4';
export const PRECISIONS: readonly Precision[] = ['fp16', 'int4'];

export function parseCatalog(value: unknown): ModelCatalog {
  const parsed = catalogSchema.safeParse(value);
  if (!parsed.success) throw new ApolloError('INTERNAL', `The model catalog is malformed (${parsed.error.issues[0]?.message ?? 'invalid'}); reinstall Apollo.`);
  return parsed.data;
}

export function loadCatalog(file = join(packageRoot(), 'resources', 'model-catalog.json')): ModelCatalog {
  return parseCatalog(JSON.parse(readFileSync(file, 'utf8')));
}

/** Parameters of a Qwen2 decoder, split into what int4 quantizes (linear layers) and the rest. */
export function countQwen2Parameters(llm: LlmDims): { linear: number; embeddings: number; other: number } {
  const h = llm.hidden_size;
  const headDim = h / llm.num_attention_heads;
  const kv = llm.num_key_value_heads * headDim;
  // q, k, v with biases, o without; gate, up, down; two RMSNorm weights per layer.
  const linearPerLayer = h * h + 2 * h * kv + h * h + 3 * h * llm.intermediate_size;
  const otherPerLayer = h + 2 * kv + 2 * h;
  const embeddings = llm.vocab_size * h * (llm.tie_word_embeddings ? 1 : 2);
  return { linear: linearPerLayer * llm.num_hidden_layers, embeddings, other: otherPerLayer * llm.num_hidden_layers + h };
}

/**
 * Parameters of the Perceiver connector for an LLM width H (spec section 7): input Linear with bias,
 * latents, WeightedNorms, grouped-query attention and a gated MLP of ff_multi·H, all without biases.
 */
export function countConnectorParameters(c: ConnectorDims, h: number): number {
  const inner = c.resampler_n_heads * c.resampler_head_dim;
  const kvInner = c.num_key_value_heads * c.resampler_head_dim;
  const projection = c.vision_hidden_size * h + h;
  const latents = c.num_output_tokens * h;
  const norms = c.num_weighted_norms * 3 * h;
  const attention = h * inner + 2 * h * kvInner + inner * h;
  const mlp = 3 * h * c.ff_multi * h;
  return projection + latents + norms + attention + mlp;
}

export interface MemoryEstimate {
  precision: Precision;
  parameters: number;
  weightBytes: number;
  kvCacheBytes: number;
  totalBytes: number;
}

/**
 * Memory to run a model: weights at the precision (int4 = the LLM's linear layers in 4-bit blocks
 * with one scale per block, everything else fp16), plus an fp16 KV cache for model_max_length
 * tokens, plus a fraction for activations and the runtime.
 */
export function estimateMemory(catalog: ModelCatalog, model: CatalogModel, precision: Precision): MemoryEstimate {
  const llm = countQwen2Parameters(model.llm);
  const connector = countConnectorParameters(catalog.connector, model.llm.hidden_size);
  const towers = model.towerParameters.siglip + model.towerParameters.internvideo2;
  const fp16Rest = llm.embeddings + llm.other + connector + towers;
  const bytesPerInt4Weight = 0.5 + catalog.memory.int4ScaleBytes / catalog.memory.int4BlockSize;
  const weightBytes = precision === 'fp16' ? 2 * (llm.linear + fp16Rest) : bytesPerInt4Weight * llm.linear + 2 * fp16Rest;
  const headDim = model.llm.hidden_size / model.llm.num_attention_heads;
  const kvCacheBytes = 2 * model.llm.num_hidden_layers * model.llm.num_key_value_heads * headDim * 2 * model.llm.model_max_length;
  const totalBytes = Math.ceil((weightBytes + kvCacheBytes) * (1 + catalog.memory.runtimeOverheadFraction));
  return { precision, parameters: llm.linear + fp16Rest, weightBytes: Math.ceil(weightBytes), kvCacheBytes, totalBytes };
}

export interface MachineProfile {
  device: 'cpu' | 'gpu';
  systemMemoryBytes: number;
  /** Dedicated GPU memory, when known (unified memory: leave undefined and use system memory). */
  gpuMemoryBytes?: number;
}

export interface DefaultPick {
  name: string;
  precision: Precision;
  reason: string;
}

/**
 * The largest model that fits: on a GPU, fp16 if it fits in GPU memory, else int4; on a CPU, int4
 * (onnxruntime's CPU kernels run 4-bit blocks far faster than fp16) within a share of system RAM.
 * Falls back to the smallest model at int4 with a reason saying it may not fit.
 */
export function pickDefaultModel(catalog: ModelCatalog, machine: MachineProfile): DefaultPick {
  const bySize = [...catalog.models].sort((a, b) => estimateMemory(catalog, b, 'int4').totalBytes - estimateMemory(catalog, a, 'int4').totalBytes);
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  const budget =
    machine.device === 'gpu'
      ? (machine.gpuMemoryBytes ?? machine.systemMemoryBytes) * catalog.memory.usableGpuMemoryFraction
      : machine.systemMemoryBytes * catalog.memory.usableSystemMemoryFraction;
  const precisions: Precision[] = machine.device === 'gpu' ? ['fp16', 'int4'] : ['int4'];
  for (const model of bySize) {
    for (const precision of precisions) {
      const need = estimateMemory(catalog, model, precision).totalBytes;
      if (need <= budget) return { name: model.name, precision, reason: `needs about ${gib(need)} of the ${gib(budget)} usable on this ${machine.device.toUpperCase()}` };
    }
  }
  const smallest = bySize[bySize.length - 1]!;
  const need = estimateMemory(catalog, smallest, 'int4').totalBytes;
  return { name: smallest.name, precision: 'int4', reason: `the smallest model; it needs about ${gib(need)} but only ${gib(budget)} is usable, so it may not fit` };
}

export type ModelSource = { kind: 'catalog'; model: CatalogModel; repos: string[]; revision: string } | { kind: 'repo'; repos: [string]; revision: string };

/** A catalog name (apollo-3b) or any repository id (org/name), optionally with @revision. */
export function resolveModelSource(catalog: ModelCatalog, spec: string): ModelSource {
  const { name, revision } = splitModelSpec(spec);
  if (revision !== undefined && !isHubRevision(revision)) throw new ApolloError('INVALID_ARGUMENT', invalidRevisionMessage(revision));
  const model = catalog.models.find((m) => m.name === name.toLowerCase());
  if (model !== undefined) return { kind: 'catalog', model, repos: [...model.repos], revision: revision ?? model.revision };
  if (isRepoId(name)) return { kind: 'repo', repos: [name], revision: revision ?? 'main' };
  throw new ApolloError(
    'MODEL_UNKNOWN',
    `"${spec}" is neither a catalog model (${catalog.models.map((m) => m.name).join(', ')}) nor a repository id org/name; run \`apollo-chat models --catalog\` to list them.`,
  );
}

/** The catalog entry whose mirrors include a repository, if any. */
export function catalogModelForRepo(catalog: ModelCatalog, repoId: string): CatalogModel | undefined {
  return catalog.models.find((m) => m.repos.some((r) => r.toLowerCase() === repoId.toLowerCase()));
}

/** Whether a repository file is one Apollo never reads (another weight format beside the safetensors). */
export function isSkippedFile(catalog: ModelCatalog, path: string): boolean {
  const lower = path.toLowerCase();
  return catalog.skipFiles.suffixes.some((s) => lower.endsWith(s));
}
