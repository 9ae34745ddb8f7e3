// Issue 17's "Answer now" as a user meets it, in Chromium against the real `apollo-chat serve --demo`
// (the tiny checkpoint, the real engine process): a long video is being watched; Cancel keeps the
// clips watched and Resume goes on from them; a question sent meanwhile waits, and Answer now
// answers it from the clips watched so far (streamed, labelled "from N of M clips" in the page and
// the JSON), after which watching resumes; once every clip is watched, a follow-up is answered from
// all of them (its whole video prompt prefilled anew, not the subset's KV cache). Screenshots
// (light, dark, narrow) are written to test-results/artifacts. Both ways to Answer now are used:
// the button beside Send (asked from the clips so far at once) and the one beside the progress (a
// question already waiting is switched).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { makeTempDir } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

interface TurnJson {
  id: string;
  status: string;
  answer: string;
  clipsUsed?: { used: number; total: number; label: string };
  timings?: { prefillTokens?: number };
}

async function api<T>(page: Page, path: string, init?: { method: string; body?: unknown }): Promise<{ status: number; body: T }> {
  return page.evaluate(
    async ({ path, init }) => {
      const authorization = `Bearer ${new URLSearchParams(location.search).get('token')}`;
      const r = await fetch(path, init ? { method: init.method, headers: { 'content-type': 'application/json', authorization }, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) } : { headers: { authorization } });
      return { status: r.status, body: (await r.json()) as T };
    },
    { path, init },
  );
}

const progress = (page: Page) => page.getByTestId('progress');
const done = async (page: Page) => Number(await progress(page).getAttribute('data-done'));

