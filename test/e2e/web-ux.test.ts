// Issue 15 as a user meets it, in Chromium against the real `apollo-chat serve --demo` (the tiny
// checkpoint, the real engine process): every control does what it says, answers read as Markdown
// with their time links, Regenerate and Edit keep versions that the next question continues
// from, the player's keys, the narrow layout, and a status that stays true across reloads and a
// server restart. Screenshots of light, dark and narrow layouts are written to test-results/.
import { copyFileSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoAssets } from '../../electron/cli/demo-assets.js';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { writeJsonAtomic } from '../../electron/common/persist/atomic-file.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { makeTempDir } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const SEEDED_ANSWER = [
  '**The clock** starts at `0:00` and counts up:',
  '',
  '- the hand passes the top at 0:05',
  '- it turns between 0:10 and 0:14',
  '- at 0m12s it is half way',
  '',
  '```js',
  'const seconds = 24;',
  '```',
  '',
  `See https://example.com/${'very-long-path-segment-'.repeat(12)}end and <b>raw</b> markup; ${'x'.repeat(300)}.`,
  '',
  'The goal at 01:02:03 is not in this video.',
].join('\n');

interface ChatJson {
  turns: Array<{ id: string; question: string; status: string; answer: string; versions?: unknown[]; versionIndex?: number; timings?: { prefillTokens?: number } }>;
}

const turns = (page: Page) => page.locator('[data-testid=turn]');
const currentTime = (page: Page) => page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).currentTime);

async function api<T>(page: Page, path: string, init?: { method: string; body?: unknown }): Promise<T> {
  return page.evaluate(
    async ({ path, init }) => {
      // The page's own calls send the token from its address as a Bearer header (no cookie).
      const authorization = `Bearer ${new URLSearchParams(location.search).get('token')}`;
      const r = await fetch(path, init ? { method: init.method, headers: { 'content-type': 'application/json', authorization }, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) } : { headers: { authorization } });
      const type = r.headers.get('content-type') ?? '';
      return (type.includes('json') ? r.json() : r.text()) as Promise<T>;
    },
    { path, init },
  );
}

async function openVideoId(page: Page): Promise<string> {
  const videos = await api<Array<{ id: string; name: string }>>(page, 'api/videos');
  const name = await page.getByTestId('video-name').textContent();
  return videos.find((v) => v.name === name)!.id;
}

const chatJson = async (page: Page) => api<ChatJson>(page, `api/videos/${await openVideoId(page)}/chat`);

