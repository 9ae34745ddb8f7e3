import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: heavy tests (ffmpeg, onnxruntime, Chromium) must not all run at once.
    maxWorkers: 2,
    // Tests that load onnxruntime in-process must not write its telemetry store into the developer's
    // HOME (the app sets this itself: electron/common/platform/onnxruntime-privacy.ts).
    env: { ORT_DISABLE_TELEMETRY: '1' },
  },
});
