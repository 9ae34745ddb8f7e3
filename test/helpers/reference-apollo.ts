// An independent reference of the whole Apollo path (spec sections 2–9), for the tests only. It
// shares no orchestration with the app: frames come from one ffmpeg decode of the whole video at
// its native rate, picked by index as decord's get_batch does; sampling, the video text and the
// preprocessing run in Debian's Python (numpy / num2words / timedelta / PIL / OpenCV); the vision
// side is the naive TypeScript references; the prompt is assembled here from the spec, tokenised
// with the tokenizer library, spliced, and decoded greedily by the naive Qwen2 reference, with
// HF generate's repetition penalty (transformers 4.44 adds it for greedy search too).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { openCheckpointFolder } from '../../electron/engine/model/safetensors-checkpoint.js';
import { openSafetensors } from '../../electron/engine/model/safetensors.js';
import { loadQwen2ReferenceWeights, Qwen2Reference, type Qwen2ReferenceWeights, type ReferenceKvCache } from '../reference/qwen2-reference.js';
import type { Qwen2Config } from '../../electron/engine/llm/qwen2-config.js';
import { connectorReference, connectorWeightNames } from '../reference/connector-reference.js';
import { internVideoReference, internVideoWeightNames } from '../reference/internvideo-reference.js';
import { siglipReference, siglipWeightNames } from '../reference/siglip-reference.js';
import { fuseTowerFeatures } from '../../electron/engine/vision/trilinear-fusion.js';
import type { ConnectorShape, InternVideoShape, SiglipShape } from '../../electron/engine/vision/vision-shapes.js';
import { runPython } from './python-oracle.js';

/** X_TOKEN_INDEX of the reference: the id each video placeholder becomes. */
export const VIDEO_TOKEN_ID = -200;
const PLACEHOLDERS = ['<|image_token|>', '<|video_token|>'];
/** Frames per clip: hard-coded to 4 in the reference README. */
const FRAMES_PER_CLIP = 4;
/** conv_qwen (GH conversation.py, the "qwen_2" template): CHATML with this system text. */
const CHATML_SYSTEM = '<|im_start|>system\n\nYou are a helpful vision-language assistant.';
const CHATML_SEP = '<|im_end|>';
const CHATML_ROLES = ['<|im_start|>user', '<|im_start|>assistant'] as const;
/** ImageNet statistics, hard-coded in the reference's InternVideo2 transform (HF-VT). */
const INTERNVIDEO_MEAN = [0.485, 0.456, 0.406];
const INTERNVIDEO_STD = [0.229, 0.224, 0.225];

type Json = Record<string, unknown>;

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

function num(obj: Json, key: string, fallback?: number): number {
  const v = obj[key];
  if (typeof v === 'number') return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`reference: config key ${key} is missing`);
}

// ---------------------------------------------------------------------------------------------
// Video: whole-file decode and decord-style indexing

export interface DecodedVideo {
  /** Every frame, upright RGB24, in presentation order. */
  frames: Uint8Array[];
  width: number;
  height: number;
  /** avg_frame_rate as a float (decord's get_avg_fps). */
  fps: number;
}

/** Decodes every frame of the first video stream at its native rate (no frame dropped or duplicated). */
export function decodeWholeVideo(path: string): DecodedVideo {
  const probe = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,avg_frame_rate:stream_side_data=rotation', '-of', 'json', path]).toString('utf8'),
  ) as { streams: { width: number; height: number; avg_frame_rate: string; side_data_list?: { rotation?: number }[] }[] };
  const s = probe.streams[0]!;
  const [fn, fd] = s.avg_frame_rate.split('/').map(Number) as [number, number];
  const rotation = (((-(s.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0)) % 360) + 360) % 360;
  const swap = rotation === 90 || rotation === 270;
  const width = swap ? s.height : s.width;
  const height = swap ? s.width : s.height;
  // ffmpeg autorotates (as players do); scale=W:H then rgb24 is decord's conversion chain
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-map', '0:v:0', '-an', '-vf', `scale=${width}:${height},format=rgb24`, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    maxBuffer: 1 << 30,
  });
  const frameBytes = width * height * 3;
  if (raw.length % frameBytes !== 0) throw new Error(`reference decode: ${raw.length} bytes is not a whole number of ${width}x${height} frames`);
  const frames: Uint8Array[] = [];
  for (let o = 0; o < raw.length; o += frameBytes) frames.push(new Uint8Array(raw.buffer, raw.byteOffset + o, frameBytes));
  return { frames, width, height, fps: fn / fd };
}