describe('Answer now while the video is watched (issue 17), in Chromium on the demo model', () => {
  let browser: Browser;
  let serve: ServeProcess;
  let page: Page;
  let dir: string;
  let videoId: string;

  beforeAll(async () => {
    dir = makeTempDir('web-answer-now');
    serve = await startServe(['--demo', '--data-dir', join(dir, 'data')], { ...process.env, APOLLO_CACHE_DIR: join(dir, 'cache') });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    await page.goto(serve.url);
    await page.getByTestId('filmstrip').waitFor({ timeout: 60_000 });
    // the demo video is watched first (fast); the long one below is what this test is about
    await page.waitForFunction(() => document.querySelector('[data-testid=progress]') === null, undefined, { timeout: 120_000, polling: 500 });
    await api(page, 'api/settings', { method: 'PUT', body: { maxNewTokens: 24 } });
  });
  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
  });

  it('Cancel keeps the clips watched, and Resume watching goes on from them', async () => {
    // 4 minutes of small frames: long enough to be watched for a while on the tiny model
    const long = join(dir, 'long-walk.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=24', '-frames:v', String(240 * 24), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '24', long]);
    const started = Date.now();
    await page.getByTestId('file-input').setInputFiles(long);
    await page.locator('[data-testid=progress][data-stage=encode]').waitFor({ timeout: 120_000 });
    await expect.poll(() => done(page), { timeout: 300_000 }).toBeGreaterThanOrEqual(2);
    console.log(`encoding: ${await done(page)} of ${await progress(page).getAttribute('data-total')} clips after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const videos = await api<Array<{ id: string; name: string }>>(page, 'api/videos');
    videoId = videos.body.find((v) => v.name === 'long-walk.mp4')!.id;
    // no question waits yet: Answer now has nothing to answer
    const refused = await api<{ error: { code: string; message: string } }>(page, `api/videos/${videoId}/answer-now`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/No question is waiting/);
    expect(await page.getByTestId('answer-now').count()).toBe(0);

    await page.getByTestId('cancel-work').click();
    await page.getByTestId('encode-cancelled').waitFor();
    const kept = Number((/after (\d+) of \d+ clips/.exec((await page.getByTestId('encode-cancelled').textContent()) ?? '') ?? [])[1]);
    expect(kept).toBeGreaterThanOrEqual(2);
    await page.getByTestId('resume-encoding').click();
    await page.locator('[data-testid=progress][data-stage=encode]').waitFor({ timeout: 60_000 });
    // the first report of the resumed encode counts the kept clips: nothing starts from zero
    expect(await done(page)).toBeGreaterThanOrEqual(kept);
    expect(await page.getByTestId('encode-cancelled').count()).toBe(0);
  }, 400_000);

  it('answers a waiting question from the clips watched so far, streamed and labelled, then watching resumes', async () => {
    // every event the page's server sends, to see the answer stream
    await page.evaluate(() => {
      const w = window as unknown as { seen: Array<{ type: string; turnId?: string }> };
      w.seen = [];
      const source = new EventSource(`api/events?token=${new URLSearchParams(location.search).get('token')}`);
      source.onmessage = (e: MessageEvent<string>) => w.seen.push(JSON.parse(e.data) as { type: string });
    });
    // Answer now beside Send: the question is answered from the clips watched so far at once
    await page.getByTestId('composer').fill('What is the first thing shown?');
    await page.getByTestId('send-answer-now').click();
    const direct = page.locator('[data-testid=turn]').first().getByTestId('clips-used');
    await direct.waitFor({ timeout: 120_000 });
    const directUsed = Number(await direct.getAttribute('data-used'));
    expect(directUsed).toBeGreaterThan(0);
    expect(await direct.textContent()).toBe(`Answered from ${directUsed} of ${await direct.getAttribute('data-total')} clips`);
    // ...and watching goes on after it
    await page.locator('[data-testid=progress][data-stage=encode]').waitFor({ timeout: 60_000 });

    // a question sent with Send waits for the whole video, unless Answer now is chosen meanwhile
    await page.getByTestId('composer').fill('What is shown on the screen?');
    await page.getByTestId('send').click();
    // the question waits for the video, and says so
    await page.locator('[data-testid=turn][data-status=pending]').waitFor();
    expect(await page.getByTestId('thinking').textContent()).toMatch(/Waiting for the video to be watched \(\d+ of \d+ clips\)/);
    await page.getByTestId('answer-now').waitFor({ timeout: 30_000 });
    const before = await done(page);
    const total = Number(await progress(page).getAttribute('data-total'));
    await page.screenshot({ path: screenshotPath('web-answer-now-waiting'), fullPage: true });
    await page.getByTestId('answer-now').click();

    const turn = page.locator('[data-testid=turn]').last();
    await turn.locator('[data-testid=clips-used]').waitFor({ timeout: 120_000 });
    expect(await turn.getAttribute('data-status')).toBe('done');
    const used = Number(await turn.getByTestId('clips-used').getAttribute('data-used'));
    expect(used).toBeGreaterThanOrEqual(before);
    expect(used).toBeLessThan(total);
    expect(await turn.getByTestId('clips-used').textContent()).toBe(`Answered from ${used} of ${total} clips`);
    expect(((await turn.getByTestId('answer').textContent()) ?? '').length).toBeGreaterThan(0);
    // streamed: text deltas arrived for this turn before it was done
    const chat = await api<{ turns: TurnJson[] }>(page, `api/videos/${videoId}/chat`);
    const first = chat.body.turns.at(-1)!;
    expect(first.clipsUsed).toEqual({ used, total, label: `from ${used} of ${total} clips` });
    const deltas = await page.evaluate((id) => (window as unknown as { seen: Array<{ type: string; turnId?: string }> }).seen.filter((e) => e.type === 'turn-delta' && e.turnId === id).length, first.id);
    expect(deltas).toBeGreaterThan(0);

    // watching resumes by itself after the answer, from where it was
    await page.locator('[data-testid=progress][data-stage=encode]').waitFor({ timeout: 60_000 });
    expect(await done(page)).toBeGreaterThanOrEqual(used);
    await page.screenshot({ path: screenshotPath('web-answer-now-light'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: screenshotPath('web-answer-now-dark'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 420, height: 900 });
    // the composer offers Answer now beside Send while some clips are still unwatched
    await page.getByTestId('composer').fill('And what comes later?');
    await page.getByTestId('send-answer-now').waitFor();
    await page.screenshot({ path: screenshotPath('web-answer-now-narrow'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
  }, 400_000);

  it('after the whole video is watched, a follow-up is answered from every clip (the subset prompt is not reused)', async () => {
    await expect.poll(() => progress(page).count(), { timeout: 400_000, interval: 1000 }).toBe(0);
    expect(await page.getByTestId('send-answer-now').count()).toBe(0);
    await page.getByTestId('send').click();
    const turn = page.locator('[data-testid=turn]').nth(2);
    await turn.locator('[data-testid=clips-used]').waitFor({ timeout: 120_000 });
    const total = Number(await turn.getByTestId('clips-used').getAttribute('data-total'));
    expect(await turn.getByTestId('clips-used').textContent()).toBe(`Answered from all ${total} clips`);
    const chat = await api<{ turns: TurnJson[] }>(page, `api/videos/${videoId}/chat`);
    const [, first, second] = chat.body.turns;
    expect(second!.clipsUsed).toEqual({ used: total, total, label: `from all ${total} clips` });
    // the follow-up's prompt holds every clip's tokens, prefilled now: the KV cache of the
    // subset's prompt was not taken for it (it diverges at the clip count, before any clip)
    const analysis = await api<{ tokensPerClip: number; clips: unknown[] }>(page, `api/videos/${videoId}/analyze`, { method: 'POST' });
    expect(analysis.body.clips.length).toBe(total);
    expect(second!.timings!.prefillTokens!).toBeGreaterThan(total * analysis.body.tokensPerClip);
    expect(first!.timings!.prefillTokens!).toBeLessThan(total * analysis.body.tokensPerClip);
    await page.screenshot({ path: screenshotPath('web-answer-now-all-clips'), fullPage: true });
  }, 600_000);
});
