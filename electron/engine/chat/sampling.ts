// Next-token choice as Hugging Face `generate` (transformers 4.44) makes it, for one sequence:
// logits processors first (RepetitionPenaltyLogitsProcessor), then, when sampling, the warpers in
// _get_logits_warper's order (Temperature, TopK, TopP), softmax and a multinomial draw; greedy is
// the argmax of the processed logits (the penalty still applies). Values are rounded to float32 at
// each step as torch computes them. Starting from inputs_embeds, the running sequence that the
// penalty sees holds only generated ids.

export interface SamplingParams {
  doSample: boolean;
  temperature: number;
  /** 0 disables. */
  topK: number;
  /** 1 disables. */
  topP: number;
  /** 1 disables. */
  repetitionPenalty: number;
  /** 1 for num_beams = 1 (transformers' rule). */
  minTokensToKeep?: number;
}

/** The tokens left after the warpers, in ascending id order, with their sampling probabilities. */
export interface WarpedCandidates {
  ids: Int32Array;
  /** Scores after penalty, temperature and filtering (float32 values). */
  scores: Float32Array;
  /** softmax over the kept scores (what torch.multinomial draws from). */
  probs: Float64Array;
}

const f32 = Math.fround;

/** RepetitionPenaltyLogitsProcessor: each distinct id once, score<0 ? score·p : score/p. */
export function applyRepetitionPenalty(scores: Float32Array, generated: readonly number[], penalty: number): void {
  if (penalty === 1 || generated.length === 0) return;
  const p = f32(penalty);
  const seen = new Set<number>();
  for (const id of generated) {
    if (seen.has(id) || id < 0 || id >= scores.length) continue;
    seen.add(id);
    const s = scores[id] as number;
    scores[id] = s < 0 ? s * p : s / p;
  }
}

function argmax(scores: Float32Array): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * The k-th largest value (k ≥ 1) with a bounded min-heap, in one pass with no sort; also returns
 * every index that was at least the heap's minimum when seen, a superset of the top k (in id order).
 */
function topKScan(scores: Float32Array, k: number, band: (kth: number) => number): { kth: number; candidates: number[] } {
  const heap = new Float64Array(k);
  let size = 0;
  const seen: number[] = [];
  // band(heap minimum), refreshed whenever the minimum changes once the heap is full.
  let gate = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i] as number;
    if (size < k) {
      seen.push(i);
      let j = size++;
      heap[j] = v;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        if ((heap[parent] as number) <= (heap[j] as number)) break;
        heap[j] = heap[parent] as number;
        heap[parent] = v;
        j = parent;
      }
      if (size === k) gate = band(heap[0] as number);
    } else if (v >= gate) {
      seen.push(i);
      if (v <= (heap[0] as number)) continue;
      heap[0] = v;
      let j = 0;
      for (;;) {
        const l = 2 * j + 1;
        const r = l + 1;
        let m = j;
        if (l < size && (heap[l] as number) < (heap[m] as number)) m = l;
        if (r < size && (heap[r] as number) < (heap[m] as number)) m = r;
        if (m === j) break;
        const t = heap[j] as number;
        heap[j] = heap[m] as number;
        heap[m] = t;
        j = m;
      }
      gate = band(heap[0] as number);
    }
  }
  return { kth: heap[0] as number, candidates: seen };
}

/** The warped distribution for one step; `logits` is left unchanged. */
export function warpLogits(logits: Float32Array, generated: readonly number[], params: SamplingParams): WarpedCandidates {
  return warpLogitsInPlace(new Float32Array(logits), generated, params);
}

/**
 * The warped distribution for one step, using `scores` (the step's logits) as scratch space. With
 * doSample false it holds the single greedy choice. Top-k avoids any full pass beyond two scans.
 */
