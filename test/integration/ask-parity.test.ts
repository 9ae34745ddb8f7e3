// Issue 7's "Done when": `apollo-chat ask --greedy --json` on the tiny checkpoint gives, for a first
// question and a follow-up, the token ids of an independent reference of the whole Apollo path
// (test/helpers/reference-apollo.ts: whole-file decode, numpy sampling, PIL/OpenCV preprocessing,
// naive towers and connector, spec-built prompt, fresh full prefill per turn). Also checks the
// follow-up prefills only the new tokens, and `apollo-chat embed`'s tensors against the reference's.
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpointFolder } from '../../electron/engine/model/safetensors-checkpoint.js';
import { openSafetensors } from '../../electron/engine/model/safetensors.js';
import { setMp4Rotation90 } from '../helpers/make-test-video.js';
import { makeTempDir } from '../helpers/paths.js';
import { chatmlPrompt, ReferenceApollo, type ReferenceTurn, type ReferenceVideo } from '../helpers/reference-apollo.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';

const MAX_NEW_TOKENS = 12;
const DEFAULT_RATIO = 0.65;

interface VideoCase {
  name: string;
  /** lavfi source (size and rate in it) and the number of frames to encode. */
  source: string;
  frames: number;
  /** Extra filters and encoder options (before the output file). */
  encode?: string[];
  rotate90?: boolean;
  /** Clip sampling ratio; below the default keeps long videos to few clips (and tests ρ < 1). */
  ratio: number;
  /** Also compare `apollo-chat embed`'s tensors (it always samples at the default ratio). */
  embed: boolean;
  /** This fixture's answers change without generation_config's repetition penalty (the test can fail). */
  questions: [string, string];
}

const cases: VideoCase[] = [
  // normal branch with P ≤ L: clips at a clip_step of 30 frames, 16:9 landscape, a keyframe every
  // 7 frames and B-frames (the app seeks per clip)
  { name: 'landscape-30fps-3s.mp4', source: 'testsrc2=s=320x180:r=30', frames: 90, encode: ['-g', '7', '-bf', '3'], ratio: DEFAULT_RATIO, embed: true, questions: ['What is shown in this video?', 'Describe the colours.'] },
  // 1 s at 24 fps: one clip padded with the last frame ([0, 12, 23, 23]); stored landscape, shown portrait
  { name: 'rotated-24fps-1s.mp4', source: 'testsrc=s=250x142:r=24', frames: 24, rotate90: true, ratio: DEFAULT_RATIO, embed: true, questions: ['Which way is up?', 'Is anything moving? Answer in e\u0301e\u0301n woord — ok?'] },
  // 20 s at 12.5 fps with a low ratio: ρ = 0.32, four clips centred in 62-frame partitions, and a
  // prompt past one 512-position prefill chunk
  { name: 'centred-12.5fps-20s.mp4', source: 'mandelbrot=s=176x144:r=25/2', frames: 250, ratio: 0.025, embed: false, questions: ['Summarise the video.', 'What happens at the end?'] },
  // variable frame rate (pts 3n + n mod 3 at 1/90 s): 118 frames, avg_frame_rate 29.75
  {
    name: 'vfr-4s.mp4',
    source: 'testsrc2=s=224x224:r=30',
    frames: 118,
    encode: ['-vf', "settb=1/90,setpts='3*N+mod(N,3)'", '-fps_mode', 'passthrough', '-enc_time_base', '1/90', '-g', '7'],
    ratio: DEFAULT_RATIO,
    embed: true,
    questions: ['What changes over time?', 'Why?'],
  },
  // 0.4 fps: the low-fps branch, whose clip_len 0 yields index −1 (the last frame) and negative timestamps
  { name: 'low-0.4fps-10s.mp4', source: 'smptehdbars=s=192x108:r=2/5', frames: 4, ratio: 0.01, embed: false, questions: ['How many bars are there?', 'And their colours?'] },
];

interface AskJson {
  plan: { clips: number; effectiveRatio: number };
  turns: { question: string; answer: string; tokenIds: number[]; stopReason: string; timings: { prefillTokens: number } }[];
}

interface PlanJson {
  clips: { frameIndices: number[] }[];
  videoText: string;
}