/** decord's VideoReader.get_batch: negative indices count from the end; out of range is an error. */
export function getBatch(video: DecodedVideo, indices: readonly number[]): Uint8Array[] {
  const n = video.frames.length;
  return indices.map((i) => {
    const j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) throw new Error(`reference get_batch: index ${i} outside ${n} frames`);
    return video.frames[j]!;
  });
}

// ---------------------------------------------------------------------------------------------
// Sampling and video text (numpy / num2words / timedelta, as the reference computes them)

export interface ReferenceSampling {
  allIndices: number[];
  timestamps: [number, number][];
  /** Number of clips the regrouped frames make: floor(len(allIndices) / 4). */
  clips: number;
  duration: number;
  /** The effective clip sampling ratio ρ. */
  ratio: number;
  /** Preamble + per-clip lines with the literal placeholders. */
  videoText: string;
}

const SAMPLING_PY = String.raw`
import json, math, sys, datetime
import numpy as np
from num2words import num2words
a = json.loads(sys.argv[1])
N, fps, D, F, R, M, r = a['N'], a['fps'], a['clip_duration'], a['frames_per_clip'], a['num_repeat_token'], a['model_max_length'], a['ratio']
duration = N / fps
ratio = min(1, (M * r) / (duration * R / D))
target = F / D
num_clips = math.ceil((duration / D) * ratio)
step = fps / target
part = N // num_clips
clips, stamps = [], []
if step > 0.5:
    s = max(1, int(fps / target))
    L = int(F * s)
    S = min(L, N)
    cstep = (N - L) // max(1, num_clips - 1) if N > L else 0
    for i in range(num_clips):
        if part > L:
            st = (part - L) // 2
            idx = np.clip(np.arange(st, st + L, s), 0, part - 1).astype(np.int64) + i * part
        else:
            idx = np.arange(0, S, s)
            if len(idx) < F:
                idx = np.concatenate((idx, np.full(F - len(idx), S)))
            idx = np.clip(idx, 0, S - 1).astype(np.int64) + i * cstep
        clips.append(idx)
else:
    rep = int(np.ceil(1 / step))
    L = int(F * step)
    base = np.repeat(np.arange(L), rep)
    L = min(L, len(base))
    cstep = (N - L) // max(1, num_clips - 1) if N > L else 0
    S = min(L, N)
    if len(base) < F:
        base = np.concatenate((base, np.full(F - len(base), S)))
    for i in range(num_clips):
        clips.append(np.clip(base, 0, S - 1).astype(np.int64) + i * cstep)
for c in clips:
    stamps.append((c[0] / fps, c[-1] / fps))
all_idx = [int(x) for c in clips for x in c]
k = len(all_idx) // F
tok = a['placeholder'] * R
text = f"You are provided the following series of {num2words(k)}, {D} second clips from a {datetime.timedelta(seconds=duration)} [H:MM:SS] video.\n"
text += ',\n'.join(f"{round(t0, 1)}-{round(t1, 1)} seconds: {tok}" for t0, t1 in stamps)
print(json.dumps({'all': all_idx, 'stamps': [[float(t0), float(t1)] for t0, t1 in stamps], 'clips': k, 'duration': duration, 'ratio': ratio, 'text': text}))
`;

export interface SamplingInputs {
  frameCount: number;
  fps: number;
  clipDuration: number;
  numRepeatToken: number;
  modelMaxLength: number;
  clipSamplingRatio: number;
}

export function referenceSampling(p: SamplingInputs): ReferenceSampling {
  const args = {
    N: p.frameCount,
    fps: p.fps,
    clip_duration: p.clipDuration,
    frames_per_clip: FRAMES_PER_CLIP,
    num_repeat_token: p.numRepeatToken,
    model_max_length: p.modelMaxLength,
    ratio: p.clipSamplingRatio,
    placeholder: PLACEHOLDERS[1],
  };
  const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', SAMPLING_PY, JSON.stringify(args)]).toString('utf8')) as { all: number[]; stamps: [number, number][]; clips: number; duration: number; ratio: number; text: string };
  // the placeholder count follows the timestamp lines while the clips follow the regrouped frames
  return { allIndices: out.all, timestamps: out.stamps, clips: out.clips, duration: out.duration, ratio: out.ratio, videoText: out.text };
}

