// How to assemble inputs_embeds from a token sequence with −200 markers (spec section 8, HF-MOD
// prepare_inputs_labels_for_multimodal): text runs come from embed_tokens, and the j-th marker of
// the whole conversation takes row j of the (K·num_output_tokens, H) clip-embedding matrix.
import { ApolloError } from '../../shared/errors.js';
import { MEDIA_TOKEN_ID } from './chat-prompt.js';

export type SpliceSegment =
  /** A run of text ids at positions start … start+ids.length−1. */
  | { kind: 'text'; start: number; ids: number[] }
  /** Clip-embedding rows firstRow … firstRow+rowCount−1 at positions start … start+rowCount−1. */
  | { kind: 'clip'; start: number; firstRow: number; rowCount: number };

/**
 * Segments of `ids.slice(from)` (what a turn prefills after keeping `from` cached positions).
 * Positions are absolute; clip rows count the markers before `from`.
 */
export function planSplice(ids: readonly number[], from = 0): SpliceSegment[] {
  let row = 0;
  for (let i = 0; i < from; i++) if (ids[i] === MEDIA_TOKEN_ID) row++;
  const segments: SpliceSegment[] = [];
  let i = from;
  while (i < ids.length) {
    const start = i;
    if (ids[i] === MEDIA_TOKEN_ID) {
      while (i < ids.length && ids[i] === MEDIA_TOKEN_ID) i++;
      segments.push({ kind: 'clip', start, firstRow: row, rowCount: i - start });
      row += i - start;
    } else {
      const run: number[] = [];
      while (i < ids.length && ids[i] !== MEDIA_TOKEN_ID) run.push(ids[i++] as number);
      segments.push({ kind: 'text', start, ids: run });
    }
  }
  return segments;
}

export interface SpliceSources {
  hiddenSize: number;
  /** Embedding rows of `ids` from embed_tokens, ids.length × hiddenSize. */
  embedTokens: (ids: readonly number[]) => Float32Array;
  /** All clip embeddings, (K·num_output_tokens) × hiddenSize, row-major. */
  clipRows: Float32Array;
}

/** Fills inputs_embeds (positions `from` … end) in order: text rows and clip rows. */
export function assembleInputsEmbeds(segments: readonly SpliceSegment[], sources: SpliceSources): Float32Array {
  const h = sources.hiddenSize;
  const first = segments[0]?.start ?? 0;
  let length = 0;
  for (const s of segments) length += s.kind === 'text' ? s.ids.length : s.rowCount;
  const out = new Float32Array(length * h);
  const availableRows = sources.clipRows.length / h;
  for (const s of segments) {
    const at = (s.start - first) * h;
    if (s.kind === 'text') {
      const rows = sources.embedTokens(s.ids);
      if (rows.length !== s.ids.length * h) {
        throw new ApolloError('INTERNAL', `embed_tokens returned ${rows.length} values for ${s.ids.length} ids of width ${h}.`);
      }
      out.set(rows, at);
    } else {
      if (s.firstRow + s.rowCount > availableRows) {
        throw new ApolloError(
          'VIDEO_TOKEN_MISMATCH',
          `The prompt needs clip-embedding rows up to ${s.firstRow + s.rowCount} but only ${availableRows} were encoded; re-open the video to encode it again.`,
          { details: { needed: s.firstRow + s.rowCount, available: availableRows } },
        );
      }
      out.set(sources.clipRows.subarray(s.firstRow * h, (s.firstRow + s.rowCount) * h), at);
    }
  }
  return out;
}