let dir: string;
let modelDir: string;
let env: NodeJS.ProcessEnv;
let reference: ReferenceApollo;
/** Cases whose greedy answers differ without the repetition penalty. */
const penaltySensitive: string[] = [];
/** Videos already encoded by the reference, for the stop-token case. */
const encoded = new Map<string, { path: string; ref: ReferenceVideo }>();

function makeVideo(c: VideoCase): string {
  const path = join(dir, c.name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', c.source, '-frames:v', String(c.frames), ...(c.encode ?? []), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (c.rotate90 === true) setMp4Rotation90(path);
  return path;
}

function parseCli(result: CliResult, what: string): string {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${result.stderr.slice(-2000)}`);
  return result.stdout;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** max |a − b| ≤ tol · max |b|, reported with the worst element. */
function expectClose(name: string, actual: Float32Array, expected: Float32Array, tol: number): void {
  expect(actual.length, `${name} length`).toBe(expected.length);
  let maxRef = 0;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `${name}: worst difference at ${at} (${actual[at]} vs ${expected[at]}), scale ${maxRef}`).toBeLessThanOrEqual(tol * maxRef);
}

function firstDifference(a: Float32Array, b: Float32Array): string {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `first difference at ${i}: ${a[i]} vs ${b[i]}`;
  return 'identical';
}

/** float32 → bfloat16 bits, round to nearest even (as torch casts). */
function toBf16(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

function fromBf16(bits: number): number {
  return new Float32Array(new Uint32Array([bits << 16]).buffer)[0]!;
}

/** Compares the app's turns with the reference's: ids, answers and what each turn prefilled. */
function expectSameTurns(out: AskJson, turns: ReferenceTurn[]): void {
  const [first, second] = turns as [ReferenceTurn, ReferenceTurn];
  expect(out.turns[0]!.timings.prefillTokens).toBe(first.promptIds.length);
  for (let i = 0; i < turns.length; i++) {
    expect(out.turns[i]!.tokenIds, `turn ${i} token ids`).toEqual(turns[i]!.tokenIds);
    expect(out.turns[i]!.answer, `turn ${i} answer`).toBe(turns[i]!.answer);
  }
  // the follow-up: the app's cache holds the first prompt and the answer tokens it fed back (all
  // but the last one generated). The reference rebuilt the whole conversation with the answer
  // decoded, stripped and re-tokenised; only what follows the common prefix may be prefilled
  // (normally just the follow-up's own tokens; more when the stripped answer tokenises anew)
  const fed = [...first.promptIds, ...first.tokenIds.slice(0, -1)];
  const reused = Math.min(commonPrefix(second.promptIds, fed), second.promptIds.length - 1);
  expect(reused).toBeGreaterThanOrEqual(first.promptIds.length);
  expect(out.turns[1]!.timings.prefillTokens).toBe(second.promptIds.length - reused);
}

beforeAll(async () => {
  dir = makeTempDir('ask-parity');
  modelDir = join(dir, 'tiny');
  env = { APOLLO_CACHE_DIR: join(dir, 'cache') };
  // seed 2: varied greedy answers that the repetition penalty changes (checked below)
  parseCli(await runCli(['make-tiny-model', modelDir, '--seed', '2']), 'make-tiny-model');
  reference = await ReferenceApollo.load(modelDir);
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('apollo-chat ask equals the independent whole-path reference (tiny checkpoint, greedy)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const video = makeVideo(c);
      const askArgs = ['ask', video, ...c.questions, '--model', modelDir, '--greedy', '--json', '--precision', 'fp32', '--device', 'cpu', '--max-new-tokens', String(MAX_NEW_TOKENS), '--clip-sampling-ratio', String(c.ratio)];
      // the app runs in its own process while the reference computes here
      const ask = runCli(askArgs, { env, timeoutMs: 180_000 });
      const embedOut = join(dir, `${c.name}.safetensors`);
      const ref: ReferenceVideo = await reference.encodeVideo(video, c.ratio);
      encoded.set(c.name, { path: video, ref });
      const turns: ReferenceTurn[] = reference.ask(ref, c.questions, MAX_NEW_TOKENS);
      const out = JSON.parse(parseCli(await ask, 'ask')) as AskJson;
      // the prompt's video part, which a random tiny model's answers are only weakly sensitive to
      const plan = JSON.parse(parseCli(await runCli(['plan', video, '--model', modelDir, '--json', '--clip-sampling-ratio', String(c.ratio)], { env }), 'plan')) as PlanJson;
      expect(plan.clips.flatMap((p) => p.frameIndices)).toEqual(ref.sampling.allIndices);
      expect(plan.videoText).toBe(ref.sampling.videoText);

      expect(out.plan.clips).toBe(ref.sampling.clips);
      expect(out.plan.effectiveRatio).toBeCloseTo(ref.sampling.ratio, 12);
      expect(out.turns.map((t) => t.question)).toEqual(c.questions);
      // whether this fixture can tell a missing repetition penalty (checked over all cases below)
      const unpenalised = reference.ask(ref, c.questions, MAX_NEW_TOKENS, 1).map((t) => t.tokenIds);
      if (JSON.stringify(unpenalised) !== JSON.stringify(turns.map((t) => t.tokenIds))) penaltySensitive.push(c.name);
      expectSameTurns(out, turns);

      if (c.embed) {
        parseCli(await runCli(['embed', video, '--model', modelDir, '--out', embedOut, '--device', 'cpu', '--precision', 'fp32'], { env, timeoutMs: 180_000 }), 'embed');
        const file = await openSafetensors(embedOut);
        try {
          const plan = JSON.parse(file.metadata.plan ?? '{}') as { clips: { frameIndices: number[] }[] };
          expect(plan.clips.flatMap((p) => p.frameIndices)).toEqual(ref.sampling.allIndices);
          for (const [name, want] of [
            ['siglip_pixel_values', ref.pixels.siglip],
            ['internvideo_pixel_values', ref.pixels.internVideo],
          ] as const) {
            const got = await file.readFloat32(name);
            expect(got.length, name).toBe(want.length);
            expect(firstDifference(got, want), name).toBe('identical');
          }
          expectClose('siglip_features', await file.readFloat32('siglip_features'), ref.siglipFeatures, 1e-4);
          expectClose('internvideo_features', await file.readFloat32('internvideo_features'), ref.internVideoFeatures, 1e-4);
          expectClose('clip_embeddings', await file.readFloat32('clip_embeddings'), ref.clipEmbeddings, 1e-4);
        } finally {
          await file.close();
        }
      }
    }, 240_000);
  }

  // The fixtures can fail: without the repetition penalty the reference answers at least one of
  // them differently, so an app that dropped or misapplied it would not match.
  it('the repetition penalty changes at least one fixture\'s greedy answer', () => {
    expect(penaltySensitive.length, 'no fixture is sensitive to the repetition penalty').toBeGreaterThan(0);
  });

  // Re-opening a video in a new process: the video prefix's KV cache comes from disk (saved by the
  // first run above), so a new first question prefills only the text after the last clip row, and
  // its answer still equals the reference's; no tower runs (the embeddings come from their cache).
  it('a re-opened video answers a new first question from the saved prefix, prefilling only the question', async () => {
    const c = cases[0]!;
    const { path: video, ref } = encoded.get(c.name)!;
    const question = 'What colour is the largest shape?';
    const run = async () => JSON.parse(parseCli(await runCli(['ask', video, question, '--model', modelDir, '--greedy', '--json', '--precision', 'fp32', '--device', 'cpu', '--max-new-tokens', String(MAX_NEW_TOKENS), '--clip-sampling-ratio', String(c.ratio)], { env, timeoutMs: 180_000 }), 'ask')) as AskJson & { turns: { embeddingsFromCache: boolean; timings: { ttftMs: number } }[] };
    const [want] = reference.ask(ref, [question], MAX_NEW_TOKENS) as [ReferenceTurn];
    const prefix = want.promptIds.lastIndexOf(-200) + 1;
    expect(prefix).toBeGreaterThan(0);
    const out = await run();
    expect(out.turns[0]!.embeddingsFromCache).toBe(true);
    expect(out.turns[0]!.timings.prefillTokens).toBe(want.promptIds.length - prefix);
    expect(out.turns[0]!.tokenIds).toEqual(want.tokenIds);
    expect(out.turns[0]!.answer).toBe(want.answer);
    // a damaged saved prefix is detected, deleted and prefilled again: the same answer, the whole prompt prefilled
    const cacheDir = join(dir, 'cache', 'clip-embeddings');
    const saved = readdirSync(cacheDir).filter((n) => n.endsWith('.kvprefix'));
    expect(saved.length).toBeGreaterThan(0);
    for (const name of saved) {
      const fd = openSync(join(cacheDir, name), 'r+');
      writeSync(fd, Buffer.from([0x55, 0xaa, 0x55, 0xaa]), 0, 4, 4096);
      closeSync(fd);
    }
    const again = await run();
    expect(again.turns[0]!.timings.prefillTokens).toBe(want.promptIds.length);
    expect(again.turns[0]!.tokenIds).toEqual(want.tokenIds);
  }, 240_000);

  // A random tiny model never picks <|im_end|> by itself. An untied copy (lm_head is the output
  // matrix, as in 7B) gets an lm_head row for <|im_end|> pointing along the first prompt's final
  // hidden state, scaled so that greedy stops mid-answer: the stop-token path, an answer ending on
  // the separator, and a follow-up after it.
  it('stops on <|im_end|> (untied lm_head)', async () => {
    const { path: video, ref } = encoded.get(cases[0]!.name)!;
    const questions = cases[0]!.questions;
    const eosDir = join(dir, 'tiny-untied');
    cpSync(modelDir, eosDir, { recursive: true });
    for (const [file, at] of [['config.json', (j: Record<string, unknown>) => j.llm_cfg as Record<string, unknown>], [join('llm', 'config.json'), (j: Record<string, unknown>) => j]] as const) {
      const json = JSON.parse(readFileSync(join(eosDir, file), 'utf8')) as Record<string, unknown>;
      at(json).tie_word_embeddings = false;
      writeFileSync(join(eosDir, file), JSON.stringify(json, null, 2));
    }
    const untied = await ReferenceApollo.load(eosDir);
    const imEnd = untied.tokenId('<|im_end|>');
    const H = untied.shapes.llm.hiddenSize;
    const prompt = untied.tokenize(chatmlPrompt(ref.sampling.videoText, [{ question: questions[0] }]));
    // a row along the hidden state at answer position p, its logit there f × the top logit
    const rowAt = (ids: number[], f: number): Uint16Array => {
      const { hidden, logits } = untied.lastPosition(ids, ref.clipEmbeddings);
      const norm = Math.hypot(...hidden);
      const top = logits.reduce((a, b) => Math.max(a, b), -Infinity);
      return Uint16Array.from(hidden, (x) => toBf16(((f * top) / (norm * norm)) * x));
    };
    const firstToken = untied.ask(ref, questions.slice(0, 1), 1)[0]!.tokenIds[0]!;
    const candidates = [() => rowAt([...prompt, firstToken], 1.02), ...[0.95, 0.98, 1.02].map((f) => () => rowAt(prompt, f))];
    let bits: Uint16Array | undefined;
    for (const candidate of candidates) {
      bits = candidate();
      untied.setOutputRow(imEnd, Float32Array.from(bits, fromBf16));
      const ids = untied.ask(ref, questions.slice(0, 1), MAX_NEW_TOKENS)[0]!.tokenIds;
      if (ids.at(-1) === imEnd && ids.length >= 2) break;
    }
    // write the row into the checkpoint copy, then run both sides from the files
    const source = await openCheckpointFolder(join(eosDir, 'llm'));
    const shard = source.files.get(source.shardOf('lm_head.weight'))!;
    expect(source.info('lm_head.weight').dtype).toBe('BF16');
    const offset = shard.fileOffset('lm_head.weight') + imEnd * H * 2;
    await source.close();
    const fd = openSync(shard.path, 'r+');
    writeSync(fd, Buffer.from(bits!.buffer), 0, H * 2, offset);
    closeSync(fd);

    const ask = runCli(['ask', video, ...questions, '--model', eosDir, '--greedy', '--json', '--precision', 'fp32', '--device', 'cpu', '--max-new-tokens', String(MAX_NEW_TOKENS)], { env, timeoutMs: 180_000 });
    const fromFiles = await ReferenceApollo.load(eosDir);
    const turns = fromFiles.ask(ref, questions, MAX_NEW_TOKENS);
    const out = JSON.parse(parseCli(await ask, 'ask')) as AskJson;
    expect(turns[0]!.tokenIds.at(-1), 'the reference stops on <|im_end|>').toBe(imEnd);
    expect(out.turns[0]!.stopReason).toBe('stop-token');
    expectSameTurns(out, turns);
  }, 240_000);
});
