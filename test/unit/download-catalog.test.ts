// The catalog and the pure arithmetic around it: parameter counts against the figures the spec
// derives from the checkpoint file sizes, memory per precision, the default pick, name resolution.
import { describe, expect, it } from 'vitest';
import {
  countConnectorParameters,
  countQwen2Parameters,
  estimateMemory,
  loadCatalog,
  pickDefaultModel,
  resolveModelSource,
  type MachineProfile,
} from '../../electron/host/download/model-catalog.js';

const catalog = loadCatalog();
const model = (name: string) => catalog.models.find((m) => m.name === name)!;
const GiB = 2 ** 30;

describe('model catalog', () => {
  it('lists the three Apollo sizes with the spec mirrors in fallback order', () => {
    expect(catalog.models.map((m) => m.name)).toEqual(['apollo-1.5b', 'apollo-3b', 'apollo-7b']);
    expect(model('apollo-3b').repos).toEqual(['GoodiesHere/Apollo-LMMs-Apollo-3B-t32', 'hawky-ai-labs/Apollo-LMMs-Apollo-3B-t32']);
    expect(model('apollo-1.5b').repos[0]).toBe('GoodiesHere/Apollo-LMMs-Apollo-1_5B-t32');
    expect(model('apollo-7b').repos).toHaveLength(3);
  });

  // Spec section 11 item 7: tied Qwen2.5-3B has 3.086 B parameters; section 7: the connector has
  // ≈ 63.7 M (3B) and ≈ 177.6 M (7B), both matching the HF file sizes (127 MB and 355 MB in bf16).
  it.each([
    ['apollo-3b', 'llm', 3.086e9, 0.002],
    ['apollo-3b', 'connector', 63.7e6, 0.002],
    ['apollo-7b', 'connector', 177.6e6, 0.002],
    // Qwen2.5-7B-Instruct: 7.62 B (untied), Qwen2.5-1.5B-Instruct: 1.54 B (tied), per their model cards.
    ['apollo-7b', 'llm', 7.62e9, 0.005],
    ['apollo-1.5b', 'llm', 1.54e9, 0.005],
  ] as const)('%s %s parameters ≈ %d', (name, part, expected, tolerance) => {
    const m = model(name);
    const n = part === 'llm' ? Object.values(countQwen2Parameters(m.llm)).reduce((a, b) => a + b, 0) : countConnectorParameters(catalog.connector, m.llm.hidden_size);
    expect(Math.abs(n - expected) / expected).toBeLessThan(tolerance);
  });

  it('int4 needs less memory than fp16, and bigger models need more', () => {
    for (const m of catalog.models) {
      const fp16 = estimateMemory(catalog, m, 'fp16');
      const int4 = estimateMemory(catalog, m, 'int4');
      expect(int4.totalBytes).toBeLessThan(fp16.totalBytes);
      expect(fp16.weightBytes).toBe(2 * fp16.parameters);
      // KV cache: 2 (k, v) · layers · kv heads · head_dim · 2 bytes · model_max_length tokens.
      expect(fp16.kvCacheBytes).toBe(2 * m.llm.num_hidden_layers * m.llm.num_key_value_heads * (m.llm.hidden_size / m.llm.num_attention_heads) * 2 * m.llm.model_max_length);
    }
    const sizes = catalog.models.map((m) => estimateMemory(catalog, m, 'int4').totalBytes);
    expect([...sizes].sort((a, b) => a - b)).toEqual(sizes);
    // 3B at fp16: weights ≈ 2 bytes · (3.09 B LLM + 1.48 B towers + 64 M connector) ≈ 9.3 GB.
    expect(estimateMemory(catalog, model('apollo-3b'), 'fp16').weightBytes / 1e9).toBeCloseTo(9.3, 0);
  });

  it.each<[string, MachineProfile, string, string]>([
    ['a 24 GB CPU box', { device: 'cpu', systemMemoryBytes: 24 * GiB }, 'apollo-7b', 'int4'],
    ['an 8 GB laptop', { device: 'cpu', systemMemoryBytes: 8 * GiB }, 'apollo-1.5b', 'int4'],
    ['a 4 GB machine', { device: 'cpu', systemMemoryBytes: 4 * GiB }, 'apollo-1.5b', 'int4'],
    ['an 80 GB GPU', { device: 'gpu', systemMemoryBytes: 64 * GiB, gpuMemoryBytes: 80 * GiB }, 'apollo-7b', 'fp16'],
    ['a 16 GB GPU', { device: 'gpu', systemMemoryBytes: 64 * GiB, gpuMemoryBytes: 16 * GiB }, 'apollo-7b', 'int4'],
    // 7B int4 needs ~10.8 GiB, just over 90% of 12 GiB: the largest model that fits is 3B, at fp16.
    ['a 12 GB GPU', { device: 'gpu', systemMemoryBytes: 64 * GiB, gpuMemoryBytes: 12 * GiB }, 'apollo-3b', 'fp16'],
    ['an 8 GB GPU', { device: 'gpu', systemMemoryBytes: 64 * GiB, gpuMemoryBytes: 8 * GiB }, 'apollo-3b', 'int4'],
  ])('default pick on %s', (_label, machine, name, precision) => {
    const pick = pickDefaultModel(catalog, machine);
    expect([pick.name, pick.precision]).toEqual([name, precision]);
    // The pick fits its budget unless it says it may not.
    const need = estimateMemory(catalog, model(pick.name), pick.precision).totalBytes;
    const budget = machine.device === 'gpu' ? machine.gpuMemoryBytes! * catalog.memory.usableGpuMemoryFraction : machine.systemMemoryBytes * catalog.memory.usableSystemMemoryFraction;
    expect(need <= budget || pick.reason.includes('may not fit')).toBe(true);
  });

  it.each([
    ['apollo-3b', 'catalog', ['GoodiesHere/Apollo-LMMs-Apollo-3B-t32', 'hawky-ai-labs/Apollo-LMMs-Apollo-3B-t32'], 'main'],
    ['Apollo-7B', 'catalog', model('apollo-7b').repos, 'main'],
    ['someone/my-apollo', 'repo', ['someone/my-apollo'], 'main'],
    ['someone/my-apollo@v2', 'repo', ['someone/my-apollo'], 'v2'],
    ['apollo-3b@0123456789abcdef0123456789abcdef01234567', 'catalog', model('apollo-3b').repos, '0123456789abcdef0123456789abcdef01234567'],
  ] as const)('resolves %s', (spec, kind, repos, revision) => {
    const s = resolveModelSource(catalog, spec);
    expect(s.kind).toBe(kind);
    expect(s.repos).toEqual(repos);
    expect(s.revision).toBe(revision);
  });

  it.each(['apollo-9b', 'a/b/c', '../etc', 'org/..', ''])('rejects %j with MODEL_UNKNOWN', (spec) => {
    expect(() => resolveModelSource(catalog, spec)).toThrow(expect.objectContaining({ code: 'MODEL_UNKNOWN' }));
  });
});
