// The checkpoint's own Qwen2 tokenizer (llm/tokenizer.json + tokenizer_config.json), made to behave
// like the slow `Qwen2Tokenizer` the reference loads (use_fast=False): NFC over the whole text,
// every added token atomic, no special tokens added, and decoding with the slow tokenizer's rules.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';

export interface DecodeOptions {
  /** Drop the special tokens (eos, pad and additional_special_tokens), as `skip_special_tokens=True`. */
  skipSpecialTokens?: boolean;
}

export interface ChatTokenizer {
  /** Number of token ids (base vocabulary plus added tokens): the largest id + 1. */
  readonly idCount: number;
  /** Ids of `text` with no special tokens added; added tokens written in the text stay single ids. */
  encode(text: string): number[];
  /** Text of `ids` as the slow Qwen2Tokenizer decodes it (invalid UTF-8 becomes U+FFFD). */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** The raw bytes a token stands for (byte-level BPE tokens can hold part of a UTF-8 character); none for ids past the vocabulary. */
  tokenBytes(id: number): Uint8Array;
  /** True for the ids `skip_special_tokens` drops. */
  isSpecial(id: number): boolean;
  /** True for the added tokens that the slow decoder emits as whole strings between byte runs. */
  isDecodedAlone(id: number): boolean;
  /** Id of a token string (vocabulary entry or added token), or undefined. */
  tokenId(token: string): number | undefined;
}

const addedTokenSchema = z.object({ id: z.number().int().nonnegative(), content: z.string(), special: z.boolean() });

const tokenizerJsonSchema = z
  .object({
    added_tokens: z.array(addedTokenSchema),
    // The 151k-entry vocabulary is checked by the library and where it is used, not entry by entry here.
    model: z.object({ type: z.literal('BPE'), vocab: z.custom<Record<string, number>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v)) }).loose(),
    pre_tokenizer: z.unknown(),
    decoder: z.unknown(),
  })
  .loose();

const tokenValueSchema = z.union([z.string(), z.object({ content: z.string() }).loose(), z.null()]).optional();

const tokenizerConfigSchema = z
  .object({
    bos_token: tokenValueSchema,
    eos_token: tokenValueSchema,
    unk_token: tokenValueSchema,
    pad_token: tokenValueSchema,
    sep_token: tokenValueSchema,
    cls_token: tokenValueSchema,
    mask_token: tokenValueSchema,
    additional_special_tokens: z.array(z.union([z.string(), z.object({ content: z.string() }).loose()])).optional(),
  })
  .loose();

function tokenContent(value: z.infer<typeof tokenValueSchema>): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : value.content;
}

/** GPT-2 byte-level alphabet: printable bytes map to themselves, the rest to U+0100 onwards. */
function byteLevelDecoderTable(): Map<number, number> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const isPrintable = new Set(printable);
  const table = new Map<number, number>();
  for (const b of printable) table.set(b, b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (!isPrintable.has(b)) table.set(0x100 + next++, b);
  }
  return table;
}

function invalid(file: string, detail: string, cause?: unknown): ApolloError {
  return new ApolloError(
    'CHECKPOINT_CONFIG_INVALID',
    `The model's tokenizer file ${file} is missing or not a Qwen2 byte-level BPE tokenizer (${detail}); download the model again.`,
    { cause, details: { file } },
  );
}