// ---------------------------------------------------------------------------------------------
// Preprocessing (pad_to_center_square + SiglipImageProcessor / the InternVideo2 transform)

const PREPROCESS_PY = String.raw`
import json, sys
import numpy as np
import cv2
from PIL import Image
h = json.loads(sys.stdin.buffer.readline())
T, H, W = h['frames'], h['height'], h['width']
buf = np.frombuffer(sys.stdin.buffer.read(T * H * W * 3), dtype=np.uint8).reshape(T, H, W, 3)
F = h['frames_per_clip']
K = T // F
def pad(frames, mean):
    side = max(H, W)
    out = np.full((T, side, side, 3), np.array([int(m * 255) for m in mean], dtype=np.uint8), dtype=np.uint8)
    top, left = (side - H) // 2, (side - W) // 2
    out[:, top:top + H, left:left + W, :] = frames
    return out
sg = h['siglip']
p = pad(buf, sg['mean'])
res = []
for t in range(K * F):
    im = np.array(Image.fromarray(p[t]).resize((sg['width'], sg['height']), resample=sg['resample']))
    x = (im.astype(np.float64) * sg['rescale']).astype(np.float32)
    x = (x - np.array(sg['mean'], dtype=np.float32)) / np.array(sg['std'], dtype=np.float32)
    res.append(x.transpose(2, 0, 1))
sys.stdout.buffer.write(np.ascontiguousarray(np.stack(res), dtype=np.float32).tobytes())
iv = h['internvideo']
p = pad(buf, iv['mean'])
side = p.shape[1]
size = iv['size']
clips = []
for k in range(K):
    fr = [p[k * F + f] for f in range(F)]
    if side != size:
        fr = [cv2.resize(f, (size, size), interpolation=cv2.INTER_LINEAR) for f in fr]
    c = np.stack(fr).astype(np.float32).transpose(3, 0, 1, 2) / np.float32(255)
    m = np.array(iv['mean'], dtype=np.float32)[:, None, None, None]
    s = np.array(iv['std'], dtype=np.float32)[:, None, None, None]
    clips.append((c - m) / s)
sys.stdout.buffer.write(np.ascontiguousarray(np.stack(clips), dtype=np.float32).tobytes())
`;

export interface ReferencePixels {
  clips: number;
  /** (K, 4, 3, S, S) */
  siglip: Float32Array;
  /** (K, 3, 4, S', S') */
  internVideo: Float32Array;
}

export interface PreprocessSettings {
  siglip: { width: number; height: number; resample: number; rescale: number; mean: number[]; std: number[] };
  internVideo: { size: number; mean: number[]; std: number[] };
}

export function referencePixels(frames: Uint8Array[], width: number, height: number, settings: PreprocessSettings): ReferencePixels {
  const header = { frames: frames.length, width, height, frames_per_clip: FRAMES_PER_CLIP, siglip: settings.siglip, internvideo: settings.internVideo };
  const input = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength))]);
  const out = runPython(PREPROCESS_PY, input);
  const clips = Math.floor(frames.length / FRAMES_PER_CLIP);
  const sgLen = clips * FRAMES_PER_CLIP * 3 * settings.siglip.height * settings.siglip.width;
  const ivLen = clips * 3 * FRAMES_PER_CLIP * settings.internVideo.size * settings.internVideo.size;
  if (out.length !== 4 * (sgLen + ivLen)) throw new Error(`reference preprocess: ${out.length} bytes, expected ${4 * (sgLen + ivLen)}`);
  const all = new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length));
  return { clips, siglip: all.slice(0, sgLen), internVideo: all.slice(sgLen) };
}

// ---------------------------------------------------------------------------------------------
// The model, read from the checkpoint's own configs

interface ReferenceShapes {
  siglip: SiglipShape;
  internVideo: InternVideoShape;
  connector: ConnectorShape;
  grid: { frames: number; height: number; width: number };
  preprocess: PreprocessSettings;
  clipDuration: number;
  modelMaxLength: number;
  llm: Qwen2Config;
  eosIds: number[];
  repetitionPenalty: number;
}

