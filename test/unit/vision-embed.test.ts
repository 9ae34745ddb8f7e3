// `apollo-chat embed` end to end on the tiny checkpoint and a video made here: pixel tensors
// against PIL (SigLIP) and OpenCV (InternVideo2) resampling of ffmpeg's decode of the same frames,
// and features / clip embeddings against a numpy forward of the checkpoint's weights, all in
// Debian's python3. Then the cache path: a re-open and a renamed copy run no tower at all.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { prepareModel, readPreparedManifest, type PreparedModel } from '../../electron/engine/prepare/prepare-model.js';
import { ClipEmbeddingCache } from '../../electron/engine/vision/clip-embedding-cache.js';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { planVideo } from '../../electron/engine/video/plan-video.js';
import { samplingSettingsFromConfig } from '../../electron/engine/video/sampling-settings.js';
import { loadVisionModel, videoClipEmbeddings, type VisionModel } from '../../electron/engine/vision/video-clip-embeddings.js';
import { makeTempDir } from '../helpers/paths.js';
import { runPython } from '../helpers/python-oracle.js';
import { runCli } from '../helpers/run-cli.js';
import { CONNECTOR_ORACLE, INTERNVIDEO_ORACLE, NUMPY_HELPERS, SIGLIP_ORACLE, TRILINEAR_ORACLE } from './vision-oracle.js';

let dir: string;
let modelDir: string;
let video: string;
let portrait: string;

beforeAll(async () => {
  dir = makeTempDir('vision-embed');
  modelDir = join(dir, 'model');
  await makeTinyCheckpoint(modelDir, { seed: 7 });
  video = join(dir, 'walk.mp4');
  // 29.97 fps, landscape (padded top and bottom), moving content, 7 s
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=250x180:rate=30000/1001', '-t', '7', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '50', video]);
  // 25 fps portrait (padded left and right), MPEG-4 part 2, 2.6 s
  portrait = join(dir, 'portrait.avi');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'mandelbrot=size=144x256:rate=25', '-t', '2.6', '-pix_fmt', 'yuv420p', '-c:v', 'mpeg4', '-q:v', '3', portrait]);
});

