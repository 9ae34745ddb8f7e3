import { describe, expect, it } from 'vitest';
import { chooseNextToken, warpLogits, warpLogitsInPlace, type SamplingParams } from '../../electron/engine/chat/sampling.js';
import { createSeededRandom } from '../../electron/engine/model/seeded-random.js';
import { runPython } from '../helpers/python-oracle.js';

// transformers 4.44's processors for one sequence, in numpy float32 as torch computes them:
// RepetitionPenalty (gather/where/scatter), then Temperature, TopK (ties kept), TopP (ascending
// sort, softmax, cumsum accumulated in double on the CPU, keep the last min_tokens_to_keep),
// then the softmax torch.multinomial draws from. Greedy: argmax after the penalty.
const HF_ORACLE = String.raw`
import json, sys
import numpy as np
data = sys.stdin.buffer.read()
n = int.from_bytes(data[:4], "little")
req = json.loads(data[4:4 + n].decode())
logits = np.frombuffer(data[4 + n:], dtype=np.float32)
out = []
for case in req:
    vocab = case["vocab"]; start = case["offset"]
    scores = logits[start:start + vocab].copy()
    gen = np.array(case["generated"], dtype=np.int64)
    if case["repetitionPenalty"] != 1.0 and len(gen) > 0:
        p = np.float32(case["repetitionPenalty"])
        s = scores[gen]
        s = np.where(s < 0, s * p, s / p).astype(np.float32)
        scores[gen] = s
    if not case["doSample"]:
        out.append({"ids": [int(np.argmax(scores))], "probs": [1.0]}); continue
    if case["temperature"] != 1.0:
        scores = (scores / np.float32(case["temperature"])).astype(np.float32)
    if case["topK"] != 0:
        k = min(max(case["topK"], 1), vocab)
        kth = np.sort(scores)[-k]
        scores[scores < kth] = -np.inf
    if case["topP"] < 1.0:
        order = np.argsort(scores, kind="stable")
        srt = scores[order]
        e = np.exp(srt - srt.max()).astype(np.float32)
        probs = (e / e.sum(dtype=np.float32)).astype(np.float32)
        cum = np.cumsum(probs, dtype=np.float64).astype(np.float32)
        remove = cum <= np.float32(1 - case["topP"])
        remove[-1:] = False
        scores[order[remove]] = -np.inf
    e = np.exp(scores - scores.max()).astype(np.float32)
    probs = e / e.sum(dtype=np.float32)
    ids = np.nonzero(probs > 0)[0]
    out.append({"ids": ids.tolist(), "probs": probs[ids].astype(np.float64).tolist()})
sys.stdout.write(json.dumps(out))
`;

interface OracleCase extends SamplingParams {
  name: string;
  logits: Float32Array;
  generated: number[];
}

function runOracle(cases: OracleCase[]): { ids: number[]; probs: number[] }[] {
  let offset = 0;
  const meta = cases.map((c) => {
    const m = { ...c, logits: undefined, vocab: c.logits.length, offset };
    offset += c.logits.length;
    return m;
  });
  const header = Buffer.from(JSON.stringify(meta));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const all = new Float32Array(offset);
  let at = 0;
  for (const c of cases) {
    all.set(c.logits, at);
    at += c.logits.length;
  }
  const input = Buffer.concat([len, header, Buffer.from(all.buffer)]);
  return JSON.parse(runPython(HF_ORACLE, input).toString()) as { ids: number[]; probs: number[] }[];
}

