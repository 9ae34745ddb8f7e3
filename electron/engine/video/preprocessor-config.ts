// Per-tower preprocessing settings (spec section 4): the Apollo-3B defaults, or those of a
// checkpoint's tower configs (SigLIP's preprocessor_config.json, InternVideo2's config.json) as
// parsed by model/apollo-config.ts.
import { join } from 'node:path';
import { ApolloError } from '../../shared/errors.js';
import type { ApolloCheckpointConfig, InternVideo2Config, SiglipPreprocessorConfig } from '../model/apollo-config.js';

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

function unsupported(file: string, why: string): ApolloError {
  return new ApolloError('CHECKPOINT_CONFIG_INVALID', `${file} has ${why}, which Apollo Desktop does not support; download the model again.`, { details: { file, reason: why } });
}

/** Pure: SigLIP's settings from its parsed preprocessor_config.json (refusing what the port does not implement). */
export function siglipPreprocessingFromConfig(config: SiglipPreprocessorConfig, file = 'preprocessor_config.json'): TowerPreprocessing {
  if (config.resample !== PIL_BICUBIC) throw unsupported(file, `resample ${config.resample} (only ${PIL_BICUBIC}, bicubic, is implemented)`);
  for (const key of ['do_resize', 'do_rescale', 'do_normalize'] as const) if (!config[key]) throw unsupported(file, `${key} false`);
  const [height, width] = typeof config.size === 'number' ? [config.size, config.size] : [config.size.height, config.size.width];
  return { width, height, rescaleFactor: config.rescale_factor, mean: config.image_mean, std: config.image_std, resample: 'pil-bicubic' };
}

/** Pure: InternVideo2's settings from its parsed config.json (img_size; ImageNet mean/std from the reference code). */
export function internVideoPreprocessingFromConfig(config: Pick<InternVideo2Config, 'img_size'>): TowerPreprocessing {
  return { ...DEFAULT_PREPROCESSOR_CONFIG.internVideo, width: config.img_size, height: config.img_size };
}

/** Both towers' settings from a checkpoint's parsed configs (model/apollo-config.ts), wherever its tower folders are. */
export function preprocessorConfigOf(config: Pick<ApolloCheckpointConfig, 'dir' | 'paths' | 'siglipPreprocessor' | 'internvideo2'>): PreprocessorConfig {
  return {
    siglip: siglipPreprocessingFromConfig(config.siglipPreprocessor, join(config.dir, config.paths.siglip, 'preprocessor_config.json')),
    internVideo: internVideoPreprocessingFromConfig(config.internvideo2),
  };
}