const ORACLE = (paths: { out: string; model: string; video: string }) => `
import struct, subprocess
from PIL import Image
import cv2
${NUMPY_HELPERS}
def load_st(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in hdr.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        buf = raw[base + a:base + b]
        if v['dtype'] == 'F32':
            arr = np.frombuffer(buf, '<f4')
        elif v['dtype'] == 'F16':
            arr = np.frombuffer(buf, '<f2').astype(np.float32)
        elif v['dtype'] == 'BF16':
            arr = (np.frombuffer(buf, '<u2').astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(v['dtype'])
        out[k] = arr.reshape(v['shape']).astype(np.float64)
    return out, hdr.get('__metadata__', {})
PATHS = ${JSON.stringify(paths)}
E, meta = load_st(PATHS['out'])
plan = json.loads(meta['plan'])
root = json.load(open(PATHS['model'] + '/config.json'))
vt = json.load(open(PATHS['model'] + '/vision_tower/config.json'))
sig_dir, iv_dir = [PATHS['model'] + '/vision_tower/' + n for n in vt['vision_towers']]
sc = json.load(open(sig_dir + '/config.json'))
ivc = json.load(open(iv_dir + '/config.json'))
cc = json.load(open(PATHS['model'] + '/mm_connector/config.json'))
sel = root['mm_vision_select_layer']
report = {}

# --- pixels: ffmpeg decodes the whole stream, the plan picks frames, PIL / OpenCV resample ---
probe = json.loads(subprocess.check_output(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', PATHS['video']]))
W, H = probe['streams'][0]['width'], probe['streams'][0]['height']
raw = subprocess.check_output(['ffmpeg', '-v', 'error', '-i', PATHS['video'], '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'])
frames = np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)
idx = [i for c in plan['clips'] for i in c['frameIndices']]
K = plan['groupCount']
F = plan['framesPerClip']
def pad(img, mean):
    side = max(H, W)
    canvas = np.empty((side, side, 3), np.uint8)
    canvas[:] = [int(math.floor(m * 255)) for m in mean]
    top, left = (side - H) // 2, (side - W) // 2
    canvas[top:top + H, left:left + W] = img
    return canvas
def compare(ours_levels, expected):
    d = np.abs(ours_levels.astype(np.int64) - expected.astype(np.int64))
    return {'max': int(d.max()), 'fraction_off': float((d > 0).mean())}
sig_size = sc['image_size']
exp_sig = np.stack([np.asarray(Image.fromarray(pad(frames[i], [0.5] * 3)).resize((sig_size, sig_size), Image.BICUBIC)) for i in idx[:K * F]])
ours_sig = np.rint((E['siglip_pixel_values'].reshape(K * F, 3, sig_size, sig_size).transpose(0, 2, 3, 1) * 0.5 + 0.5) * 255)
report['siglip_pixels'] = compare(ours_sig, exp_sig)
iv_size = ivc['img_size']
mean = np.array([0.485, 0.456, 0.406]); std = np.array([0.229, 0.224, 0.225])
exp_iv = np.stack([cv2.resize(pad(frames[i], mean), (iv_size, iv_size), interpolation=cv2.INTER_LINEAR) for i in idx[:K * F]])
ours_iv = np.rint((E['internvideo_pixel_values'].transpose(0, 2, 3, 4, 1).reshape(K * F, iv_size, iv_size, 3) * std + mean) * 255)
report['internvideo_pixels'] = compare(ours_iv, exp_iv)

# --- the forward in numpy from the file's pixel tensors and the checkpoint's weights ---
def rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
T, _ = load_st(sig_dir + '/model.safetensors')
T['pixels'] = E['siglip_pixel_values'].reshape(K * F, 3, sig_size, sig_size)
cfg = {'patch': sc['patch_size'], 'layers': sc['num_hidden_layers'], 'heads': sc['num_attention_heads'], 'eps': sc.get('layer_norm_eps', 1e-6), 'select': sel}
exec(${JSON.stringify(SIGLIP_ORACLE)})
sig = out.reshape(E['siglip_features'].shape)
report['siglip_features'] = rel(E['siglip_features'], sig)
T, _ = load_st(iv_dir + '/model.safetensors')
T['pixels'] = E['internvideo_pixel_values']
cfg = {'patch': ivc['patch_size'], 'tubelet': ivc.get('tubelet_size', 1), 'depth': ivc.get('depth', 40), 'heads': ivc['num_heads'], 'eps': 1e-6, 'select': sel}
exec(${JSON.stringify(INTERNVIDEO_ORACLE)})
iv = out
report['internvideo_features'] = rel(E['internvideo_features'], iv)
T = {'x': iv}
cfg = {'out': vt['token_output_shape']}
exec(${JSON.stringify(TRILINEAR_ORACLE)})
fused = np.concatenate([sig, out.astype(np.float64)], axis=-1).reshape(K, -1, sig.shape[-1] + iv.shape[-1])
T, _ = load_st(PATHS['model'] + '/mm_connector/model.safetensors')
T['fused'] = fused
cfg = {'eps': 1e-5, 'heads': cc['resampler_n_heads'], 'kv_heads': cc['num_key_value_heads'], 'depth': cc['resampler_depth']}
exec(${JSON.stringify(CONNECTOR_ORACLE)})
report['clip_embeddings'] = rel(E['clip_embeddings'], out)
report['clips'] = K
print(json.dumps(report))
`;

