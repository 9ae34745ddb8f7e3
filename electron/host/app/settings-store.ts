// User settings, validated on load and on every change; an invalid file falls back to defaults.
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_SETTINGS, type AppSettings } from '../../shared/app-api.js';
import { ApolloError } from '../../shared/errors.js';
import { isModelSpec } from '../../shared/model-spec.js';
import { readJsonValidated, writeJsonAtomic } from '../../common/persist/atomic-file.js';

export const settingsSchema = z.object({
  device: z.enum(['auto', 'cuda', 'webgpu', 'dml', 'cpu']),
  precision: z.enum(['fp32', 'fp16', 'int4']),
  temperature: z.number().min(0).max(2),
  topP: z.number().gt(0).max(1),
  maxNewTokens: z.number().int().min(1).max(4096),
  clipSamplingRatio: z.number().gt(0).max(1),
  cacheSizeGiB: z.number().min(0.1).max(1024),
  // The model chosen in the app: a catalog name or repository id, never a path (model-spec.ts).
  model: z.string().min(1).max(1000).refine(isModelSpec, 'must be a catalog name or a repository id owner/name').optional(),
});

export const settingsPatchSchema = settingsSchema.partial().strict();

export class SettingsStore {
  private current: AppSettings = { ...DEFAULT_SETTINGS };

  constructor(private readonly dataDir: string) {}

  private get path(): string {
    return join(this.dataDir, 'settings.json');
  }

  async load(): Promise<AppSettings> {
    const r = await readJsonValidated(this.path, settingsSchema.partial());
    this.current = { ...DEFAULT_SETTINGS, ...(r.ok ? r.value : {}) };
    return this.current;
  }

  get(): AppSettings {
    return this.current;
  }

  async update(patch: unknown): Promise<AppSettings> {
    const parsed = settingsPatchSchema.safeParse(patch);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApolloError('INVALID_ARGUMENT', `That setting is not valid: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'invalid'}.`);
    }
    this.current = { ...this.current, ...parsed.data };
    await writeJsonAtomic(this.path, this.current);
    return this.current;
  }
}
