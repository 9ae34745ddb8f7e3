import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApolloError } from '../../electron/shared/errors.js';
import { loadApolloCheckpointConfig, parseConfigText, siglipPreprocessorConfigSchema } from '../../electron/engine/model/apollo-config.js';
import {
  DEFAULT_PREPROCESSOR_CONFIG,
  internVideoPreprocessingFromConfig,
  padFillColour,
  preprocessorConfigOf,
  siglipPreprocessingFromConfig,
} from '../../electron/engine/video/preprocessor-config.js';
import { squarePlacement } from '../../electron/engine/video/preprocess.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python-oracle.js';

// google/siglip-so400m-patch14-384's preprocessor_config.json (the spec: Apollo's file matches it).
const STOCK_SIGLIP = {
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_processor_type: 'SiglipImageProcessor',
  image_std: [0.5, 0.5, 0.5],
  processor_class: 'SiglipProcessor',
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { height: 384, width: 384 },
};

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'checkpoint-configs');

/** The 3B checkpoint's configs in a temp folder, with its SigLIP folder renamed (no reader may assume its name). */
function checkpointWith(siglipFolder: string, edit: (dir: string, siglipDir: string) => void = () => {}): string {
  const dir = makeTempDir('preproc');
  cpSync(join(FIXTURES, 'apollo-3b'), dir, { recursive: true });
  const towerConfig = join(dir, 'vision_tower', 'config.json');
  const tower = JSON.parse(readFileSync(towerConfig, 'utf8')) as { vision_towers: string[] };
  cpSync(join(dir, 'vision_tower', 'siglip-so400m-patch14-384'), join(dir, 'vision_tower', siglipFolder), { recursive: true });
  rmSync(join(dir, 'vision_tower', 'siglip-so400m-patch14-384'), { recursive: true });
  tower.vision_towers = tower.vision_towers.map((n) => (n === 'siglip-so400m-patch14-384' ? siglipFolder : n));
  writeFileSync(towerConfig, JSON.stringify(tower));
  edit(dir, join(dir, 'vision_tower', siglipFolder));
  return dir;
}

/** A SigLIP preprocessor_config.json as model/apollo-config.ts parses it. */
const parsedSiglip = (json: unknown) => parseConfigText(siglipPreprocessorConfigSchema, JSON.stringify(json), 'preprocessor_config.json');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ApolloError ? error.code : 'not an ApolloError';
  }
  return undefined;
}

describe('preprocessor config', () => {
  it('pad colours are floor(mean × 255), as Python int(m * 255) computes them', () => {
    const { siglip, internVideo } = DEFAULT_PREPROCESSOR_CONFIG;
    const expected = JSON.parse(
      runPython(`import json; print(json.dumps([[int(m * 255) for m in ${JSON.stringify(siglip.mean)}], [int(m * 255) for m in ${JSON.stringify(internVideo.mean)}]]))`).toString(),
    ) as number[][];
    expect(padFillColour(siglip.mean)).toEqual(expected[0]);
    expect(padFillColour(internVideo.mean)).toEqual(expected[1]);
    // The spec states these two colours; they must follow from the means above.
    expect(expected).toEqual([[127, 127, 127], [123, 116, 103]]);
  });

  it.each([
    [1920, 1080, 1920, 0, 420],
    [1080, 1920, 1920, 420, 0],
    [3, 2, 3, 0, 0],
    [2, 5, 5, 1, 0],
    [1, 1, 1, 0, 0],
  ])('square placement of %i×%i: side %i, left %i, top %i', (w, h, side, left, top) => {
    const p = squarePlacement(w, h, [1, 2, 3]);
    expect([p.canvasWidth, p.canvasHeight, p.left, p.top, Array.from(p.fill)]).toEqual([side, side, left, top, [1, 2, 3]]);
  });

  it('reads the stock SigLIP file and InternVideo2 img_size into the 3B defaults, wherever the SigLIP folder is', async () => {
    const dir = checkpointWith('siglip-renamed', (_dir, siglipDir) => writeFileSync(join(siglipDir, 'preprocessor_config.json'), JSON.stringify(STOCK_SIGLIP)));
    const config = preprocessorConfigOf(await loadApolloCheckpointConfig(dir));
    expect(config.siglip).toEqual({ ...DEFAULT_PREPROCESSOR_CONFIG.siglip, rescaleFactor: STOCK_SIGLIP.rescale_factor });
    expect(config.internVideo).toEqual(DEFAULT_PREPROCESSOR_CONFIG.internVideo);
  });

  it.each(['apollo-1.5b', 'apollo-3b', 'apollo-7b'])('reads the %s checkpoint configs (test/fixtures) into the defaults', async (name) => {
    const config = preprocessorConfigOf(await loadApolloCheckpointConfig(join(FIXTURES, name)));
    expect(config).toEqual(DEFAULT_PREPROCESSOR_CONFIG);
  });

  it('takes sizes, means and stds from the files', () => {
    const s = siglipPreprocessingFromConfig(parsedSiglip({ ...STOCK_SIGLIP, size: 448, image_mean: [0.4, 0.5, 0.6], image_std: [0.2, 0.3, 0.4] }));
    expect([s.width, s.height, s.mean, s.std]).toEqual([448, 448, [0.4, 0.5, 0.6], [0.2, 0.3, 0.4]]);
    const s2 = siglipPreprocessingFromConfig(parsedSiglip({ ...STOCK_SIGLIP, size: { height: 256, width: 320 } }));
    expect([s2.width, s2.height]).toEqual([320, 256]);
    expect(internVideoPreprocessingFromConfig({ img_size: 336 })).toMatchObject({ width: 336, height: 336, resample: 'cv2-linear' });
  });

  it.each([
    ['a resampler other than bicubic', { ...STOCK_SIGLIP, resample: 2 }],
    ['a mean of two channels', { ...STOCK_SIGLIP, image_mean: [0.5, 0.5] }],
    ['a zero std', { ...STOCK_SIGLIP, image_std: [0.5, 0, 0.5] }],
    ['normalisation switched off', { ...STOCK_SIGLIP, do_normalize: false }],
    ['a fractional size', { ...STOCK_SIGLIP, size: 383.5 }],
  ])('rejects a SigLIP file with %s', (_label, config) => {
    expect(codeOf(() => siglipPreprocessingFromConfig(parsedSiglip(config)))).toBe('CHECKPOINT_CONFIG_INVALID');
  });

  it('takes a missing mean and std from SiglipImageProcessor (0.5 each)', () => {
    const { image_mean: _mean, image_std: _std, ...rest } = STOCK_SIGLIP;
    expect(siglipPreprocessingFromConfig(parsedSiglip(rest))).toMatchObject({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  it('rejects missing files, broken JSON and a missing img_size with CHECKPOINT_CONFIG_INVALID', async () => {
    await expect(loadApolloCheckpointConfig(checkpointWith('siglip', (_dir, siglipDir) => rmSync(join(siglipDir, 'preprocessor_config.json'))))).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID' });
    await expect(loadApolloCheckpointConfig(checkpointWith('siglip', (_dir, siglipDir) => writeFileSync(join(siglipDir, 'preprocessor_config.json'), '{not json')))).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID' });
    const noImgSize = checkpointWith('siglip', (dir) => {
      const path = join(dir, 'vision_tower', 'internvideo2', 'config.json');
      const { img_size: _size, ...rest } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      writeFileSync(path, JSON.stringify(rest));
    });
    await expect(loadApolloCheckpointConfig(noImgSize)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFIG_INVALID', message: expect.stringContaining('img_size') });
  });
});
