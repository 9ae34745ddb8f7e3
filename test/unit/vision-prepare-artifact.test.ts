// The vision graphs as prepare artifacts of the tiny checkpoint: recorded and hashed in the
// manifest like the decoder, resumed after an interruption, locked against a second preparer, and
// the same graphs as written straight from the checkpoint's weights.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import type { ProgressEvent } from '../../electron/shared/progress.js';
import { loadApolloCheckpointConfig } from '../../electron/engine/model/apollo-config.js';
import { openCheckpointFolder } from '../../electron/engine/model/safetensors-checkpoint.js';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { defaultPrepareArtifacts } from '../../electron/engine/prepare/default-artifacts.js';
import { prepareModel, readPreparedManifest } from '../../electron/engine/prepare/prepare-model.js';
import { visionShapesOf } from '../../electron/engine/vision/vision-shapes-from-config.js';
import { openVisionSessions } from '../../electron/engine/vision/vision-sessions.js';
import { visionSizes } from '../../electron/engine/vision/encode-video-clips.js';
import {
  fetcherFromSource,
  visionDtypeFor,
  visionGraphArtifacts,
  visionGraphPaths,
  writeVisionGraph,
} from '../../electron/engine/vision/vision-prepare-artifact.js';
import { makeTempDir } from '../helpers/paths.js';

