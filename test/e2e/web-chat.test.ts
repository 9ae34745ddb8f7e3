// The whole app in web mode on the tiny checkpoint (`apollo-chat serve --demo`): the real engine
// encodes the demo video and answers; Chromium drives the chat: ask, stream, stop, follow up,
// click a time link, reload, export.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoAssets } from '../../electron/cli/demo-assets.js';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { writeJsonAtomic } from '../../electron/common/persist/atomic-file.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { makeTempDir } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';



const turns = (page: Page) => page.locator('[data-testid=turn]');

async function chatJson(page: Page): Promise<{ turns: Array<{ status: string; answer: string; timings?: { prefillTokens?: number } }> }> {
  return page.evaluate(async () => {
    // The page's own API calls send the token from its address as a Bearer header (no cookie).
    const headers = { authorization: `Bearer ${new URLSearchParams(location.search).get('token')}` };
    const videos = (await (await fetch('api/videos', { headers })).json()) as Array<{ id: string }>;
    return (await fetch(`api/videos/${videos[0]!.id}/chat`, { headers })).json();
  });
}

async function setSettings(page: Page, patch: Record<string, unknown>): Promise<void> {
  await page.evaluate(async (p) => {
    await fetch('api/settings', { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${new URLSearchParams(location.search).get('token')}` }, body: JSON.stringify(p) });
  }, patch);
}

describe('chat in web mode on the tiny model', () => {
  let browser: Browser;
  let serve: ServeProcess;
  let page: Page;

  beforeAll(async () => {
    const dir = makeTempDir('web-chat');
    const env = { APOLLO_CACHE_DIR: join(dir, 'cache') };
    process.env.APOLLO_CACHE_DIR = env.APOLLO_CACHE_DIR;
    // Made here (as serve --demo would) so a chat with a time reference can be restored from disk.
    const demo = await ensureDemoAssets(undefined, join(env.APOLLO_CACHE_DIR, 'demo'));
    const key = await videoFingerprint(demo.videoPath);
    await writeJsonAtomic(join(dir, 'data', 'chats', `${key}.json`), {
      videoId: 'old',
      videoName: 'sample-clock.mp4',
      turns: [{ id: 'seeded', question: 'When does the clock pass 12 seconds?', answer: 'The clock reads 0:12 there; between 0:04 and 0:06 nothing changes.', status: 'done', createdAt: new Date().toISOString() }],
    });
    serve = await startServe(['--demo', '--data-dir', join(dir, 'data')], { ...process.env, ...env });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  });
  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
  });

  it('opens the demo video with its notice, clips and the restored chat', async () => {
    await page.goto(serve.url);
    await page.getByTestId('demo-notice').waitFor();
    await page.getByTestId('filmstrip').waitFor();
    // 24 s at 24 fps: K = ceil(24 / 2) = 12 clips.
    await expect.poll(() => page.getByTestId('clip').count(), { timeout: 30_000 }).toBe(12);
    await expect.poll(() => turns(page).count(), { timeout: 10_000 }).toBe(1);
  });

  it('turns a time in an answer into a link that seeks the player and highlights its clip', async () => {
    const links = page.getByTestId('time-link');
    expect(await links.allTextContents()).toEqual(['0:12', 'between 0:04 and 0:06']);
    await links.first().click();
    await expect.poll(() => page.getByTestId('player').evaluate((v) => (v as HTMLVideoElement).currentTime), { timeout: 15_000 }).toBeCloseTo(12, 1);
    // Clip 6 covers 12.0–13.5 s.
    expect(await page.getByTestId('clip').nth(6).getAttribute('data-active')).toBe('true');
    await page.screenshot({ path: screenshotPath('web-chat-time-link'), fullPage: true });
  });

  it('answers a question with a streamed answer (encoding the video first)', async () => {
    await setSettings(page, { maxNewTokens: 24 });
    await page.getByTestId('composer').fill('What happens in this video?');
    await page.getByTestId('composer').press('Enter');
    await expect.poll(() => turns(page).count(), { timeout: 30_000 }).toBe(2);
    await page.locator('[data-testid=turn]:nth-child(2)[data-status=done]').waitFor({ timeout: 120_000 });
    const chat = await chatJson(page);
    expect(chat.turns[1]!.answer.length).toBeGreaterThan(0);
    // Rendered as Markdown: markup characters become formatting, the words stay.
    const letters = (s: string) => s.replace(/[^\p{L}\p{N}]/gu, '');
    expect(letters((await turns(page).nth(1).getByTestId('answer').textContent()) ?? '')).toBe(letters(chat.turns[1]!.answer));
  });

  it('stops an answer and keeps what was written', async () => {
    await setSettings(page, { maxNewTokens: 4000 });
    await page.getByTestId('composer').fill('Describe every detail.');
    await page.getByTestId('send').click();
    await page.locator('[data-testid=turn]:nth-child(3)[data-status=streaming]').waitFor({ timeout: 60_000 });
    // Scrolled up to read while the answer is written: the chat stays there.
    const list = page.getByTestId('turns');
    const answer = turns(page).nth(2).getByTestId('answer');
    await expect.poll(() => list.evaluate((el) => el.scrollHeight - el.clientHeight), { timeout: 60_000 }).toBeGreaterThan(400);
    await list.evaluate((el) => (el.scrollTop = 0));
    const before = (await answer.textContent())?.length ?? 0;
    await expect.poll(async () => (await answer.textContent())?.length ?? 0, { timeout: 30_000 }).toBeGreaterThan(before + 20);
    // (not pulled back to the end; the browser's scroll anchoring may still move it a line)
    expect(await list.evaluate((el) => el.scrollTop)).toBeLessThan(100);
    expect(await list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeGreaterThan(200);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=turn]:nth-child(3)[data-status=stopped]').waitFor({ timeout: 30_000 });
    const chat = await chatJson(page);
    expect(chat.turns[2]!.status).toBe('stopped');
    expect(chat.turns[2]!.answer.length).toBeGreaterThan(0);
  });

  it('answers a follow-up by prefilling only its own tokens', async () => {
    await setSettings(page, { maxNewTokens: 16 });
    await page.getByTestId('composer').fill('And then?');
    await page.getByTestId('send').click();
    await page.locator('[data-testid=turn]:nth-child(4)[data-status=done]').waitFor({ timeout: 60_000 });
    const chat = await chatJson(page);
    const prefill = chat.turns[3]!.timings?.prefillTokens ?? Infinity;
    // The video alone is 12 × 128 positions; a follow-up prefills a few dozen at most.
    expect(prefill).toBeLessThan(64);
    // A question sent shows the end of the chat, and it follows the answer to its last line.
    await expect.poll(() => page.getByTestId('turns').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight), { timeout: 5_000 }).toBeLessThan(2);
    await page.screenshot({ path: screenshotPath('web-chat-answers'), fullPage: true });
  });

  it('restores the chat after a reload and exports it as Markdown', async () => {
    await page.reload();
    await page.getByTestId('filmstrip').waitFor();
    await expect.poll(() => turns(page).count(), { timeout: 15_000 }).toBe(4);
    const download = page.waitForEvent('download');
    await page.getByTestId('export').click();
    const file = await (await download).path();
    const markdown = readFileSync(file, 'utf8');
    expect(markdown).toContain('# Chat about sample-clock.mp4');
    expect(markdown).toContain('## Q: And then?');
    expect(markdown).toContain('_(answer stopped)_');
  });
});
