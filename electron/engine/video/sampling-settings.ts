// Apollo's sampling settings: the Apollo-3B-t32 values by default, or those of a checkpoint's root
// config.json (clip_duration, model_max_length, mm_connector_cfg.num_output_tokens) as parsed by
// model/apollo-config.ts.
import { ApolloError } from '../../shared/errors.js';
import { loadApolloPlanningConfig, type ApolloPlanningConfig } from '../model/apollo-config.js';

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

/** Pure: the settings a checkpoint's parsed root config.json implies. */
export function samplingSettingsFromConfig(config: ApolloPlanningConfig, overrides: Partial<SamplingSettings> = {}): SamplingSettings {
  const modelMaxLength = config.model_max_length ?? config.llm_cfg?.model_max_length;
  if (modelMaxLength === undefined) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', "The model's config.json has no model_max_length (top level or llm_cfg); download the model again.");
  }
  const numOutputTokens = config.mm_connector_cfg.num_output_tokens;
  if (numOutputTokens === undefined) {
    throw new ApolloError('CHECKPOINT_CONFIG_INVALID', "The model's config.json has no mm_connector_cfg.num_output_tokens; download the model again.");
  }
  return validateSamplingSettings({
    clipDuration: config.clip_duration,
    framesPerClip: DEFAULT_SAMPLING_SETTINGS.framesPerClip,
    clipSamplingRatio: DEFAULT_SAMPLING_SETTINGS.clipSamplingRatio,
    modelMaxLength,
    numOutputTokens,
    ...overrides,
  });
}

/** The settings of the checkpoint in `modelDir` (its config.json), or the Apollo-3B-t32 ones without a model. */
export async function samplingSettingsFor(modelDir: string | undefined, overrides: Partial<SamplingSettings> = {}): Promise<SamplingSettings> {
  if (modelDir === undefined) return validateSamplingSettings({ ...DEFAULT_SAMPLING_SETTINGS, ...overrides });
  return samplingSettingsFromConfig(await loadApolloPlanningConfig(modelDir), overrides);
}

export function validateSamplingSettings(s: SamplingSettings): SamplingSettings {
  const ok = s.clipDuration > 0 && Number.isFinite(s.clipDuration) && Number.isInteger(s.framesPerClip) && s.framesPerClip > 0 && s.clipSamplingRatio > 0 && s.clipSamplingRatio <= 1 && Number.isInteger(s.modelMaxLength) && s.modelMaxLength > 0 && Number.isInteger(s.numOutputTokens) && s.numOutputTokens > 0;
  if (!ok) throw new ApolloError('INVALID_ARGUMENT', `Invalid sampling settings ${JSON.stringify(s)}: the clip sampling ratio must be in (0, 1] and the sizes positive.`);
  return s;
}
