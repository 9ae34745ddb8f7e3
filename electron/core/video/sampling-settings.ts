// Apollo's sampling settings: the Apollo-3B-t32 values by default, or read from a checkpoint's root
// config.json (clip_duration, model_max_length, mm_connector_cfg.num_output_tokens).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';

export interface SamplingSettings {
  /** Seconds per clip (config `clip_duration`). */
  clipDuration: number;
  /** Frames per clip: hard-coded to 4 in the reference README, not stored in the config. */
  framesPerClip: number;
  /** The user's share of the context spent on video (reference default 0.65). */
  clipSamplingRatio: number;
  /** Context budget in tokens (top-level `model_max_length`, else `llm_cfg.model_max_length`). */
  modelMaxLength: number;
  /** Tokens per clip after the connector (`mm_connector_cfg.num_output_tokens`). */
  numOutputTokens: number;
}

/** Apollo-3B-t32 (root config.json and the reference README). */
export const DEFAULT_SAMPLING_SETTINGS: Readonly<SamplingSettings> = Object.freeze({
  clipDuration: 2,
  framesPerClip: 4,
  clipSamplingRatio: 0.65,
  modelMaxLength: 16384,
  numOutputTokens: 128,
});

const positiveInt = z.number().int().positive();
const rootConfigSchema = z.object({
  clip_duration: z.number().positive(),
  model_max_length: positiveInt.optional(),
  llm_cfg: z.object({ model_max_length: positiveInt.optional() }).passthrough().optional(),
  mm_connector_cfg: z.object({ num_output_tokens: positiveInt }).passthrough(),
});

/** Pure: the settings a checkpoint's root config.json implies. */
export function samplingSettingsFromConfig(config: unknown, overrides: Partial<SamplingSettings> = {}): SamplingSettings {
  const parsed = rootConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `The model's config.json is missing or has an invalid ${issue?.path.join('.') || 'value'}; download the model again.`, { details: { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) } });
  }
  const c = parsed.data;
  const modelMaxLength = c.model_max_length ?? c.llm_cfg?.model_max_length;
  if (modelMaxLength === undefined) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', "The model's config.json has no model_max_length (top level or llm_cfg); download the model again.");
  }
  return validateSamplingSettings({
    clipDuration: c.clip_duration,
    framesPerClip: DEFAULT_SAMPLING_SETTINGS.framesPerClip,
    clipSamplingRatio: DEFAULT_SAMPLING_SETTINGS.clipSamplingRatio,
    modelMaxLength,
    numOutputTokens: c.mm_connector_cfg.num_output_tokens,
    ...overrides,
  });
}

/** Reads `DIR/config.json` of an Apollo checkpoint. */
export async function loadSamplingSettings(modelDir: string, overrides: Partial<SamplingSettings> = {}): Promise<SamplingSettings> {
  const path = join(modelDir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} does not exist; pass the folder of an Apollo checkpoint (the one holding config.json) to --model.`, { cause: error });
    throw new ApolloError('FILE_UNREADABLE', `${path} cannot be read; check its permissions.`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', `${path} is not valid JSON; download the model again.`, { cause: error });
  }
  return samplingSettingsFromConfig(json, overrides);
}

export function validateSamplingSettings(s: SamplingSettings): SamplingSettings {
  const ok = s.clipDuration > 0 && Number.isFinite(s.clipDuration) && Number.isInteger(s.framesPerClip) && s.framesPerClip > 0 && s.clipSamplingRatio > 0 && s.clipSamplingRatio <= 1 && Number.isInteger(s.modelMaxLength) && s.modelMaxLength > 0 && Number.isInteger(s.numOutputTokens) && s.numOutputTokens > 0;
  if (!ok) throw new ApolloError('INVALID_ARGUMENT', `Invalid sampling settings ${JSON.stringify(s)}: the clip sampling ratio must be in (0, 1] and the sizes positive.`);
  return s;
}