function normalLogits(vocab: number, seed: number, scale: number): Float32Array {
  const random = createSeededRandom(seed);
  const out = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) {
    const u = 1 - random();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

const VOCAB = 151936;
const apollo: SamplingParams = { doSample: true, temperature: 0.4, topK: 20, topP: 0.7, repetitionPenalty: 1.05 };
const big = normalLogits(VOCAB, 1, 3);
const peaked = normalLogits(VOCAB, 2, 1.5);
for (let i = 0; i < 40; i++) peaked[(i * 7919) % VOCAB] = 9 + i / 8;
// Ties straddling the k-th value and negative logits among the generated ids.
const ties = new Float32Array(1000).fill(-5);
ties.set([9, 8, 7, 7, 7, 7, 7, -1, -2], 100);
const greedyFlip = Float32Array.from({ length: 500 }, (_, i) => (i === 3 ? 10 : i === 4 ? 9.6 : i === 5 ? -0.5 : -3));

const cases: OracleCase[] = [
  { name: 'Apollo defaults (T 0.4, top-k 20, top-p 0.7, penalty 1.05)', ...apollo, logits: big, generated: [5, 17, 5, 99, 151000] },
  { name: 'Apollo defaults on a peaked distribution', ...apollo, logits: peaked, generated: [7919, 7919 * 2, 12] },
  { name: 'top-p without top-k (full sort)', doSample: true, temperature: 1, topK: 0, topP: 0.9, repetitionPenalty: 1, logits: peaked, generated: [] },
  { name: 'top-k only with a strong penalty', doSample: true, temperature: 0.7, topK: 50, topP: 1, repetitionPenalty: 1.3, logits: big, generated: [1, 2, 3] },
  { name: 'ties at the k-th value are all kept', doSample: true, temperature: 1, topK: 4, topP: 1, repetitionPenalty: 1.5, logits: ties, generated: [107, 108] },
  { name: 'top-p so low only one token is left', doSample: true, temperature: 0.4, topK: 20, topP: 0.01, repetitionPenalty: 1.05, logits: big, generated: [] },
  { name: 'plain softmax', doSample: true, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1, logits: ties, generated: [] },
  { name: 'greedy: the penalty still applies and can change the argmax', doSample: false, temperature: 0.4, topK: 20, topP: 0.7, repetitionPenalty: 1.05, logits: greedyFlip, generated: [3, 3, 5] },
  { name: 'greedy without history', doSample: false, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1.05, logits: big, generated: [] },
];
const expected = runOracle(cases);

describe('warpLogits against transformers 4.44 processors (numpy oracle)', () => {
  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i]!;
    const got = warpLogits(c.logits, c.generated, c);
    const want = expected[i]!;
    expect([...got.ids]).toEqual(want.ids);
    got.probs.forEach((p, j) => expect(p).toBeCloseTo(want.probs[j]!, 6));
    // In place (what the decode loop uses) gives the same.
    const inPlace = warpLogitsInPlace(c.logits.slice(), c.generated, c);
    expect([...inPlace.ids]).toEqual(want.ids);
    expect([...inPlace.probs]).toEqual([...got.probs]);
  });

  it('sees the cases it is meant to see', () => {
    expect(expected[4]!.ids).toEqual([100, 101, 102, 103, 104, 105, 106]);
    expect(expected[5]!.ids).toHaveLength(1);
    expect(expected[7]!.ids).toEqual([4]);
    expect(warpLogits(big, [], apollo).ids.length).toBeLessThanOrEqual(20);
  });

  it('does not modify the logits it is given', () => {
    const copy = Float32Array.from(big);
    warpLogits(big, [5, 6], apollo);
    expect(Buffer.from(big.buffer).equals(Buffer.from(copy.buffer))).toBe(true);
  });
});

describe('chooseNextToken', () => {
  it('reproduces an answer from the same seed and differs with another', () => {
    const draw = (seed: number) => {
      const random = createSeededRandom(seed);
      const generated: number[] = [];
      for (let i = 0; i < 30; i++) generated.push(chooseNextToken(peaked.slice(), generated, apollo, random));
      return generated;
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws with the warped probabilities', () => {
    const logits = Float32Array.from([0, 1, 2, 0.5, -1, 1.5]);
    const params: SamplingParams = { doSample: true, temperature: 0.8, topK: 5, topP: 0.95, repetitionPenalty: 1 };
    const warped = warpLogits(logits, [], params);
    const random = createSeededRandom(5);
    const counts = new Map<number, number>();
    const n = 100000;
    for (let i = 0; i < n; i++) {
      const id = chooseNextToken(Float32Array.from(logits), [], params, random);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // Within 5 standard deviations of a binomial count.
    warped.ids.forEach((id, j) => {
      const p = warped.probs[j]!;
      expect(Math.abs((counts.get(id) ?? 0) / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    });
    expect([...counts.keys()].every((id) => warped.ids.includes(id))).toBe(true);
  });

  it('is greedy without a random draw', () => {
    const never = () => {
      throw new Error('greedy must not draw');
    };
    expect(chooseNextToken(Float32Array.from(greedyFlip), [3], { ...apollo, doSample: false }, never)).toBe(4);
    expect(chooseNextToken(Float32Array.from(greedyFlip), [], { ...apollo, doSample: false }, never)).toBe(3);
  });
});

describe('createSeededRandom', () => {
  it('is xoshiro128** seeded by splitmix32 (Python oracle) with 53-bit outputs in [0, 1)', () => {
    const code = String.raw`
import sys, json
M = 0xffffffff
def rotl(x, k): return ((x << k) | (x >> (32 - k))) & M
out = {}
for seed in (0, 1, 42, 2**31 + 5, 2**40 + 3):
    s = (seed ^ (seed // 2**32)) & M
    def sm():
        global s
        s = (s + 0x9e3779b9) & M
        z = s
        z = ((z ^ (z >> 16)) * 0x85ebca6b) & M
        z = ((z ^ (z >> 13)) * 0xc2b2ae35) & M
        return (z ^ (z >> 16)) & M
    a, b, c, d = sm(), sm(), sm(), sm()
    vals = []
    def nxt():
        global a, b, c, d
        r = (rotl((b * 5) & M, 7) * 9) & M
        t = (b << 9) & M
        c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11)
        return r
    for _ in range(200):
        hi = nxt() >> 5; lo = nxt() >> 6
        vals.append((hi * 67108864 + lo) / 9007199254740992)
    out[str(seed)] = vals
sys.stdout.write(json.dumps(out))
`;
    const want = JSON.parse(runPython(code).toString()) as Record<string, number[]>;
    for (const [seed, values] of Object.entries(want)) {
      const random = createSeededRandom(Number(seed));
      expect(values.map(() => random())).toEqual(values);
    }
  });
});