export function warpLogitsInPlace(scores: Float32Array, generated: readonly number[], params: SamplingParams): WarpedCandidates {
  applyRepetitionPenalty(scores, generated, params.repetitionPenalty);
  if (!params.doSample) {
    const id = argmax(scores);
    return { ids: Int32Array.of(id), scores: Float32Array.of(scores[id] as number), probs: Float64Array.of(1) };
  }
  const minKeep = params.minTokensToKeep ?? 1;
  const t = f32(params.temperature);
  let kept: number[];
  if (params.topK !== 0) {
    // The k-th largest scaled score is the scaled k-th largest score (division by t > 0 is
    // monotonic); only scores within rounding of it can tie with it after scaling.
    const k = Math.min(Math.max(params.topK, minKeep), scores.length);
    // Scores within rounding of the k-th can tie with it once divided by the temperature.
    const band = (x: number): number => x - Math.abs(x) * 1e-5 - 1e-30;
    const { kth, candidates } = topKScan(scores, k, band);
    const threshold = t === 1 ? kth : f32(kth / t);
    const lowest = band(kth);
    kept = [];
    for (const i of candidates) {
      const v = scores[i] as number;
      if (v < lowest) continue;
      const scaled = t === 1 ? v : f32(v / t);
      if (scaled >= threshold && scaled !== -Infinity) {
        scores[i] = scaled;
        kept.push(i);
      }
    }
  } else {
    if (t !== 1) for (let i = 0; i < scores.length; i++) scores[i] = (scores[i] as number) / t;
    kept = [];
    for (let i = 0; i < scores.length; i++) if ((scores[i] as number) !== -Infinity) kept.push(i);
  }
  if (params.topP < 1 && kept.length > minKeep) kept = topPFilter(scores, kept, params.topP, minKeep);
  const probs = softmaxOf(kept, scores);
  return { ids: Int32Array.from(kept), scores: Float32Array.from(kept, (id) => scores[id] as number), probs };
}

/**
 * TopPLogitsWarper: sort ascending, softmax, cumsum (accumulated in double on the CPU, stored as
 * float32), remove while ≤ 1 − top_p, never the last `minKeep`. Equal scores are ordered by id.
 * `kept` is in ascending id order and stays so.
 */
function topPFilter(scores: Float32Array, kept: number[], topP: number, minKeep: number): number[] {
  const sorted = Float32Array.from(kept, (id) => scores[id] as number).sort();
  const probs = softmaxOfValues(sorted);
  const limit = f32(1 - topP);
  let removed = 0;
  let cumulative = 0;
  while (removed < sorted.length - minKeep) {
    cumulative += probs[removed] as number;
    if (f32(cumulative) > limit) break;
    removed++;
  }
  if (removed === 0) return kept;
  // The first kept value in ascending order; below it all go, and equal ones go lowest id first.
  const boundary = sorted[removed] as number;
  let below = 0;
  for (let i = 0; i < removed; i++) if ((sorted[i] as number) < boundary) below++;
  let equalToRemove = removed - below;
  const out: number[] = [];
  for (const id of kept) {
    const v = scores[id] as number;
    if (v < boundary) continue;
    if (v === boundary && equalToRemove > 0) {
      equalToRemove--;
      continue;
    }
    out.push(id);
  }
  return out;
}

/** torch.softmax over the listed entries (float32 results; the others are −inf and get 0). */
function softmaxOf(ids: readonly number[], scores: Float32Array): Float64Array {
  return softmaxOfValues(Float32Array.from(ids, (id) => scores[id] as number));
}

function softmaxOfValues(values: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const e = f32(Math.exp(f32((values[i] as number) - max)));
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = f32((out[i] as number) / sum);
  return out;
}

/**
 * Chooses the next token: greedy argmax, or a draw from the warped distribution with `random`.
 * Overwrites `logits` (the step's output buffer) to avoid copying the vocabulary every token.
 */
export function chooseNextToken(
  logits: Float32Array,
  generated: readonly number[],
  params: SamplingParams,
  random: () => number,
): number {
  const candidates = warpLogitsInPlace(logits, generated, params);
  if (candidates.ids.length === 1) return candidates.ids[0] as number;
  let total = 0;
  for (const p of candidates.probs) total += p;
  const target = random() * total;
  let acc = 0;
  for (let i = 0; i < candidates.ids.length; i++) {
    acc += candidates.probs[i] as number;
    if (target < acc) return candidates.ids[i] as number;
  }
  return candidates.ids[candidates.ids.length - 1] as number;
}
