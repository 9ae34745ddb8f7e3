// The app in web mode (the real `apollo-chat serve`, the real engine process) driven in Debian's
// Chromium: open a generated video, see its planned clips, seek from the filmstrip, ask, reload.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planApolloClips } from '../../electron/engine/video/apollo-clip-plan.js';
import { DEFAULT_SAMPLING_SETTINGS } from '../../electron/engine/video/sampling-settings.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { makeTempDir } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';


describe('web app in Chromium', () => {
  let browser: Browser;
  let serve: ServeProcess;
  let page: Page;
  let videoPath: string;

  beforeAll(async () => {
    const dir = makeTempDir('web-app');
    videoPath = join(dir, 'counting.mp4');
    // 10 s at 30 fps with a visible timestamp: the spec's worked example (5 clips of 0-1.5, 2-3.5, …).
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30:duration=10', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '30', videoPath]);
    serve = await startServe(['--data-dir', join(dir, 'data')]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
  });

  it('opens a dropped video and shows the planned clips', async () => {
    await page.goto(serve.url);
    await page.getByTestId('empty-state').waitFor();
    await page.getByTestId('file-input').setInputFiles(videoPath);
    await page.getByTestId('filmstrip').waitFor();
    const expected = planApolloClips({ frameCount: 300, fps: 30 }, DEFAULT_SAMPLING_SETTINGS);
    await expect.poll(() => page.getByTestId('clip').count(), { timeout: 30_000 }).toBe(expected.groupCount);
    expect(await page.getByTestId('video-name').textContent()).toBe('counting.mp4');
    const labels = await page.getByTestId('clip').allTextContents();
    expect(labels[1]).toBe('0:02–0:03');
    // Thumbnails load (the server renders them with ffmpeg).
    await expect
      .poll(() => page.evaluate(() => [...document.querySelectorAll('[data-testid=clip] img')].every((i) => (i as HTMLImageElement).naturalWidth > 0)), { timeout: 30_000 })
      .toBe(true);
    await page.screenshot({ path: screenshotPath('web-app-video-open'), fullPage: true });
  });

  it('seeks the player from the filmstrip and highlights the clip', async () => {
    await page.getByTestId('clip').nth(3).click();
    await expect.poll(() => page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).currentTime), { timeout: 15_000 }).toBeCloseTo(6, 1);
    expect(await page.getByTestId('clip').nth(3).getAttribute('data-active')).toBe('true');
  });

  it('serves the video with Range so the player can seek', async () => {
    const status = await page.evaluate(async () => {
      const src = (document.querySelector('[data-testid=player]') as HTMLVideoElement).src;
      const r = await fetch(src, { headers: { range: 'bytes=0-99' } });
      return { status: r.status, length: (await r.arrayBuffer()).byteLength, range: r.headers.get('content-range') };
    });
    expect(status.status).toBe(206);
    expect(status.length).toBe(100);
    expect(status.range).toMatch(/^bytes 0-99\/\d+$/);
  });

  it('keeps the chat across a reload', async () => {
    await page.getByTestId('composer').fill('What happens at the start?');
    await page.getByTestId('send').click();
    // Without a model the turn ends with an actionable error; it is still part of the chat.
    await page.locator('[data-testid=turn][data-status=error]').waitFor();
    expect(await page.locator('[data-testid=turn]').first().textContent()).toMatch(/No model is installed yet/);
    await page.reload();
    await page.getByTestId('filmstrip').waitFor();
    await page.locator('[data-testid=question]').first().waitFor();
    expect(await page.getByTestId('question').first().textContent()).toBe('What happens at the start?');
  });

  it('rejects a file that is not a video with a sentence the user can act on', async () => {
    const dir = makeTempDir('not-video');
    const path = join(dir, 'notes.mp4');
    execFileSync('sh', ['-c', `head -c 4096 /dev/urandom > ${path}`]);
    await page.getByTestId('file-input').setInputFiles(path);
    await page.getByTestId('video-error').waitFor();
    const message = await page.getByTestId('video-error').textContent();
    // Names the file as the user knows it, says what to do, and never shows a server path.
    expect(message).toMatch(/^notes\.mp4 /);
    expect(message).toMatch(/again|choose/);
    expect(message).not.toContain('/tmp/');
    await page.screenshot({ path: screenshotPath('web-app-bad-file'), fullPage: true });
  });
});