let dir: string;
let modelDir: string;
beforeAll(async () => {
  dir = makeTempDir('vision-prepare');
  modelDir = join(dir, 'model');
  await makeTinyCheckpoint(modelDir, { seed: 3 });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vision graphs as prepare artifacts', () => {
  it('are part of every prepared folder: what a GPU opens, then what the CPU opens', () => {
    const names = (p: 'fp32' | 'fp16' | 'int4') => defaultPrepareArtifacts(p).map((a) => a.name);
    expect(names('fp32')).toEqual(['config', 'decoder', 'siglip-float32', 'internvideo2-float32', 'connector-float32']);
    // the int8 variant keeps the connector in float32 (quant-settings' INT8_VISION_PARTS)
    expect(names('int4')).toEqual(['config', 'decoder', 'siglip-float32', 'internvideo2-float32', 'connector-float32', 'siglip-int8', 'internvideo2-int8']);
    expect(names('fp16')).toEqual(['config', 'decoder', 'siglip-float16', 'internvideo2-float16', 'connector-float16', 'siglip-int8', 'internvideo2-int8', 'connector-float32']);
  });

  it.each([
    ['fp16', 'cuda', 'float16'],
    ['fp16', 'cpu', 'int8'],
    ['int4', 'cpu', 'int8'],
    ['fp32', 'cpu', 'float32'],
    ['int4', 'cuda', 'float32'],
    ['fp32', 'webgpu', 'float32'],
  ] as const)('%s on %s opens %s graphs', (precision, device, dtype) => {
    expect(visionDtypeFor(precision, device)).toBe(dtype);
  });

  it('builds each graph with a hashed manifest entry, equal to the graph written from the weights', async () => {
    const cacheDir = join(dir, 'cache');
    const events: ProgressEvent[] = [];
    const r = await prepareModel(modelDir, { precision: 'fp32', cacheDir, artifacts: visionGraphArtifacts(['float32']), onProgress: (e) => events.push(e) });
    const m = await readPreparedManifest(r.preparedDir, true);
    expect(m.builderVersion).toBe('prepare-1+siglip-float32-1+internvideo2-float32-1+connector-float32-1');
    expect(m.artifacts['siglip-float32']!.entry).toBe('siglip-float32/siglip.onnx');
    expect(m.artifacts['connector-float32']!.files.map((f) => f.path)).toEqual(['connector-float32/connector.onnx', 'connector-float32/connector.onnx.data']);
    expect(events.map((e) => e.stage)).toEqual(expect.arrayContaining(['prepare:siglip-float32', 'prepare:internvideo2-float32', 'prepare:connector-float32', 'hash:siglip-float32']));

    const paths = visionGraphPaths(r, 'float32');
    const config = await loadApolloCheckpointConfig(modelDir);
    const source = await openCheckpointFolder(join(modelDir, config.paths.siglip));
    try {
      const direct = await writeVisionGraph(makeTempDir('vision-direct'), 'siglip', visionShapesOf(config), fetcherFromSource(source, 'SigLIP'), 'float32');
      expect(readFileSync(`${paths.siglip}.data`).equals(readFileSync(`${direct}.data`))).toBe(true);
    } finally {
      await source.close();
    }
    expect(() => visionGraphPaths(r, 'float16')).toThrow(/has no float16 SigLIP graph; run `apollo-chat prepare`/);
    expect((await prepareModel(modelDir, { precision: 'fp32', cacheDir, artifacts: visionGraphArtifacts(['float32']) })).reused).toBe(true);
  });

  it('resumes after the towers that finished, and a second preparer is refused while one runs', async () => {
    const cacheDir = join(dir, 'cache-resume');
    const controller = new AbortController();
    let second: Promise<unknown> | undefined;
    const interrupted = prepareModel(modelDir, {
      precision: 'fp32',
      cacheDir,
      artifacts: visionGraphArtifacts(['float32']),
      signal: controller.signal,
      onProgress: (e) => {
        // building: the folder's lock is held
        if (e.stage === 'prepare:siglip-float32') second ??= prepareModel(modelDir, { precision: 'fp32', cacheDir, artifacts: visionGraphArtifacts(['float32']) }).then(() => 'prepared', (error: unknown) => error);
        if (e.stage === 'prepare:internvideo2-float32') controller.abort(new ApolloError('CANCELLED'));
      },
    });
    await expect(interrupted).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await second).toMatchObject({ code: 'PREPARE_BUSY' });
    const r = await prepareModel(modelDir, { precision: 'fp32', cacheDir, artifacts: visionGraphArtifacts(['float32']) });
    expect(r.resumedArtifacts).toEqual(['siglip-float32']);
    expect(Object.keys(r.manifest.artifacts)).toEqual(['siglip-float32', 'internvideo2-float32', 'connector-float32']);
  });

  it('builds the int8 variant for int4, whose runner encodes a clip close to the float32 one', async () => {
    const cacheDir = join(dir, 'cache-int8');
    const r = await prepareModel(modelDir, { precision: 'int4', cacheDir, artifacts: visionGraphArtifacts(['float32', 'int8']) });
    expect(Object.keys(r.manifest.artifacts)).toEqual(['siglip-float32', 'internvideo2-float32', 'connector-float32', 'siglip-int8', 'internvideo2-int8']);
    // int8 graphs of version 1 (8-bit weights, wrong on AVX2-only CPUs) are never reused
    expect(r.manifest.builderVersion).toBe('prepare-1+siglip-float32-1+internvideo2-float32-1+connector-float32-1+siglip-int8-2+internvideo2-int8-2');
    expect(visionGraphPaths(r, 'int8').connector).toBe(visionGraphPaths(r, 'float32').connector);
    const int8Graph = readFileSync(visionGraphPaths(r, 'int8').internVideo);
    expect(int8Graph.includes(Buffer.from('DynamicQuantizeMatMul'))).toBe(true);
    // int8 matrices: the side file shrinks (to ~45% on the tiny model, whose float32 position table weighs as much as its matrices)
    const ratio = readFileSync(`${visionGraphPaths(r, 'int8').internVideo}.data`).length / readFileSync(`${visionGraphPaths(r, 'float32').internVideo}.data`).length;
    expect(ratio).toBeLessThan(0.55);
    const shapes = visionShapesOf(await loadApolloCheckpointConfig(modelDir));
    const sizes = visionSizes(shapes);
    const sigPixels = Float32Array.from({ length: sizes.siglipPixelsPerClip }, (_, i) => Math.sin(i * 0.37));
    const ivPixels = Float32Array.from({ length: sizes.internVideoPixelsPerClip }, (_, i) => Math.cos(i * 0.11));
    const embed = async (dtype: 'float32' | 'int8') => {
      const runner = await openVisionSessions(visionGraphPaths(r, dtype), shapes, { intraOpNumThreads: 1 });
      try {
        const F = shapes.fusion.frames;
        return await runner.connector(await runner.siglip(sigPixels, F), await runner.internVideo(ivPixels, 1), 1);
      } finally {
        await runner.release();
      }
    };
    const a = await embed('int8');
    const b = await embed('float32');
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < a.length; i++) {
      ab += a[i]! * b[i]!;
      aa += a[i]! * a[i]!;
      bb += b[i]! * b[i]!;
    }
    const cosine = ab / Math.sqrt(aa * bb);
    console.log(`tiny checkpoint clip embedding, int8 vs float32 graphs: cosine ${cosine}`);
    expect(cosine).toBeGreaterThan(0.99);
    expect(cosine).toBeLessThan(1);
  });
});