function referenceShapes(modelDir: string): ReferenceShapes {
  const root = readJson(join(modelDir, 'config.json'));
  const tower = readJson(join(modelDir, 'vision_tower', 'config.json'));
  const towers = tower.vision_towers as string[];
  const sgName = towers.find((t) => t.startsWith('siglip'))!;
  const ivName = towers.find((t) => t.startsWith('internvideo'))!;
  if (towers[0] !== sgName) throw new Error('reference: expects SigLIP as the first tower (channel order)');
  const sg = readJson(join(modelDir, 'vision_tower', sgName, 'config.json'));
  const sgPre = readJson(join(modelDir, 'vision_tower', sgName, 'preprocessor_config.json'));
  const iv = readJson(join(modelDir, 'vision_tower', ivName, 'config.json'));
  const cn = readJson(join(modelDir, 'mm_connector', 'config.json'));
  const llm = readJson(join(modelDir, 'llm', 'config.json'));
  const gen = readJson(join(modelDir, 'llm', 'generation_config.json'));
  const selectLayer = num(root, 'mm_vision_select_layer');
  const ivDim = num(iv, 'd_model');
  const [gt, gh, gw] = tower.token_output_shape as [number, number, number];
  const sgSize = sgPre.size as { height: number; width: number };
  const heads = num(llm, 'num_attention_heads');
  const eos = gen.eos_token_id;
  return {
    siglip: {
      hiddenSize: num(sg, 'hidden_size'),
      numLayers: num(sg, 'num_hidden_layers'),
      numHeads: num(sg, 'num_attention_heads'),
      intermediateSize: num(sg, 'intermediate_size'),
      imageSize: num(sg, 'image_size'),
      patchSize: num(sg, 'patch_size'),
      numChannels: num(sg, 'num_channels', 3),
      layerNormEps: num(sg, 'layer_norm_eps'),
      selectLayer,
    },
    internVideo: {
      hiddenSize: ivDim,
      // configuration_internvideo2.py defaults (spec section 1)
      depth: num(iv, 'depth', 40),
      numHeads: num(iv, 'num_heads'),
      mlpHiddenSize: Math.trunc(ivDim * num(iv, 'mlp_ratio', 48 / 11)),
      imageSize: num(iv, 'img_size'),
      patchSize: num(iv, 'patch_size'),
      numFrames: num(iv, 'num_frames'),
      tubeletSize: num(iv, 'tubelet_size'),
      numChannels: 3,
      normEps: 1e-6,
      selectLayer,
    },
    connector: {
      visionHiddenSize: num(cn, 'vision_hidden_size'),
      textHiddenSize: num(cn, 'text_hidden_size'),
      numLatents: num(cn, 'num_output_tokens'),
      depth: num(cn, 'resampler_depth'),
      numHeads: num(cn, 'resampler_n_heads'),
      headDim: num(cn, 'resampler_head_dim'),
      numKvHeads: num(cn, 'num_key_value_heads'),
      ffMult: num(cn, 'ff_multi'),
      // nn.LayerNorm's default inside WeightedNorm
      layerNormEps: 1e-5,
    },
    grid: { frames: gt, height: gh, width: gw },
    preprocess: {
      siglip: { width: sgSize.width, height: sgSize.height, resample: num(sgPre, 'resample'), rescale: num(sgPre, 'rescale_factor'), mean: sgPre.image_mean as number[], std: sgPre.image_std as number[] },
      internVideo: { size: num(iv, 'img_size'), mean: INTERNVIDEO_MEAN, std: INTERNVIDEO_STD },
    },
    clipDuration: num(root, 'clip_duration'),
    modelMaxLength: num(root, 'model_max_length'),
    llm: {
      hiddenSize: num(llm, 'hidden_size'),
      numLayers: num(llm, 'num_hidden_layers'),
      numHeads: heads,
      numKvHeads: num(llm, 'num_key_value_heads'),
      headDim: num(llm, 'head_dim', num(llm, 'hidden_size') / heads),
      intermediateSize: num(llm, 'intermediate_size'),
      vocabSize: num(llm, 'vocab_size'),
      rmsNormEps: num(llm, 'rms_norm_eps'),
      ropeTheta: num(llm, 'rope_theta'),
      maxPositionEmbeddings: num(llm, 'max_position_embeddings'),
      tieWordEmbeddings: llm.tie_word_embeddings === true,
    },
    eosIds: Array.isArray(eos) ? (eos as number[]) : [eos as number],
    repetitionPenalty: num(gen, 'repetition_penalty', 1),
  };
}

