// Per-tower preprocessing settings (spec section 4): the Apollo-3B defaults, or read from a
// checkpoint's tower folders (SigLIP's preprocessor_config.json, InternVideo2's config.json).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';

export type Rgb = readonly [number, number, number];

export interface TowerPreprocessing {
  /** Output width and height in pixels after the resize. */
  width: number;
  height: number;
  /** Multiplies the uint8 value (1/255). */
  rescaleFactor: number;
  mean: Rgb;
  std: Rgb;
  /** How the padded square is resized: PIL's bicubic (SigLIP) or OpenCV's INTER_LINEAR (InternVideo2). */
  resample: 'pil-bicubic' | 'cv2-linear';
}

export interface PreprocessorConfig {
  siglip: TowerPreprocessing;
  internVideo: TowerPreprocessing;
}

// InternVideo2's transform is built in the reference code (HF-VT InternVideoTower), not read from a file.
const IMAGENET_MEAN: Rgb = [0.485, 0.456, 0.406];
const IMAGENET_STD: Rgb = [0.229, 0.224, 0.225];

/** Apollo-3B: stock google/siglip-so400m-patch14-384 settings and InternVideo2's img_size 224. */
const SIGLIP_DEFAULT: TowerPreprocessing = { width: 384, height: 384, rescaleFactor: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: 'pil-bicubic' };
const INTERNVIDEO_DEFAULT: TowerPreprocessing = { width: 224, height: 224, rescaleFactor: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD, resample: 'cv2-linear' };
export const DEFAULT_PREPROCESSOR_CONFIG: Readonly<PreprocessorConfig> = Object.freeze({ siglip: Object.freeze(SIGLIP_DEFAULT), internVideo: Object.freeze(INTERNVIDEO_DEFAULT) });

/** The pad colour of a tower: floor(mean × 255) per channel, as the reference's pad_to_center_square. */
export function padFillColour(mean: Rgb): Rgb {
  return [Math.floor(mean[0] * 255), Math.floor(mean[1] * 255), Math.floor(mean[2] * 255)];
}

const PIL_BICUBIC = 3;
const positiveInt = z.number().int().positive().max(8192);
const triple = z.tuple([z.number(), z.number(), z.number()]);
const siglipSchema = z.object({
  size: z.union([positiveInt, z.object({ height: positiveInt, width: positiveInt })]),
  resample: z.literal(PIL_BICUBIC).optional(),
  rescale_factor: z.number().positive(),
  image_mean: triple,
  image_std: triple.refine((s) => s.every((v) => v > 0), 'every std must be positive'),
  do_resize: z.literal(true).optional(),
  do_rescale: z.literal(true).optional(),
  do_normalize: z.literal(true).optional(),
});
const internVideoSchema = z.object({ img_size: positiveInt });

function invalid(path: string, error: z.ZodError): ApolloError {
  const issue = error.issues[0];
  return new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} has a missing or unsupported ${issue?.path.join('.') || 'value'}; download the model again.`, {
    details: { path, issues: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
  });
}

/** Pure: SigLIP's settings from its preprocessor_config.json contents. */
export function siglipPreprocessingFromConfig(config: unknown, path = 'preprocessor_config.json'): TowerPreprocessing {
  const parsed = siglipSchema.safeParse(config);
  if (!parsed.success) throw invalid(path, parsed.error);
  const c = parsed.data;
  const [height, width] = typeof c.size === 'number' ? [c.size, c.size] : [c.size.height, c.size.width];
  return { width, height, rescaleFactor: c.rescale_factor, mean: c.image_mean, std: c.image_std, resample: 'pil-bicubic' };
}

/** Pure: InternVideo2's settings from its config.json contents (img_size; ImageNet mean/std from the reference code). */
export function internVideoPreprocessingFromConfig(config: unknown, path = 'config.json'): TowerPreprocessing {
  const parsed = internVideoSchema.safeParse(config);
  if (!parsed.success) throw invalid(path, parsed.error);
  const size = parsed.data.img_size;
  return { ...DEFAULT_PREPROCESSOR_CONFIG.internVideo, width: size, height: size };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} does not exist; pass the folder of a complete Apollo checkpoint to --model, or download the model again.`, { cause: error });
    }
    throw new ApolloError('FILE_UNREADABLE', `${path} cannot be read; check its permissions.`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} is not valid JSON; download the model again.`, { cause: error });
  }
}

/** Reads both towers' settings from an Apollo checkpoint folder (the one holding vision_tower/). */
export async function loadPreprocessorConfig(modelDir: string): Promise<PreprocessorConfig> {
  const siglipPath = join(modelDir, 'vision_tower', 'siglip-so400m-patch14-384', 'preprocessor_config.json');
  const internVideoPath = join(modelDir, 'vision_tower', 'internvideo2', 'config.json');
  return {
    siglip: siglipPreprocessingFromConfig(await readJson(siglipPath), siglipPath),
    internVideo: internVideoPreprocessingFromConfig(await readJson(internVideoPath), internVideoPath),
  };
}
