// "Answer now" and coarse-to-fine encoding in the runtime on the tiny checkpoint: a cancelled encode
// keeps its clips (the first of the coarse-to-fine order), an answer from them is Apollo's prompt
// for that subset and says so, and the next encode resumes with only the missing clips, to the same
// embeddings as an encode that never stopped.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { planConversationTurn } from '../../electron/engine/chat/conversation-plan.js';
import { loadChatTokenizer } from '../../electron/engine/chat/tokenizer.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { ApolloRuntime, clipsUsedLabel, videoForPrompt } from '../../electron/engine/runtime/apollo-runtime.js';
import { planVideo } from '../../electron/engine/video/plan-video.js';
import { samplingSettingsFromConfig } from '../../electron/engine/video/sampling-settings.js';
import { buildVideoText } from '../../electron/engine/video/video-text.js';
import { ClipEmbeddingCache } from '../../electron/engine/vision/clip-embedding-cache.js';
import { loadVisionModel } from '../../electron/engine/vision/video-clip-embeddings.js';
import { ApolloError } from '../../electron/shared/errors.js';
import type { RuntimeEvent } from '../../electron/shared/engine-protocol.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

describe('answer now from the clips encoded so far', () => {
  let dir: string;
  let modelDir: string;
  let videoPath: string;
  let videoKey: string;
  let runtime: ApolloRuntime;
  const previousCache = process.env.APOLLO_CACHE_DIR;

  beforeAll(async () => {
    dir = makeTempDir('answer-now');
    process.env.APOLLO_CACHE_DIR = join(dir, 'cache');
    modelDir = join(dir, 'tiny');
    await makeTinyCheckpoint(modelDir, { seed: 3 });
    videoPath = join(dir, 'clip.mp4');
    // 10 s at 25 fps: Apollo plans 5 clips
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25:duration=10', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
    videoKey = await videoFingerprint(videoPath);
    runtime = await ApolloRuntime.load({ modelDir, precision: 'fp32', device: 'cpu' }, { clipCache: new ClipEmbeddingCache(join(dir, 'clips')) });
  }, 240_000);
  afterAll(async () => {
    await runtime?.release();
    if (previousCache === undefined) delete process.env.APOLLO_CACHE_DIR;
    else process.env.APOLLO_CACHE_DIR = previousCache;
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (extra: { answerNow?: boolean; answerAfterClips?: number } = {}) => ({ videoPath, videoKey, history: [], question: 'What happens?', generation: { greedy: true, maxNewTokens: 4 }, ...extra });

  it('says so when nothing is encoded yet', async () => {
    await expect(runtime.ask(request({ answerNow: true }), () => {})).rejects.toMatchObject({ code: 'NOTHING_ENCODED_YET' });
  });

  it('keeps the clips of a cancelled encode, answers from them with their own prompt, then resumes', async () => {
    const controller = new AbortController();
    const done: number[] = [];
    const emit = (e: RuntimeEvent) => {
      if (e.type === 'progress' && e.progress.stage === 'encode') {
        done.push(e.progress.done);
        if (e.progress.done === 2) controller.abort(new ApolloError('CANCELLED'));
      }
    };
    await expect(runtime.encode({ videoPath, videoKey }, emit, controller.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(done.at(-1)).toBe(2);

    const now = await runtime.ask(request({ answerNow: true }), () => {});
    expect(now.clipsUsed).toEqual({ used: 2, total: 5, label: 'from 2 of 5 clips' });
    expect(now.plan.clips).toBe(5);
    // the prompt is Apollo's for those two clips, the first two of the coarse-to-fine order (0 and 4)
    const model = await loadVisionModel(modelDir);
    const video = await planVideo(videoPath, samplingSettingsFromConfig(model.config.root));
    const subset = buildVideoText({ ...video.plan, clips: [video.plan.clips[0]!, video.plan.clips[4]!], groupCount: 2 }, video.settings);
    expect(subset).toMatch(/^You are provided the following series of two, 2 second clips from a 0:00:10 \[H:MM:SS\] video\.\n0\.0-1\.5 seconds: (<\|video_token\|>){128},\n8\.0-9\.5 seconds: /);
    const tokenizer = await loadChatTokenizer(join(modelDir, 'llm'));
    const turn = planConversationTurn(tokenizer, { videoText: subset, history: [], question: 'What happens?', cachedIds: [], modelMaxLength: video.settings.modelMaxLength, reserveTokens: 4, clipCount: 2, tokensPerClip: 128 });
    expect(now.timings.prefillTokens).toBe(turn.ids.length);

    // a normal question encodes the three missing clips only, and uses all five
    const runs = (await (runtime as unknown as { warmVisionRunner(): Promise<{ runs: { connector: number } }> }).warmVisionRunner()).runs;
    const before = runs.connector;
    const all = await runtime.ask(request(), () => {});
    expect(runs.connector - before).toBe(3);
    expect(all.clipsUsed).toEqual({ used: 5, total: 5, label: 'from all 5 clips' });
    expect(all.timings.prefillTokens).toBeGreaterThan(5 * 128);
  }, 240_000);

  it('answers after a given number of clips (encoding stops there); completing from there gives the same embeddings as completing after a cancel', async () => {
    const fresh = await ApolloRuntime.load({ modelDir, precision: 'fp32', device: 'cpu' }, { clipCache: new ClipEmbeddingCache(join(dir, 'clips-2')) });
    try {
      const early = await fresh.ask(request({ answerAfterClips: 3 }), () => {});
      expect(early.clipsUsed.label).toBe('from 3 of 5 clips');
      const resumed = await fresh.encode({ videoPath, videoKey }, () => {});
      // the first runtime encoded the same video in one cancelled and one resumed run
      const other = await runtime.encode({ videoPath, videoKey }, () => {});
      expect(Buffer.from(resumed.embeddings.entry.embeddings.buffer).equals(Buffer.from(other.embeddings.entry.embeddings.buffer))).toBe(true);
    } finally {
      await fresh.release();
    }
  }, 240_000);

  it('a follow-up once every clip is encoded is answered from all of them, exactly as by a runtime that never saw the subset prompt', async () => {
    const a = await ApolloRuntime.load({ modelDir, precision: 'fp32', device: 'cpu' }, { clipCache: new ClipEmbeddingCache(join(dir, 'clips-3')) });
    const b = await ApolloRuntime.load({ modelDir, precision: 'fp32', device: 'cpu' }, { clipCache: new ClipEmbeddingCache(join(dir, 'clips-4')) });
    try {
      const early = await a.ask(request({ answerAfterClips: 2 }), () => {});
      expect(early.clipsUsed.label).toBe('from 2 of 5 clips');
      const history = [{ question: 'What happens?', answer: early.answer }];
      const followUp = { videoPath, videoKey, history, question: 'And then?', generation: { greedy: true, maxNewTokens: 8 } };
      // a's decoder holds the subset prompt's KV cache; b's holds nothing
      const fromA = await a.ask(followUp, () => {});
      const fromB = await b.ask(followUp, () => {});
      expect(fromA.clipsUsed.label).toBe('from all 5 clips');
      expect(fromA.tokenIds).toEqual(fromB.tokenIds);
      // only the prompt's head before the clip count was reused: every clip's rows were prefilled anew
      expect(fromA.timings.prefillTokens).toBeGreaterThan(5 * 128);
      expect(fromB.timings.prefillTokens - fromA.timings.prefillTokens).toBeLessThan(64);
    } finally {
      await a.release();
      await b.release();
    }
  }, 240_000);

  it('videoForPrompt keeps every clip unchanged and labels subsets', () => {
    expect(clipsUsedLabel(21, 84)).toBe('from 21 of 84 clips');
    expect(clipsUsedLabel(84, 84)).toBe('from all 84 clips');
    const plan = { groupCount: 3, clips: [0, 1, 2].map((i) => ({ index: i, frameIndices: [], start: 2 * i, end: 2 * i + 1.5 })), duration: 6 } as unknown as Parameters<typeof buildVideoText>[0];
    const video = { plan, settings: { clipDuration: 2, numOutputTokens: 1 }, videoText: 'whole' } as unknown as Parameters<typeof videoForPrompt>[0];
    const rows = Float32Array.from({ length: 6 }, (_, i) => i);
    expect(videoForPrompt(video, rows, 2, undefined)).toMatchObject({ videoText: 'whole', clipCount: 3, used: 3 });
    const sub = videoForPrompt(video, rows, 2, [0, 2]);
    expect([...sub.clipRows]).toEqual([0, 1, 4, 5]);
    expect(sub.videoText).toBe('You are provided the following series of two, 2 second clips from a 0:00:06 [H:MM:SS] video.\n0.0-1.5 seconds: <|video_token|>,\n4.0-5.5 seconds: <|video_token|>');
  });

  it('apollo-chat ask --answer-after-clips N / --answer-now: labelled in --json, NOTHING_ENCODED_YET with nothing encoded', async () => {
    const env = { APOLLO_CACHE_DIR: join(dir, 'cli-cache'), APOLLO_DATA_DIR: join(dir, 'cli-data') };
    const common = ['--model', modelDir, '--device', 'cpu', '--precision', 'int4', '--greedy', '--max-new-tokens', '2', '--json', '--no-progress'];
    const none = await runCli(['ask', videoPath, 'What happens?', '--answer-now', ...common], { env, timeoutMs: 240_000 });
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ error: { code: 'NOTHING_ENCODED_YET' } });
    const r = await runCli(['ask', videoPath, 'What happens?', 'And then?', '--answer-after-clips', '2', ...common], { env, timeoutMs: 240_000 });
    expect(r.code).toBe(0);
    const turns = (JSON.parse(r.stdout) as { turns: { clipsUsed: { label: string } }[] }).turns;
    expect(turns.map((t) => t.clipsUsed.label)).toEqual(['from 2 of 5 clips', 'from all 5 clips']);
    expect((await runCli(['ask', videoPath, 'x', '--answer-after-clips', '0', ...common], { env })).code).toBe(2);
  }, 600_000);
});