async function loadWeights(path: string, names: string[]): Promise<Map<string, Float32Array>> {
  const file = await openSafetensors(path);
  try {
    const map = new Map<string, Float32Array>();
    for (const n of names) map.set(n, (await file.readFloat32(n)).slice());
    return map;
  } finally {
    await file.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Prompt, tokens, splice and greedy generation

/** Python's str.strip(): the characters str.isspace() accepts. */
export function pythonStrip(s: string): string {
  const ws = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
  return s.replace(new RegExp(`^${ws}+|${ws}+$`, 'gu'), '');
}

/** The conversation as conv_qwen's get_prompt writes it, ending with the open assistant turn. */
export function chatmlPrompt(videoText: string, turns: readonly { question: string; answer?: string }[]): string {
  let out = CHATML_SYSTEM + CHATML_SEP + '\n';
  turns.forEach((t, i) => {
    const message = i === 0 ? `${videoText}\n\n${t.question}` : t.question;
    out += CHATML_ROLES[0] + '\n' + message + CHATML_SEP + '\n';
    // an empty answer is written without its separator (get_prompt's `if message:`)
    out += CHATML_ROLES[1] + '\n' + (t.answer === undefined ? '' : t.answer === '' ? '' : t.answer + CHATML_SEP + '\n');
  });
  return out;
}

export interface ReferenceTurn {
  question: string;
  tokenIds: number[];
  answer: string;
  /** The whole prompt's ids (placeholders as −200) this turn was generated from. */
  promptIds: number[];
}

export interface ReferenceVideo {
  sampling: ReferenceSampling;
  frameCount: number;
  fps: number;
  pixels: ReferencePixels;
  siglipFeatures: Float32Array;
  internVideoFeatures: Float32Array;
  /** (K, numLatents, H) */
  clipEmbeddings: Float32Array;
}

export class ReferenceApollo {
  private constructor(
    readonly modelDir: string,
    readonly shapes: ReferenceShapes,
    private readonly tokenizer: Tokenizer,
    private readonly llm: Qwen2ReferenceWeights,
  ) {}

  static async load(modelDir: string): Promise<ReferenceApollo> {
    const shapes = referenceShapes(modelDir);
    const tokenizer = new Tokenizer(readJson(join(modelDir, 'llm', 'tokenizer.json')), readJson(join(modelDir, 'llm', 'tokenizer_config.json')));
    const source = await openCheckpointFolder(join(modelDir, 'llm'));
    const weights = await loadQwen2ReferenceWeights(shapes.llm, source);
    await source.close();
    // transformers re-ties lm_head to embed_tokens when tie_word_embeddings (spec section 11.7)
    if (shapes.llm.tieWordEmbeddings) weights.outputMatrix = weights.embedTokens;
    return new ReferenceApollo(modelDir, shapes, tokenizer, weights);
  }

  tokenId(token: string): number {
    const ids = this.tokenizer.encode(token, { add_special_tokens: false }).ids;
    if (ids.length !== 1) throw new Error(`reference: ${token} is not one token`);
    return ids[0]!;
  }

  /** tokenizer_mm_token: text chunks between placeholders tokenised separately, placeholders → −200. */
  tokenize(prompt: string): number[] {
    const re = new RegExp(PLACEHOLDERS.map((p) => p.replace(/[|]/g, '\\|')).join('|'), 'g');
    const ids: number[] = [];
    const text = (chunk: string): void => {
      if (chunk.length > 0) ids.push(...this.tokenizer.encode(chunk.normalize('NFC'), { add_special_tokens: false }).ids);
    };
    let last = 0;
    for (const m of prompt.matchAll(re)) {
      text(prompt.slice(last, m.index));
      ids.push(VIDEO_TOKEN_ID);
      last = m.index + m[0].length;
    }
    text(prompt.slice(last));
    return ids;
  }

  decodeAnswer(ids: readonly number[]): string {
    return pythonStrip(this.tokenizer.decode([...ids], { skip_special_tokens: true }));
  }

  async encodeVideo(path: string, clipSamplingRatio: number): Promise<ReferenceVideo> {
    const sh = this.shapes;
    const video = decodeWholeVideo(path);
    const sampling = referenceSampling({
      frameCount: video.frames.length,
      fps: video.fps,
      clipDuration: sh.clipDuration,
      numRepeatToken: sh.connector.numLatents,
      modelMaxLength: sh.modelMaxLength,
      clipSamplingRatio,
    });
    const frames = getBatch(video, sampling.allIndices);
    const pixels = referencePixels(frames, video.width, video.height, sh.preprocess);
    const K = pixels.clips;
    assertLayersRun(sh);
    const sgDir = join(this.modelDir, 'vision_tower', 'siglip-so400m-patch14-384', 'model.safetensors');
    const ivDir = join(this.modelDir, 'vision_tower', 'internvideo2', 'model.safetensors');
    const sgW = await loadWeights(sgDir, siglipWeightNames(sh.siglip));
    const siglipFeatures = siglipReference(sh.siglip, sgW, pixels.siglip, K * FRAMES_PER_CLIP);
    const ivW = await loadWeights(ivDir, internVideoWeightNames(sh.internVideo));
    const internVideoFeatures = internVideoReference(sh.internVideo, ivW, pixels.internVideo, K);
    const ivGrid = sh.internVideo.imageSize / sh.internVideo.patchSize;
    const fused = fuseTowerFeatures(
      siglipFeatures,
      sh.siglip.hiddenSize,
      internVideoFeatures,
      sh.internVideo.hiddenSize,
      K,
      { frames: sh.internVideo.numFrames / sh.internVideo.tubeletSize, height: ivGrid, width: ivGrid },
      sh.grid,
    );
    const cnW = await loadWeights(join(this.modelDir, 'mm_connector', 'model.safetensors'), connectorWeightNames(sh.connector));
    const tokens = sh.grid.frames * sh.grid.height * sh.grid.width;
    const clipEmbeddings = connectorReference(sh.connector, cnW, fused, K, tokens);
    return { sampling, frameCount: video.frames.length, fps: video.fps, pixels, siglipFeatures, internVideoFeatures, clipEmbeddings };
  }

  /** The spliced inputs_embeds: text rows from embed_tokens, placeholder j → clip-embedding row j. */
  splice(ids: readonly number[], clipEmbeddings: Float32Array): Float32Array {
    const H = this.shapes.llm.hiddenSize;
    const placeholders = ids.filter((i) => i === VIDEO_TOKEN_ID).length;
    if (placeholders * H !== clipEmbeddings.length) throw new Error(`reference splice: ${placeholders} placeholders for ${clipEmbeddings.length / H} clip-embedding rows`);
    const out = new Float32Array(ids.length * H);
    let j = 0;
    ids.forEach((id, t) => {
      const row = id === VIDEO_TOKEN_ID ? clipEmbeddings.subarray(j++ * H, j * H) : this.llm.embedTokens.subarray(id * H, (id + 1) * H);
      out.set(row, t * H);
    });
    return out;
  }

  /** HF greedy search from inputs_embeds: fresh prefill, argmax of repetition-penalised logits. */
  greedy(embeds: Float32Array, length: number, maxNewTokens: number, repetitionPenalty = this.shapes.repetitionPenalty): number[] {
    const cfg = this.shapes.llm;
    const H = cfg.hiddenSize;
    const cache: ReferenceKvCache = { keys: this.llm.layers.map(() => []), values: this.llm.layers.map(() => []) };
    // the prefix's logits are never read: a one-row head keeps the naive prefill cheap
    new Qwen2Reference({ ...cfg, vocabSize: 1 }, this.llm).forward(embeds.subarray(0, (length - 1) * H), range(0, length - 1), cache);
    const model = new Qwen2Reference(cfg, this.llm);
    const stop = new Set([...this.shapes.eosIds, this.tokenId(CHATML_SEP)]);
    const penalty = Math.fround(repetitionPenalty);
    const out: number[] = [];
    let logits = model.forward(embeds.subarray((length - 1) * H, length * H), [length - 1], cache);
    for (;;) {
      // RepetitionPenaltyLogitsProcessor over the generated ids only (generation starts from embeds)
      if (penalty !== 1) for (const id of new Set(out)) logits[id] = Math.fround(logits[id]! < 0 ? logits[id]! * penalty : logits[id]! / penalty);
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
      out.push(best);
      if (stop.has(best) || out.length >= maxNewTokens) return out;
      const pos = length + out.length - 1;
      logits = model.forward(this.llm.embedTokens.slice(best * H, (best + 1) * H), [pos], cache);
    }
  }

  /** Last prompt position: the final-normed hidden state (the output matrix's input) and the logits. */
  lastPosition(promptIds: readonly number[], clipEmbeddings: Float32Array): { hidden: Float32Array; logits: Float32Array } {
    const cfg = this.shapes.llm;
    const H = cfg.hiddenSize;
    const embeds = this.splice(promptIds, clipEmbeddings);
    const identity = new Float32Array(H * H);
    for (let i = 0; i < H; i++) identity[i * H + i] = 1;
    const run = (vocabSize: number, outputMatrix: Float32Array): Float32Array => {
      const cache: ReferenceKvCache = { keys: this.llm.layers.map(() => []), values: this.llm.layers.map(() => []) };
      const n = promptIds.length;
      new Qwen2Reference({ ...cfg, vocabSize: 1 }, this.llm).forward(embeds.subarray(0, (n - 1) * H), range(0, n - 1), cache);
      return new Qwen2Reference({ ...cfg, vocabSize }, { ...this.llm, outputMatrix }).forward(embeds.subarray((n - 1) * H), [n - 1], cache);
    };
    return { hidden: run(H, identity), logits: run(cfg.vocabSize, this.llm.outputMatrix) };
  }

  /** Replaces one row of the output matrix in memory (never the input embeddings). */
  setOutputRow(id: number, row: Float32Array): void {
    const H = this.shapes.llm.hiddenSize;
    if (this.llm.outputMatrix === this.llm.embedTokens) this.llm.outputMatrix = this.llm.embedTokens.slice();
    this.llm.outputMatrix.set(row, id * H);
  }

  /**
   * A whole conversation as the reference runs it: each turn rebuilds the full prompt (earlier
   * answers decoded with skip_special_tokens, stripped, re-tokenised) and prefills it afresh.
   */
  ask(video: ReferenceVideo, questions: readonly string[], maxNewTokens: number, repetitionPenalty = this.shapes.repetitionPenalty): ReferenceTurn[] {
    const history: { question: string; answer?: string }[] = [];
    const turns: ReferenceTurn[] = [];
    for (const question of questions) {
      history.push({ question });
      const promptIds = this.tokenize(chatmlPrompt(video.sampling.videoText, history));
      const embeds = this.splice(promptIds, video.clipEmbeddings);
      const tokenIds = this.greedy(embeds, promptIds.length, maxNewTokens, repetitionPenalty);
      const answer = this.decodeAnswer(tokenIds);
      history[history.length - 1]!.answer = answer;
      turns.push({ question, tokenIds, answer, promptIds });
    }
    return turns;
  }
}

/**
 * The naive towers decide how deep to run; check that against the spec here: SigLIP returns
 * hidden_states[select] (−2: the output of layer numLayers − 1), InternVideo2's loop breaks after
 * block depth + select (−2: depth − 1 blocks).
 */
function assertLayersRun(sh: ReferenceShapes): void {
  const sel = sh.siglip.selectLayer;
  const sgLayers = sel < 0 ? sh.siglip.numLayers + 1 + sel : sel;
  const ivBlocks = (sel < 0 ? sh.internVideo.depth + sel : sel) + 1;
  const sgNames = siglipWeightNames(sh.siglip);
  const ivNames = internVideoWeightNames(sh.internVideo);
  const runs = (names: string[], prefix: string, i: number): boolean => names.some((n) => n.startsWith(`${prefix}${i}.`));
  const sgPrefix = 'vision_model.encoder.layers.';
  if (!runs(sgNames, sgPrefix, sgLayers - 1) || runs(sgNames, sgPrefix, sgLayers)) throw new Error(`reference: SigLIP should run ${sgLayers} layers for select layer ${sel}`);
  if (!runs(ivNames, 'blocks.', ivBlocks - 1) || runs(ivNames, 'blocks.', ivBlocks)) throw new Error(`reference: InternVideo2 should run ${ivBlocks} blocks for select layer ${sel}`);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
