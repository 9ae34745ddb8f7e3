// Token ids → text deltas for streaming an answer. Deltas never split a character (a byte-level
// token may end inside a UTF-8 sequence), and their concatenation is exactly the reference's final
// answer: decode(ids, skip_special_tokens=True).strip(). Leading whitespace is never emitted and
// trailing whitespace is held back until something follows it.
import type { ChatTokenizer } from './tokenizer.js';

/** Python's str.isspace() set, which str.strip() removes (differs from JavaScript's trim()). */
export function isPythonWhitespace(codeUnit: number): boolean {
  return (
    (codeUnit >= 0x09 && codeUnit <= 0x0d) ||
    (codeUnit >= 0x1c && codeUnit <= 0x20) ||
    codeUnit === 0x85 ||
    codeUnit === 0xa0 ||
    codeUnit === 0x1680 ||
    (codeUnit >= 0x2000 && codeUnit <= 0x200a) ||
    codeUnit === 0x2028 ||
    codeUnit === 0x2029 ||
    codeUnit === 0x202f ||
    codeUnit === 0x205f ||
    codeUnit === 0x3000
  );
}

/** str.strip() with Python's whitespace set. */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isPythonWhitespace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

export interface StreamDecoderResult {
  /** The whole answer: decode(ids, skip_special_tokens).strip(). */
  text: string;
  /** What this call adds to the text already emitted. */
  delta: string;
  /** Every id pushed, the stop token included. */
  ids: number[];
}

export class AnswerStreamDecoder {
  private readonly tokenizer: ChatTokenizer;
  private utf8 = new TextDecoder('utf-8', { fatal: false });
  private raw = '';
  /** Index in `raw` of the first non-whitespace character, or -1 while there is none. */
  private start = -1;
  /** Index in `raw` just after the last non-whitespace character. */
  private end = 0;
  private emitted = 0;
  private finished = false;
  private readonly pushed: number[] = [];

  constructor(tokenizer: ChatTokenizer) {
    this.tokenizer = tokenizer;
  }

  /** Adds one generated id and returns the text it completes (often "", never half a character). */
  push(id: number): string {
    if (this.finished) throw new Error('AnswerStreamDecoder.push after finish');
    this.pushed.push(id);
    if (this.tokenizer.isSpecial(id)) return '';
    if (this.tokenizer.isDecodedAlone(id)) {
      // The slow decoder closes the byte run before an added token and emits the token's text.
      this.append(this.utf8.decode());
      this.append(new TextDecoder().decode(this.tokenizer.tokenBytes(id)));
    } else {
      this.append(this.utf8.decode(this.tokenizer.tokenBytes(id), { stream: true }));
    }
    return this.take();
  }

  /** Ends the answer (stop token, max tokens or cancel): flushes an incomplete character as U+FFFD. */
  finish(): StreamDecoderResult {
    if (!this.finished) {
      this.append(this.utf8.decode());
      this.finished = true;
    }
    const delta = this.take();
    return { text: this.text, delta, ids: [...this.pushed] };
  }

  /** The text emitted so far. */
  get text(): string {
    return this.start < 0 ? '' : this.raw.slice(this.start, this.start + this.emitted);
  }

  private append(piece: string): void {
    if (piece.length === 0) return;
    const offset = this.raw.length;
    this.raw += piece;
    for (let i = piece.length - 1; i >= 0; i--) {
      if (!isPythonWhitespace(piece.charCodeAt(i))) {
        this.end = offset + i + 1;
        break;
      }
    }
    if (this.start < 0) {
      for (let i = 0; i < piece.length; i++) {
        if (!isPythonWhitespace(piece.charCodeAt(i))) {
          this.start = offset + i;
          break;
        }
      }
    }
  }

  private take(): string {
    if (this.start < 0) return '';
    const visible = this.end - this.start;
    if (visible <= this.emitted) return '';
    const delta = this.raw.slice(this.start + this.emitted, this.end);
    this.emitted = visible;
    return delta;
  }
}