/** Builds the tokenizer from the parsed JSON of tokenizer.json and tokenizer_config.json. */
export function createChatTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown): ChatTokenizer {
  const json = tokenizerJsonSchema.safeParse(tokenizerJson);
  if (!json.success) throw invalid('tokenizer.json', json.error.issues[0]?.message ?? 'unexpected shape');
  const config = tokenizerConfigSchema.safeParse(tokenizerConfig);
  if (!config.success) throw invalid('tokenizer_config.json', config.error.issues[0]?.message ?? 'unexpected shape');

  let library: Tokenizer;
  try {
    library = new Tokenizer(tokenizerJson as object, tokenizerConfig as object);
  } catch (error) {
    throw invalid('tokenizer.json', error instanceof Error ? error.message : String(error), error);
  }

  // The slow tokenizer's vocab_size: entries of the base vocabulary, added tokens excluded.
  const baseVocabSize = Object.keys(json.data.model.vocab).length;
  const addedById = new Map<number, string>();
  const addedByContent = new Map<string, number>();
  for (const added of json.data.added_tokens) {
    addedById.set(added.id, added.content);
    addedByContent.set(added.content, added.id);
  }
  let idCount = baseVocabSize;
  for (const id of addedById.keys()) idCount = Math.max(idCount, id + 1);

  // The slow tokenizer's all_special_ids: the named special tokens plus additional_special_tokens.
  const c = config.data;
  const specialContents = [c.bos_token, c.eos_token, c.unk_token, c.pad_token, c.sep_token, c.cls_token, c.mask_token]
    .map(tokenContent)
    .filter((t): t is string => t !== undefined);
  const additional = (c.additional_special_tokens ?? []).map((t) => (typeof t === 'string' ? t : t.content));
  const tokenId = (token: string): number | undefined => addedByContent.get(token) ?? library.token_to_id(token);
  const specialIds = new Set<number>();
  for (const content of [...specialContents, ...additional]) {
    const id = tokenId(content);
    if (id !== undefined) specialIds.add(id);
  }
  // Slow `_decode`'s legacy_added_tokens: added tokens that are not special, plus additional
  // special tokens beyond the base vocabulary; each is emitted as its own string.
  const decodedAlone = new Set<number>();
  for (const [id, content] of addedById) {
    const isNamedSpecial = specialContents.includes(content) || additional.includes(content);
    if (!isNamedSpecial || (additional.includes(content) && id >= baseVocabSize)) decodedAlone.add(id);
  }

  const byteTable = byteLevelDecoderTable();
  const utf8 = new TextEncoder();
  const bytesCache = new Map<number, Uint8Array>();
  const tokenBytes = (id: number): Uint8Array => {
    const cached = bytesCache.get(id);
    if (cached !== undefined) return cached;
    let bytes: Uint8Array;
    const added = addedById.get(id);
    if (added !== undefined) {
      bytes = utf8.encode(added);
    } else {
      // Embedding rows past the tokenizer (Qwen pads 151665 ids to 151936) have no text; the
      // reference would crash on them, an answer here just shows nothing for them.
      const token = (id >= 0 && id < idCount ? library.id_to_token(id) : undefined) ?? '';
      const out: number[] = [];
      for (const ch of token) {
        const b = byteTable.get(ch.codePointAt(0) ?? -1);
        if (b === undefined) throw invalid('tokenizer.json', `vocabulary entry ${id} is not byte-level`);
        out.push(b);
      }
      bytes = Uint8Array.from(out);
    }
    bytesCache.set(id, bytes);
    return bytes;
  };

  const encode = (text: string): number[] => {
    // The slow tokenizer normalises the whole text before splitting out added tokens.
    const normalized = text.normalize('NFC');
    if (normalized.length === 0) return [];
    return library.encode(normalized, { add_special_tokens: false }).ids;
  };

  const decode = (ids: readonly number[], options: DecodeOptions = {}): string => {
    const skip = options.skipSpecialTokens === true;
    const parts: string[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const bytes = new Uint8Array(run.length);
      bytes.set(run);
      parts.push(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
      run = [];
    };
    for (const id of ids) {
      if (skip && specialIds.has(id)) continue;
      if (decodedAlone.has(id)) {
        flush();
        parts.push(addedById.get(id) ?? '');
        continue;
      }
      for (const b of tokenBytes(id)) run.push(b);
    }
    flush();
    return parts.join('');
  };

  return {
    idCount,
    encode,
    decode,
    tokenBytes,
    isSpecial: (id) => specialIds.has(id),
    isDecodedAlone: (id) => decodedAlone.has(id),
    tokenId,
  };
}

/** Loads `tokenizer.json` and `tokenizer_config.json` from the checkpoint's `llm/` folder. */
export async function loadChatTokenizer(llmDir: string): Promise<ChatTokenizer> {
  const read = async (file: string): Promise<unknown> => {
    let text: string;
    try {
      text = await readFile(join(llmDir, file), 'utf8');
    } catch (error) {
      throw invalid(file, 'cannot be read', error);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw invalid(file, 'not valid JSON', error);
    }
  };
  const [tokenizerJson, tokenizerConfig] = await Promise.all([read('tokenizer.json'), read('tokenizer_config.json')]);
  return createChatTokenizer(tokenizerJson, tokenizerConfig);
}
