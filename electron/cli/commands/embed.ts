// `apollo-chat embed VIDEO --model DIR --out FILE.safetensors`: runs the whole vision side on a
// video and writes every intermediate tensor (both towers' pixels and features, the clip
// embeddings) as float32, with the clip plan as JSON in __metadata__ — for parity checks against
// a PyTorch reference and for inspecting what the model sees.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { defaultThreadCount, DEVICE_NAMES, selectDevice, type DeviceName } from '../../engine/llm/execution-device.js';
import { writeSafetensors, type TensorToWrite } from '../../engine/model/safetensors.js';
import { resolvePreparedModel } from '../../engine/prepare/prepare-model.js';
import { visionSizes } from '../../engine/vision/encode-video-clips.js';
import { planVideo } from '../../engine/video/plan-video.js';
import { samplingSettingsFromConfig } from '../../engine/video/sampling-settings.js';
import { encodeVideo, loadVisionModel, planMetadata } from '../../engine/vision/video-clip-embeddings.js';
import { internVideoGridFrames, internVideoGridSide, siglipGridSide } from '../../engine/vision/vision-shapes.js';
import type { RunAction } from '../command-types.js';
import { parseIntegerOption } from '../option-parsers.js';

interface EmbedOptions {
  model: string;
  out: string;
  device: DeviceName | 'auto';
  precision: 'fp32' | 'fp16';
  threads?: number;
  cacheDir?: string;
}

export function registerEmbedCommand(program: Command, run: RunAction): void {
  program
    .command('embed')
    .description("encode a video's clips with the vision towers and connector; write every tensor to a safetensors file")
    .argument('<video>', 'the video file')
    .requiredOption('--model <dir>', 'an original Apollo checkpoint folder (holding config.json)')
    .requiredOption('--out <file>', 'the safetensors file to write')
    .addOption(new Option('--device <d>', 'execution provider; auto tries cuda, (dml,) webgpu, then cpu').choices(['auto', ...DEVICE_NAMES]).default('cpu'))
    .addOption(new Option('--precision <p>', 'compute precision of the vision graphs (outputs are float32 either way)').choices(['fp32', 'fp16']).default('fp32'))
    .addOption(new Option('--threads <n>', 'onnxruntime intra-op threads (default: one per core)').argParser(parseIntegerOption('--threads', 1, 1024)))
    .addOption(new Option('--cache-dir <dir>', 'where prepared folders live (default: APOLLO_CACHE_DIR, else the user cache folder)'))
    .action(async (video: string, opts: EmbedOptions, command: Command) => {
      await run(command, async (ctx) => {
        const t0 = Date.now();
        const dtype = opts.precision === 'fp16' ? 'float16' : 'float32';
        const device = await selectDevice(opts.device);
        const threads = opts.threads ?? defaultThreadCount();
        const model = await loadVisionModel(resolve(opts.model));
        // The vision graphs come from the checkpoint's prepared folder (built on first use, like `prepare`).
        const prepared = await resolvePreparedModel(model.dir, {
          precision: opts.precision,
          ...(opts.cacheDir !== undefined ? { cacheDir: resolve(opts.cacheDir) } : {}),
          onProgress: ctx.progress,
          signal: ctx.signal,
        });
        const input = await planVideo(resolve(video), samplingSettingsFromConfig(model.config.root), { signal: ctx.signal });
        const K = input.plan.groupCount;
        const { shapes } = model;
        const sizes = visionSizes(shapes);
        const F = shapes.fusion.frames;
        const s = shapes.siglip;
        const v = shapes.internVideo;
        // the whole video's tensors, filled chunk by chunk
        const siglipPixels = new Float32Array(K * sizes.siglipPixelsPerClip);
        const ivPixels = new Float32Array(K * sizes.internVideoPixelsPerClip);
        const siglipFeatures = new Float32Array(K * sizes.siglipFeaturesPerClip);
        const ivFeatures = new Float32Array(K * sizes.internVideoFeaturesPerClip);
        const encoded = await encodeVideo(model, input, {
          dtype,
          prepared,
          session: { executionProviders: device.executionProviders, intraOpNumThreads: threads },
          signal: ctx.signal,
          onProgress: ctx.progress,
          // clip by clip, so any encode order lands in place
          onChunk: (c) =>
            c.indices.forEach((clip, j) => {
              const part = (a: Float32Array, n: number) => a.subarray(j * n, (j + 1) * n);
              siglipPixels.set(part(c.prepared.siglipPixels, sizes.siglipPixelsPerClip), clip * sizes.siglipPixelsPerClip);
              ivPixels.set(part(c.prepared.internVideoPixels, sizes.internVideoPixelsPerClip), clip * sizes.internVideoPixelsPerClip);
              siglipFeatures.set(part(c.siglipFeatures, sizes.siglipFeaturesPerClip), clip * sizes.siglipFeaturesPerClip);
              ivFeatures.set(part(c.internVideoFeatures, sizes.internVideoFeaturesPerClip), clip * sizes.internVideoFeaturesPerClip);
            }),
        });
        const G = siglipGridSide(s);
        const G2 = internVideoGridSide(v);
        const tensors: TensorToWrite[] = [
          { name: 'siglip_pixel_values', dtype: 'F32', shape: [K, F, s.numChannels, s.imageSize, s.imageSize], data: siglipPixels },
          { name: 'internvideo_pixel_values', dtype: 'F32', shape: [K, v.numChannels, v.numFrames, v.imageSize, v.imageSize], data: ivPixels },
          { name: 'siglip_features', dtype: 'F32', shape: [K, F, G, G, s.hiddenSize], data: siglipFeatures },
          { name: 'internvideo_features', dtype: 'F32', shape: [K, internVideoGridFrames(v), G2, G2, v.hiddenSize], data: ivFeatures },
          { name: 'clip_embeddings', dtype: 'F32', shape: [K, shapes.connector.numLatents, shapes.connector.textHiddenSize], data: encoded.embeddings },
        ];
        const out = resolve(opts.out);
        const plan = planMetadata(input);
        await writeSafetensors(out, tensors, { plan: JSON.stringify(plan), precision: opts.precision, device: device.device, model_id: model.modelId });
        const seconds = (Date.now() - t0) / 1000;
        if (ctx.json) {
          ctx.printJson({ out, preparedDir: prepared.preparedDir, clips: K, precision: opts.precision, device: device.device, deviceReason: device.reason, threads, seconds, tensors: tensors.map((t) => ({ name: t.name, shape: t.shape })), plan });
        } else {
          ctx.print(`Encoded ${K} clips of ${video} on ${device.device} (${opts.precision}, ${threads} threads) in ${seconds.toFixed(1)} s; wrote ${out}`);
          for (const t of tensors) ctx.print(`  ${t.name} [${t.shape.join(', ')}]`);
        }
      });
    });
}