describe('apollo-chat embed', () => {
  it.each(['landscape H.264', 'portrait MPEG-4'])('writes pixels equal to PIL/OpenCV and features and embeddings equal to a numpy forward (%s)', async (which) => {
    const input = which.startsWith('portrait') ? portrait : video;
    const out = join(dir, `embed-${which.split(' ')[0]}.safetensors`);
    const r = await runCli(['embed', input, '--model', modelDir, '--out', out, '--json', '--no-progress'], { env: { APOLLO_CACHE_DIR: join(dir, 'cache') }, timeoutMs: 220_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { preparedDir: string; clips: number; tensors: { name: string; shape: number[] }[]; plan: { clips: unknown[] } };
    // the graphs ran from the checkpoint's prepared folder, recorded and hashed in its manifest
    expect(summary.preparedDir.startsWith(join(dir, 'cache', 'prepared'))).toBe(true);
    const manifest = await readPreparedManifest(summary.preparedDir, true);
    expect(Object.keys(manifest.artifacts)).toEqual(expect.arrayContaining(['siglip-float32', 'internvideo2-float32', 'connector-float32']));
    expect(summary.tensors.map((t) => t.name)).toEqual(['siglip_pixel_values', 'internvideo_pixel_values', 'siglip_features', 'internvideo_features', 'clip_embeddings']);
    expect(summary.tensors[0]!.shape).toEqual([summary.clips, 4, 3, 384, 384]);
    expect(summary.tensors[1]!.shape).toEqual([summary.clips, 3, 4, 224, 224]);
    expect(summary.tensors[4]!.shape.slice(1)).toEqual([128, 64]);
    const report = JSON.parse(runPython(ORACLE({ out, model: modelDir, video: input })).toString()) as Record<string, { max: number; fraction_off: number } | number>;
    console.log(`embed vs oracles (${which}): ${JSON.stringify(report)}`);
    expect(report.clips).toBe(summary.clips);
    for (const k of ['siglip_pixels', 'internvideo_pixels'] as const) {
      const p = report[k] as { max: number; fraction_off: number };
      expect(p.max).toBeLessThanOrEqual(1);
      expect(p.fraction_off).toBeLessThan(0.001);
    }
    for (const k of ['siglip_features', 'internvideo_features', 'clip_embeddings'] as const) expect(report[k]).toBeLessThan(1e-4);
  }, 240_000); // the first one prepares the model: 130 s seen on a loaded 2-core machine

  it('reports a missing model folder with its code and exit 1', async () => {
    const r = await runCli(['embed', video, '--model', join(dir, 'nope'), '--out', join(dir, 'x.safetensors'), '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[CHECKPOINT_CONFIG_INVALID\]/);
  });
});

describe('clip embeddings through the cache', () => {
  let model: VisionModel;
  let prepared: PreparedModel;
  beforeAll(async () => {
    model = await loadVisionModel(modelDir);
    // fp16 folders hold float16 vision graphs (GPUs) and int8 ones (the CPU)
    prepared = await prepareModel(modelDir, { precision: 'fp16', cacheDir: join(dir, 'cache16') });
  }, 120_000);

  it('re-opening, or opening a renamed copy, runs neither tower nor the connector', async () => {
    const cache = new ClipEmbeddingCache(join(dir, 'clip-cache'));
    const options = { dtype: 'int8' as const, prepared, session: { intraOpNumThreads: 1 } };
    const settings = samplingSettingsFromConfig(model.config.root);
    let plans = 0;
    const toEmbed = async (path: string) => ({ key: await videoFingerprint(path), settings, planned: () => (plans++, planVideo(path, settings)) });
    const first = await videoClipEmbeddings(await toEmbed(video), model, cache, options);
    expect(first.fromCache).toBe(false);
    expect(first.runner?.runs.siglip).toBe(first.entry.clips);
    expect(plans).toBe(1);
    const again = await videoClipEmbeddings(await toEmbed(video), model, cache, options);
    expect(again.fromCache).toBe(true);
    // a hit needs no probe or plan
    expect(plans).toBe(1);
    expect(again.runner).toBeUndefined();
    expect(Buffer.from(again.entry.embeddings.buffer).equals(Buffer.from(first.entry.embeddings.buffer))).toBe(true);
    const copy = join(dir, 'renamed copy.mp4');
    copyFileSync(video, copy);
    expect((await videoClipEmbeddings(await toEmbed(copy), model, cache, options)).fromCache).toBe(true);
    // the plan travels with the entry
    expect((again.entry.metadata.plan as { clips: unknown[] }).clips).toHaveLength(first.entry.clips);
    // fp16 is another entry
    expect((await videoClipEmbeddings(await toEmbed(video), model, cache, { ...options, dtype: 'float16' })).fromCache).toBe(false);
    // a damaged entry is recomputed
    const entryFile = join(cache.dir, readdirSync(cache.dir).find((n) => n.startsWith(first.key))!);
    const bytes = readFileSync(entryFile);
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0x10;
    writeFileSync(entryFile, bytes);
    const healed = await videoClipEmbeddings(await toEmbed(video), model, cache, options);
    expect(healed.fromCache).toBe(false);
    expect(healed.runner?.runs.connector).toBeGreaterThan(0);
  });
});
