// First run in web mode, as a new user meets it: no model → open the model manager → download
// the recommended-size model from a Hub stand-in (pause and resume on the way) → it is verified,
// prepared and put in use → drop a video → ask → an answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { repoFromFolder, startFakeHub, type FakeHubServer } from '../helpers/fake-hub-server.js';
import { cliBin, makeTempDir, repoRoot } from '../helpers/paths.js';

const REPO = 'GoodiesHere/Apollo-LMMs-Apollo-1_5B-t32';

describe('first run: download a model in the app, then chat', () => {
  let hub: FakeHubServer;
  let browser: Browser;
  let serve: ChildProcess;
  let url: string;
  let page: Page;
  let videoPath: string;

  beforeAll(async () => {
    const dir = makeTempDir('web-models');
    await makeTinyCheckpoint(join(dir, 'tiny'), { seed: 11 });
    hub = await startFakeHub([repoFromFolder(REPO, join(dir, 'tiny'), 5)]);
    // Slow enough (~8 s for the tiny model) to pause and resume by hand.
    hub.faults = { throttleBytesPerSecond: 6_000_000 };
    videoPath = join(dir, 'walk.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
    const env: NodeJS.ProcessEnv = { ...process.env, HF_ENDPOINT: hub.hubUrl, HF_HOME: join(dir, 'hf'), APOLLO_CACHE_DIR: join(dir, 'cache'), APOLLO_DEVICE: 'cpu' };
    delete env.HF_HUB_CACHE;
    delete env.HF_HUB_OFFLINE;
    serve = spawn(process.execPath, [cliBin, 'serve', '--json', '--no-progress', '--data-dir', join(dir, 'data')], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        try {
          resolve((JSON.parse(out) as { url: string }).url);
        } catch {
          // wait for the whole document
        }
      });
      serve.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  });
  afterAll(async () => {
    await browser?.close();
    serve?.kill('SIGTERM');
    await hub?.stop();
  });

  it('says that no model is installed and opens the model manager from there', async () => {
    await page.goto(url);
    await page.getByTestId('no-model-notice').waitFor();
    await page.getByTestId('choose-model').click();
    await page.getByTestId('models-dialog').waitFor();
    await expect.poll(() => page.getByTestId('catalog-model').count(), { timeout: 15_000 }).toBe(3);
    expect(await page.getByTestId('installed-model').count()).toBe(0);
  });

  it('downloads with progress, pauses, resumes, verifies, prepares and puts the model in use', async () => {
    const row = page.locator('[data-testid=catalog-model][data-name="apollo-1.5b"]');
    await row.getByRole('button', { name: 'Download' }).click();
    await row.locator('[data-testid=download][data-state=downloading]').waitFor({ timeout: 30_000 });
    // Pause in the middle of the big files, so that resuming has partial blobs to continue.
    const done = () => page.evaluate(async () => ((await (await fetch('api/models', { headers: { authorization: `Bearer ${new URLSearchParams(location.search).get('token')}` } })).json()) as { downloads: Array<{ doneBytes: number }> }).downloads[0]?.doneBytes ?? 0);
    await expect.poll(done, { timeout: 30_000, interval: 200 }).toBeGreaterThan(10_000_000);
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.locator('[data-testid=download][data-state=paused]').waitFor({ timeout: 15_000 });
    const pausedAt = hub.requests.length;
    await page.waitForTimeout(1500);
    // Paused means no new requests to the hub.
    expect(hub.requests.length - pausedAt).toBeLessThanOrEqual(1);
    await page.screenshot({ path: screenshotPath('web-models-paused'), fullPage: true });
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.locator('[data-testid=download][data-state=done]').waitFor({ timeout: 180_000 });
    await expect.poll(() => page.getByTestId('installed-model').count(), { timeout: 15_000 }).toBe(1);
    const installed = await page.getByTestId('installed-model').textContent();
    expect(installed).toContain(REPO);
    expect(installed).toContain('verified');
    expect(installed).toContain('prepared (int4)');
    expect(installed).toContain('In use');
    // Resumed transfers ask for the rest with Range.
    expect(hub.requests.some((r) => r.range !== undefined)).toBe(true);
    await page.screenshot({ path: screenshotPath('web-models-installed'), fullPage: true });
  });

  it('answers questions with the downloaded model', async () => {
    await page.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => page.getByTestId('no-model-notice').count(), { timeout: 10_000 }).toBe(0);
    await page.getByTestId('file-input').setInputFiles(videoPath);
    await page.getByTestId('filmstrip').waitFor({ timeout: 30_000 });
    await page.getByTestId('composer').fill('What do you see?');
    await page.getByTestId('send').click();
    await page.locator('[data-testid=turn][data-status=done]').waitFor({ timeout: 180_000 });
    expect((await page.getByTestId('answer').first().textContent())?.length).toBeGreaterThan(0);
    expect(await page.getByTestId('device-badge').textContent()).toMatch(/CPU · int4/);
  });
});