function makeVideo(path: string, frames: number, size = '320x180'): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=24`, '-frames:v', String(frames), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '24', path]);
}

describe('issue 15 in Chromium on the demo model', () => {
  let browser: Browser;
  let context: BrowserContext;
  let serve: ServeProcess;
  let page: Page;
  let dir: string;
  let demoVideo: string;
  let port: number;
  const env = () => ({ ...process.env, APOLLO_CACHE_DIR: join(dir, 'cache') });

  beforeAll(async () => {
    dir = makeTempDir('web-ux');
    const demo = await ensureDemoAssets(undefined, join(dir, 'cache', 'demo'));
    demoVideo = demo.videoPath;
    const key = await videoFingerprint(demo.videoPath);
    await writeJsonAtomic(join(dir, 'data', 'chats', `${key}.json`), {
      videoId: 'old',
      videoName: 'sample-clock.mp4',
      turns: [{ id: 'seeded', question: 'Describe the clock.', answer: SEEDED_ANSWER, status: 'done', createdAt: new Date().toISOString() }],
    });
    serve = await startServe(['--demo', '--data-dir', join(dir, 'data')], env());
    port = Number(new URL(serve.origin).port);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serve.origin });
    page = await context.newPage();
    await page.goto(serve.url);
    await page.getByTestId('filmstrip').waitFor({ timeout: 60_000 });
    await page.locator('[data-clip="11"]').waitFor({ timeout: 30_000 });
    await api(page, 'api/settings', { method: 'PUT', body: { maxNewTokens: 8 } });
  });
  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
  });

  it('saves the settings with their own defaults, and a value between steps (item 1)', async () => {
    await page.getByTestId('open-settings').click();
    await page.getByTestId('settings-save').click();
    // The dialog closes: the browser did not refuse the default cache size (10) as off-step.
    await expect.poll(() => page.locator('dialog[open]').count(), { timeout: 20_000 }).toBe(0);
    // Saving sends only what was changed in the dialog: the answer length set through the API after
    // this page loaded stays (the dialog once saved the page's stale copy of every setting).
    expect((await api<{ maxNewTokens: number }>(page, 'api/settings')).maxNewTokens).toBe(8);
    await page.getByTestId('open-settings').click();
    await expect.poll(() => page.getByTestId('setting-max-new-tokens').inputValue()).toBe('8');
    await page.getByTestId('setting-cache-size').fill('2.5');
    await page.getByTestId('settings-save').click();
    await expect.poll(() => page.locator('dialog[open]').count(), { timeout: 20_000 }).toBe(0);
    expect((await api<{ cacheSizeGiB: number }>(page, 'api/settings')).cacheSizeGiB).toBe(2.5);
  });

  it('renders an answer as Markdown with its time links, code copy and wrapping (Deliver 2, item 7)', async () => {
    const answer = turns(page).first().getByTestId('answer');
    await answer.locator('strong').first().waitFor();
    expect(await answer.locator('strong').first().textContent()).toBe('The clock');
    expect(await answer.locator('li').count()).toBe(3);
    const text = (await answer.textContent()) ?? '';
    expect(text).not.toContain('**');
    expect(text).not.toContain('```');
    // Raw HTML is shown as text, never rendered.
    expect(await answer.locator('b').count()).toBe(0);
    expect(text).toContain('<b>raw</b>');
    // URLs are links that leave the app; times are links inside the rendered text; code is not scanned.
    expect(await answer.getByTestId('answer-link').getAttribute('href')).toMatch(/^https:\/\/example\.com\//);
    expect(await answer.getByTestId('answer-link').getAttribute('rel')).toContain('noopener');
    expect(await answer.getByTestId('time-link').allTextContents()).toEqual(['0:05', 'between 0:10 and 0:14', '0m12s']);
    // 01:02:03 is past the end of a 24-s video: plain text, not a link to the end.
    expect(await answer.getByTestId('time-out-of-range').allTextContents()).toEqual(['01:02:03']);
    // Long words and URLs wrap inside the bubble: the chat never scrolls sideways.
    const list = page.getByTestId('turns');
    expect(await list.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(1);
    // Copy on the code block copies the code alone.
    await answer.getByTestId('copy-code').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('const seconds = 24;');
    // A compact time ("0m12s") seeks to 12 s, not to 12 of "12s" elsewhere.
    await answer.getByTestId('time-link').nth(2).click();
    await expect.poll(() => currentTime(page), { timeout: 15_000 }).toBeCloseTo(12, 1);
    // A range seeks to its start and highlights every clip it covers (10–14 s: clips 5, 6 and 7).
    await answer.getByTestId('time-link').nth(1).click();
    await expect.poll(() => currentTime(page), { timeout: 15_000 }).toBeCloseTo(10, 1);
    const active = await page.getByTestId('clip').evaluateAll((els) => els.map((e, i) => (e.getAttribute('data-active') === 'true' ? i : -1)).filter((i) => i >= 0));
    expect(active).toEqual([5, 6, 7]);
    // Cited moments (Deliver 5): each time snapped to its clip, shown under the answer; a click seeks.
    const cited = turns(page).first().getByTestId('cited-clip');
    expect(await cited.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-clip'))))).toEqual([2, 5, 6, 7]);
    await cited.first().click();
    await expect.poll(() => currentTime(page), { timeout: 15_000 }).toBeCloseTo(5, 1);
    // The seek bar of sampled clips: one mark per clip; a click at its middle seeks to the middle.
    expect(await page.getByTestId('clip-mark').count()).toBe(12);
    const track = (await page.getByTestId('clip-track').boundingBox())!;
    await page.getByTestId('clip-track').click({ position: { x: track.width / 2, y: track.height / 2 } });
    await expect.poll(() => currentTime(page), { timeout: 15_000 }).toBeCloseTo(12, 0);
    expect(await page.getByTestId('clip-mark').nth(6).getAttribute('data-active')).toBe('true');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: screenshotPath('web-ux-light'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: screenshotPath('web-ux-dark'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('keeps a question sent while the chat is still loading, and answers it (item 2)', async () => {
    // The chat arrives 2 s after the page: the question is typed before it.
    await page.route('**/api/videos/*/chat', async (route) => {
      await new Promise((r) => setTimeout(r, 2000));
      await route.continue().catch(() => {});
    });
    await page.reload();
    await page.getByTestId('composer').waitFor();
    await page.getByTestId('composer').fill('What time does the clock show?');
    await page.getByTestId('composer').press('Enter');
    await page.unroute('**/api/videos/*/chat');
    await expect.poll(() => turns(page).count(), { timeout: 15_000 }).toBe(2);
    expect(await page.getByTestId('question').nth(1).textContent()).toBe('What time does the clock show?');
    expect(await page.getByTestId('composer').inputValue()).toBe('');
    await page.locator('[data-testid=turn]:nth-child(2)[data-status=done]').waitFor({ timeout: 180_000 });
  });

  it('shows the device, the model and the connection right after a reload (items 4, 9)', async () => {
    await page.reload();
    await page.getByTestId('device-badge').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('device-badge').textContent()).toMatch(/^CPU · /);
    expect(await page.getByTestId('model-in-use').textContent()).toContain('demo model');
    expect(await page.getByTestId('status-bar').getAttribute('data-status')).toBe('ready');
    await expect.poll(() => turns(page).count(), { timeout: 15_000 }).toBe(2);
  });

  it('keeps the earlier answer as a version on Regenerate; the next question continues from the version shown (Deliver 3)', async () => {
    const first = (await chatJson(page)).turns[1]!.answer;
    await page.getByTestId('regenerate').click();
    await expect.poll(async () => (await chatJson(page)).turns[1]?.status, { timeout: 120_000 }).toBe('done');
    await expect.poll(() => turns(page).nth(1).getByTestId('version-label').textContent()).toBe('2/2');
    const second = (await chatJson(page)).turns[1]!.answer;
    await turns(page).nth(1).getByTestId('version-prev').click();
    await expect.poll(() => turns(page).nth(1).getByTestId('version-label').textContent()).toBe('1/2');
    const shown = await chatJson(page);
    expect(shown.turns[1]!.answer).toBe(first);
    expect(shown.turns[1]!.versions).toHaveLength(1);
    // The follow-up is asked after version 1: the engine keeps the cached video and question and
    // prefills from the shown answer on, never the 12 × 128 video rows again.
    await page.getByTestId('composer').fill('And after that?');
    await page.getByTestId('send').click();
    await page.locator('[data-testid=turn]:nth-child(3)[data-status=done]').waitFor({ timeout: 120_000 });
    const after = await chatJson(page);
    expect(after.turns[1]!.answer).toBe(first);
    expect(after.turns[2]!.timings?.prefillTokens).toBeGreaterThan(0);
    expect(after.turns[2]!.timings?.prefillTokens).toBeLessThan(12 * 128);
    // Version 2 is still there, with its own (empty) continuation.
    await turns(page).nth(1).getByTestId('version-next').click();
    await expect.poll(() => turns(page).count()).toBe(2);
    expect((await chatJson(page)).turns[1]!.answer).toBe(second);
    await turns(page).nth(1).getByTestId('version-prev').click();
    await expect.poll(() => turns(page).count()).toBe(3);
  });

  it('keeps the later turns when an earlier question is edited, as a version (Deliver 3, item 6)', async () => {
    const firstTurn = turns(page).first();
    await firstTurn.hover();
    await firstTurn.getByTestId('edit').click();
    await firstTurn.getByLabel('Edit question').fill('Describe the clock in one word.');
    await firstTurn.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => turns(page).count(), { timeout: 10_000 }).toBe(1);
    await page.locator('[data-testid=turn]:nth-child(1)[data-status=done]').waitFor({ timeout: 120_000 });
    expect(await firstTurn.getByTestId('version-label').textContent()).toBe('2/2');
    await firstTurn.getByTestId('version-prev').click();
    // The original question comes back with the whole conversation that followed it.
    await expect.poll(() => turns(page).count()).toBe(3);
    expect(await page.getByTestId('question').first().textContent()).toBe('Describe the clock.');
  });

  it('counts a long question before it is sent and refuses to send one over the limit (item 9)', async () => {
    await page.getByTestId('composer').fill('why '.repeat(2500));
    await page.getByTestId('question-counter').waitFor();
    expect(await page.getByTestId('question-counter').getAttribute('data-too-long')).toBe('true');
    expect(await page.getByTestId('send').isDisabled()).toBe(true);
    await page.getByTestId('composer').press('Enter');
    expect(await turns(page).count()).toBe(3);
    await page.getByTestId('composer').fill('');
  });

  it('answers to the player keys, speed and picture-in-picture of a video player (Deliver 7)', async () => {
    await page.locator('header').click();
    const key = async (k: string) => page.keyboard.press(k);
    await page.getByTestId('player').evaluate((v) => ((v as HTMLVideoElement).currentTime = 0));
    await key('l');
    await expect.poll(() => currentTime(page)).toBeCloseTo(10, 0);
    await key('j');
    await expect.poll(() => currentTime(page)).toBeCloseTo(0, 0);
    await key('5');
    await expect.poll(() => currentTime(page)).toBeCloseTo(12, 0);
    await key('End');
    await expect.poll(() => currentTime(page)).toBeCloseTo(24, 0);
    await key('Home');
    await expect.poll(() => currentTime(page)).toBeCloseTo(0, 0);
    await key('Shift+ArrowRight');
    await expect.poll(() => currentTime(page)).toBeCloseTo(1, 0);
    await key('>');
    expect(await page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).playbackRate)).toBe(1.25);
    await key('<');
    await key('<');
    expect(await page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).playbackRate)).toBe(0.75);
    await key('m');
    expect(await page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).muted)).toBe(true);
    await key('m');
    await key('k');
    await expect.poll(() => page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).paused)).toBe(false);
    await key('k');
    await expect.poll(() => page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).paused)).toBe(true);
    // Keys typed in the question box stay there.
    await page.getByTestId('composer').fill('');
    await page.getByTestId('composer').press('l');
    expect(await page.getByTestId('composer').inputValue()).toBe('l');
    await page.getByTestId('composer').fill('');
    // Speed from the app's own control.
    await page.getByTestId('playback-speed').selectOption('1.5');
    expect(await page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).playbackRate)).toBe(1.5);
    // Picture-in-picture from the app's own control, where the browser offers it.
    const supported = await page.evaluate(() => document.pictureInPictureEnabled);
    expect(await page.getByTestId('pip').isDisabled()).toBe(!supported);
    if (supported) {
      await page.getByTestId('pip').click();
      await expect.poll(() => page.evaluate(() => document.pictureInPictureElement !== null)).toBe(true);
      await page.getByTestId('pip').click();
      await expect.poll(() => page.evaluate(() => document.pictureInPictureElement === null)).toBe(true);
    }
  });

  it('stacks the chat under the player in a narrow window, with nothing cut off (Deliver 8, item 9)', async () => {
    await page.setViewportSize({ width: 800, height: 900 });
    const column = page.getByTestId('video-column');
    const chat = page.getByTestId('chat-column');
    const [video, chatBox] = [await column.boundingBox(), await chat.boundingBox()];
    expect(chatBox!.y).toBeGreaterThanOrEqual(video!.y + video!.height - 1);
    // The video column shows all of itself (the page scrolls, not a clipped inner box).
    expect(await column.evaluate((el) => el.scrollHeight - el.clientHeight)).toBeLessThanOrEqual(1);
    const player = await page.getByTestId('player').boundingBox();
    expect(player!.width).toBeLessThanOrEqual(800);
    expect(player!.x).toBeGreaterThanOrEqual(0);
    // The composer is reachable and usable.
    await page.getByTestId('composer').scrollIntoViewIfNeeded();
    expect(await page.getByTestId('composer').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(1);
    await page.getByTestId('workspace').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath('web-ux-narrow-top') });
    await page.getByTestId('composer').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('web-ux-narrow-chat') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: screenshotPath('web-ux-narrow-dark') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('heads the export with the name of the renamed copy that is open (item 9)', async () => {
    const copy = join(dir, 'renamed-copy.mp4');
    copyFileSync(demoVideo, copy);
    await page.getByTestId('file-input').setInputFiles(copy);
    await expect.poll(() => page.getByTestId('video-name').textContent(), { timeout: 30_000 }).toBe('renamed-copy.mp4');
    await expect.poll(() => turns(page).count(), { timeout: 15_000 }).toBe(3);
    const download = page.waitForEvent('download');
    await page.getByTestId('export').click();
    const markdown = readFileSync(await (await download).path(), 'utf8');
    expect(markdown.split('\n')[0]).toBe('# Chat about renamed-copy.mp4');
  });

  it('labels the clips of a 2-second video apart (item 9)', async () => {
    const short = join(dir, 'two-seconds.mp4');
    // 49 frames at 24 fps: two clips, 0–1.5 s and 0.04–1.54 s.
    makeVideo(short, 49);
    await page.getByTestId('file-input').setInputFiles(short);
    await expect.poll(() => page.getByTestId('video-name').textContent(), { timeout: 30_000 }).toBe('two-seconds.mp4');
    await expect.poll(() => page.getByTestId('clip').count(), { timeout: 30_000 }).toBeGreaterThan(1);
    const labels = await page.getByTestId('clip').allTextContents();
    expect(labels).toEqual(['0:00.00–0:01.50', '0:00.04–0:01.54']);
    // The cost of watching it here (Deliver 6): video tokens, and time at the per-clip rate measured
    // when the demo video was encoded earlier in this run, with the choice of detail.
    expect(await page.getByTestId('video-tokens').textContent()).toBe('256 video tokens');
    expect(await page.getByTestId('encode-estimate').textContent()).toMatch(/about \d+:\d\d to watch on this machine \(\d+\.\d s per clip measured on CPU int4\)/);
    await page.screenshot({ path: screenshotPath('web-ux-short-video-cost'), fullPage: true });
    await page.getByTestId('clip-ratio').selectOption('1');
    await expect.poll(async () => (await api<{ clipSamplingRatio: number }>(page, 'api/settings')).clipSamplingRatio).toBe(1);
    await page.getByTestId('clip-ratio').selectOption('0.65');
    await expect.poll(async () => (await api<{ clipSamplingRatio: number }>(page, 'api/settings')).clipSamplingRatio).toBe(0.65);
    // Changed again at once: the first re-plan, cancelled by the second, is no error of this video.
    await page.getByTestId('clip-ratio').selectOption('1');
    await page.getByTestId('clip-ratio').selectOption('0.65');
    await expect.poll(async () => (await api<{ clipSamplingRatio: number }>(page, 'api/settings')).clipSamplingRatio).toBe(0.65);
    await page.waitForTimeout(3000);
    expect(await page.getByTestId('video-error').count()).toBe(0);
  });

  it('shows no player and no question box for a file that is not a video (item 5)', async () => {
    const bad = join(dir, 'notes.mp4');
    execFileSync('sh', ['-c', `head -c 8192 /dev/urandom > ${bad}`]);
    await page.getByTestId('file-input').setInputFiles(bad);
    await page.getByTestId('video-error').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('player').count()).toBe(0);
    expect(await page.getByTestId('composer').isDisabled()).toBe(true);
    await page.screenshot({ path: screenshotPath('web-ux-not-a-video'), fullPage: true });
  });

  it('cancels an upload: the file is not opened and the open video stays (item 3)', async () => {
    const other = join(dir, 'slow-upload.mp4');
    makeVideo(other, 72);
    const before = await page.getByTestId('video-name').textContent();
    await page.route('**/api/videos', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await new Promise((r) => setTimeout(r, 3000));
      await route.continue().catch(() => {});
    });
    await page.getByTestId('file-input').setInputFiles(other);
    await page.locator('[data-testid=progress][data-stage=upload]').waitFor();
    await page.getByTestId('cancel-work').click();
    await expect.poll(() => page.locator('[data-testid=progress][data-stage=upload]').count(), { timeout: 3000 }).toBe(0);
    await new Promise((r) => setTimeout(r, 5000));
    expect(await page.getByTestId('video-name').textContent()).toBe(before);
    expect((await api<Array<{ name: string }>>(page, 'api/videos')).map((v) => v.name)).not.toContain('slow-upload.mp4');
    await page.unroute('**/api/videos');
  });

  it('stops an answer waiting behind encoding at once, and Cancel clears the encoding panel (item 3)', async () => {
    const long = join(dir, 'long-video.mp4');
    makeVideo(long, 150 * 24, '160x90');
    await page.getByTestId('file-input').setInputFiles(long);
    await page.locator('[data-testid=progress][data-stage=encode]').waitFor({ timeout: 60_000 });
    await page.getByTestId('composer').fill('What happens?');
    await page.getByTestId('send').click();
    await page.locator('[data-testid=turn][data-status=pending]').waitFor();
    await page.getByTestId('stop').click();
    await page.locator('[data-testid=turn][data-status=stopped]').waitFor({ timeout: 30_000 });
    // The Stop took effect before the encoding ended: it goes on in the background, its panel
    // still there, and its Cancel ends it at once.
    const encoding = await page.locator('[data-testid=progress][data-stage=encode]').getAttribute('data-done');
    expect(Number(encoding)).toBeLessThan(Number(await page.getByTestId('progress').getAttribute('data-total')));
    await page.getByTestId('cancel-work').click();
    await expect.poll(() => page.getByTestId('progress').count(), { timeout: 2000 }).toBe(0);
    await page.getByTestId('encode-cancelled').waitFor();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await page.getByTestId('progress').count()).toBe(0);
  });

  it('says the server is gone when it stops, and that it restarted when it comes back with a new session (item 4)', async () => {
    serve.child.kill('SIGTERM');
    await new Promise((resolve) => serve.child.once('exit', resolve));
    await expect.poll(() => page.getByTestId('status-bar').getAttribute('data-status'), { timeout: 10_000 }).toBe('error');
    await page.getByTestId('connection-lost').waitFor();
    expect(await page.getByTestId('connection').textContent()).toContain('cannot be reached');
    serve = await startServe(['--demo', '--data-dir', join(dir, 'data'), '--port', String(port)], env());
    await expect.poll(() => page.getByTestId('connection-lost').getAttribute('data-restarted'), { timeout: 15_000 }).toBe('true');
    expect(await page.getByTestId('connection-lost').textContent()).toMatch(/restarted.*new address/);
    await page.screenshot({ path: screenshotPath('web-ux-server-restarted'), fullPage: true });
  });
});
