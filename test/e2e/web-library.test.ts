// Issue 15 Deliver 4 and 6, and two of its progress items, as a user meets them in Chromium against
// the real `apollo-chat serve --demo` (tiny checkpoint, real engine process): the library of videos
// opened before (cache state, chats, reopen, new chat, remove freeing the cached embeddings and KV
// prefix, kept across a restart), the cost of watching a video with its ratio control (re-plans and
// restarts the encoding, keeping encoded clips), the encoding ETA (present, updating, honest) and
// the estimate corrected by what encoding took, and cited-clip thumbnails that retry after a
// failed load. Screenshots (light, dark, narrow) go to test-results/artifacts.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoAssets } from '../../electron/cli/demo-assets.js';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { writeJsonAtomic } from '../../electron/common/persist/atomic-file.js';
import type { LibraryVideo } from '../../electron/shared/app-api.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { makeTempDir } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const turns = (page: Page) => page.locator('[data-testid=turn]');

async function api<T>(page: Page, path: string, init?: { method: string; body?: unknown }): Promise<T> {
  return page.evaluate(
    async ({ path, init }) => {
      const authorization = `Bearer ${new URLSearchParams(location.search).get('token')}`;
      const r = await fetch(path, init ? { method: init.method, headers: { 'content-type': 'application/json', authorization }, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) } : { headers: { authorization } });
      return r.json() as Promise<T>;
    },
    { path, init },
  );
}

function makeVideo(path: string, frames: number, size = '160x90'): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=24`, '-frames:v', String(frames), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '24', path]);
}

async function openFile(page: Page, path: string, name: string): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(path);
  await expect.poll(() => page.getByTestId('video-name').textContent(), { timeout: 60_000 }).toBe(name);
  await page.getByTestId('encode-cost').waitFor({ timeout: 60_000 });
}

/** Whether every <img> a locator matches has loaded a picture. */
const imagesLoaded = (page: Page, selector: string) => page.locator(selector).evaluateAll((els) => els.length > 0 && els.every((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0));

describe('the library, the cost of watching and the encoding ETA in Chromium on the demo model', () => {
  let browser: Browser;
  let serve: ServeProcess;
  let page: Page;
  let dir: string;
  let demoVideo: string;
  let demoModel: string;
  let demoKey: string;
  let port: number;
  const env = () => ({ ...process.env, APOLLO_CACHE_DIR: join(dir, 'cache') });
  const cacheFiles = () => (existsSync(join(dir, 'cache', 'clip-embeddings')) ? readdirSync(join(dir, 'cache', 'clip-embeddings')).filter((f) => !f.startsWith('.')) : []);
  const ratesFile = () => join(dir, 'data', 'encode-rates.json');

  beforeAll(async () => {
    dir = makeTempDir('web-library');
    const demo = await ensureDemoAssets(undefined, join(dir, 'cache', 'demo'));
    demoVideo = demo.videoPath;
    demoModel = demo.modelDir;
    demoKey = await videoFingerprint(demoVideo);
    // An answer that cites two moments (clips 2 and 6 of the demo's 12).
    await writeJsonAtomic(join(dir, 'data', 'chats', `${demoKey}.json`), {
      videoId: 'old',
      videoName: 'sample-clock.mp4',
      turns: [{ id: 'seeded', question: 'When does the hand move?', answer: 'It moves at 0:05 and again at 0:13.', status: 'done', createdAt: new Date().toISOString() }],
    });
    serve = await startServe(['--demo', '--data-dir', join(dir, 'data')], env());
    port = Number(new URL(serve.origin).port);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await page.goto(serve.url);
    await page.getByTestId('filmstrip').waitFor({ timeout: 60_000 });
    await api(page, 'api/settings', { method: 'PUT', body: { maxNewTokens: 4 } });
  });
  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
  });

  it('retries a cited clip thumbnail that failed to load (item 9)', async () => {
    // Every thumbnail's first request fails, as when the server's ffmpeg is busy; retries get through.
    let refused = 0;
    let retried = 0;
    await page.route('**/thumbnails/**', async (route) => {
      if (new URL(route.request().url()).searchParams.has('attempt')) {
        retried++;
        return route.continue();
      }
      refused++;
      return route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"BUSY","message":"busy"}}' });
    });
    await page.reload();
    const cited = '[data-testid=cited-clip] img';
    await expect.poll(() => page.locator(cited).count(), { timeout: 60_000 }).toBe(2);
    await expect.poll(() => imagesLoaded(page, cited), { timeout: 20_000 }).toBe(true);
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(retried).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('thumbnail-failed').count()).toBe(0);
    await page.unroute('**/thumbnails/**');
  });

  it('shows an honest, updating ETA while encoding, and corrects the estimate by what it took (Deliver 6, item 8)', { timeout: 600_000 }, async () => {
    // The demo's encode measured this machine's rate; make the remembered rate far too slow.
    await expect.poll(() => existsSync(ratesFile()), { timeout: 120_000 }).toBe(true);
    const rates = JSON.parse(readFileSync(ratesFile(), 'utf8')) as Record<string, { msPerClip: number; device: string; precision: string }>;
    const measured = Object.values(rates)[0]!;
    writeFileSync(ratesFile(), JSON.stringify(Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, { ...v, msPerClip: 60_000 }]))));
    const long = join(dir, 'long-eta.mp4');
    makeVideo(long, 100 * 24);
    await openFile(page, long, 'long-eta.mp4');
    const clips = await page.getByTestId('clip').count();
    expect(clips).toBeGreaterThan(10);
    // Before any clip is encoded: the cost at the remembered (wrong) rate.
    expect(await page.getByTestId('encode-estimate').getAttribute('data-state')).toBe('estimate');
    expect(await page.getByTestId('encode-estimate').textContent()).toContain('60.0 s per clip');
    // While encoding: sample what the panel says, with the time it said it.
    const samples: Array<{ t: number; done: number; total: number; eta?: number }> = [];
    const t0 = Date.now();
    for (;;) {
      // Read at once (a locator would wait for a panel that is gone).
      const panel = await page.evaluate(() => {
        const el = document.querySelector('[data-testid=progress][data-stage=encode]');
        return el === null ? null : { done: Number(el.getAttribute('data-done')), total: Number(el.getAttribute('data-total')), text: el.textContent ?? '' };
      });
      if (panel !== null) {
        const m = /(\d+):(\d\d) left/.exec(panel.text);
        samples.push({ t: Date.now(), done: panel.done, total: panel.total, ...(m ? { eta: (Number(m[1]) * 60 + Number(m[2])) * 1000 } : {}) });
      }
      if ((await page.getByTestId('encode-estimate').getAttribute('data-state')) === 'measured') break;
      if (Date.now() - t0 > 400_000) throw new Error(`encoding did not finish: ${JSON.stringify(samples.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const end = Date.now();
    const shown = samples.filter((s) => s.eta !== undefined);
    expect(shown.every((s) => s.total === clips)).toBe(true);
    // Before two clips are done the ETA comes from the remembered rate (planted wrong here:
    // engine/vision/encode-eta.ts); from then on, from this encode's own measured rate.
    const withEta = shown.filter((s) => s.done >= 2);
    // Present: an ETA is shown for most of the encoding, once a couple of clips are measured.
    expect(withEta.length).toBeGreaterThanOrEqual(4);
    // Updates: it changes as clips are done, and counts down overall.
    expect(new Set(withEta.map((s) => s.eta)).size).toBeGreaterThanOrEqual(3);
    expect(withEta.at(-1)!.eta!).toBeLessThan(withEta[0]!.eta!);
    // Honest: over the encoding it tracks the time that was really left, typically within a factor
    // of three (other work shares this machine's cores), and nothing like the remembered 60 s per
    // clip. Not asserted per sample: while the first chunk's towers share the cores with the next
    // chunk's frame extraction, the rate it measures is several times too slow (see the samples
    // written beside the screenshots, and the maintainer notes of this test's commit).
    writeFileSync(screenshotPath('web-library-eta-samples').replace(/\.png$/, '.json'), JSON.stringify({ end, samples }, null, 1));
    const judged = withEta.filter((x) => x.done <= x.total * 0.8).map((x) => ({ ...x, left: end - x.t }));
    const ratios = judged.map((x) => (x.eta! + 1000) / (x.left + 1000)).sort((a, b) => a - b);
    const median = ratios[Math.floor(ratios.length / 2)]!;
    expect(median).toBeGreaterThan(1 / 3);
    expect(median).toBeLessThan(3);
    expect(Math.max(...judged.map((x) => x.eta!))).toBeLessThan(clips * 60_000 / 4);
    // Corrected: the cost line now says what it took, beside the wrong estimate, and the rate is re-measured.
    const line = (await page.getByTestId('encode-estimate').textContent()) ?? '';
    expect(line).toMatch(/watched in \d+:\d\d here \(\d+\.\d s per clip; estimated \d+:\d\d\)/);
    expect(line).toContain(`estimated ${Math.floor((clips * 60) / 60)}:00`);
    const remeasured = Object.values(JSON.parse(readFileSync(ratesFile(), 'utf8')) as Record<string, { msPerClip: number }>)[0]!.msPerClip;
    expect(remeasured).toBeLessThan(10_000);
    expect(measured.msPerClip).toBeLessThan(10_000);
  });

  it('lets the user choose the clip sampling ratio at the cost line: re-plans, re-shows the cost, restarts encoding keeping encoded clips (Deliver 6)', { timeout: 400_000 }, async () => {
    const video = join(dir, 'ratio-choice.mp4');
    makeVideo(video, 90 * 24);
    await openFile(page, video, 'ratio-choice.mp4');
    const before = { clips: await page.getByTestId('clip').count(), tokens: await page.getByTestId('video-tokens').textContent(), estimate: await page.getByTestId('encode-estimate').textContent() };
    expect(before.tokens).toBe(`${(before.clips * 128).toLocaleString('en-US')} video tokens`);
    expect(before.estimate).toMatch(/about \d+:\d\d to watch on this machine/);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByTestId('encode-cost').screenshot({ path: screenshotPath('web-library-cost-line') });
    // Encoding started on its own at the default ratio; a few clips in, the user picks fewer clips.
    const encoding = page.locator(`[data-testid=progress][data-stage=encode][data-total="${before.clips}"]`);
    await encoding.waitFor({ timeout: 120_000 });
    await expect.poll(async () => Number(await encoding.getAttribute('data-done').catch(() => '0')), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
    const kept = Number(await encoding.getAttribute('data-done').catch(() => '3'));
    await page.screenshot({ path: screenshotPath('web-library-cost-encoding'), fullPage: true });
    await page.getByTestId('clip-ratio').selectOption('0.25');
    // Re-planned: fewer clips, their tokens and time, and the encoding restarts for that plan.
    await expect.poll(() => page.getByTestId('clip').count(), { timeout: 60_000 }).toBeLessThan(before.clips);
    const fewer = await page.getByTestId('clip').count();
    expect(await page.getByTestId('video-tokens').textContent()).toBe(`${(fewer * 128).toLocaleString('en-US')} video tokens`);
    expect(await page.getByTestId('encode-estimate').textContent()).not.toBe(before.estimate);
    await page.locator(`[data-testid=progress][data-stage=encode][data-total="${fewer}"]`).waitFor({ timeout: 120_000 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: screenshotPath('web-library-cost-dark'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    // Back to the default: the clips encoded before the change were kept; encoding resumes from them.
    await page.getByTestId('clip-ratio').selectOption('0.65');
    await expect.poll(() => page.getByTestId('clip').count(), { timeout: 60_000 }).toBe(before.clips);
    const resumed = page.locator(`[data-testid=progress][data-stage=encode][data-total="${before.clips}"]`);
    await resumed.waitFor({ timeout: 120_000 });
    expect(Number(await resumed.getAttribute('data-done'))).toBeGreaterThanOrEqual(kept);
    await page.getByTestId('cancel-work').click();
  });

  it('lists the videos opened before with thumbnail, duration, clips, cache state and chats; new chat, reopen a chat, remove (Deliver 4)', { timeout: 500_000 }, async () => {
    // The demo video again (from the library), and one answer so its KV prefix is saved.
    await page.getByTestId('open-library').click();
    const demoRow = page.locator(`[data-testid=library-video][data-id="${demoKey}"]`);
    await demoRow.waitFor({ timeout: 30_000 });
    await demoRow.getByTestId('library-open').click();
    await expect.poll(() => page.getByTestId('video-name').textContent(), { timeout: 30_000 }).toBe('sample-clock.mp4');
    await expect.poll(() => turns(page).count(), { timeout: 15_000 }).toBe(1);
    await page.getByTestId('composer').fill('What is shown?');
    await page.getByTestId('send').click();
    await page.locator('[data-testid=turn]:nth-child(2)[data-status=done]').waitFor({ timeout: 180_000 });
    await expect.poll(() => cacheFiles().some((f) => f.endsWith('.kvprefix')), { timeout: 30_000 }).toBe(true);

    await page.getByTestId('open-library').click();
    await page.getByTestId('library-dialog').locator('[data-testid=library-video]').first().waitFor();
    const listed = await api<LibraryVideo[]>(page, 'api/library');
    expect(listed.map((v) => v.name)).toEqual(['sample-clock.mp4', 'ratio-choice.mp4', 'long-eta.mp4']);
    const demo = listed[0]!;
    expect(demo).toMatchObject({ id: demoKey, duration: 24, clips: 12, clipSamplingRatio: 0.65, cache: { embeddings: 'complete', kvPrefix: true } });
    expect(demo.chats).toEqual([expect.objectContaining({ title: 'When does the hand move?', turns: 2, current: true })]);
    // Cancelled at 0.65 (its 0.25 plan may have finished meanwhile).
    expect(['partial', 'complete']).toContain(listed[1]!.cache.embeddings);
    expect(listed[2]!.cache.embeddings).toBe('complete');
    expect(await demoRow.getAttribute('data-cache')).toBe('complete');
    expect(await demoRow.getByTestId('library-facts').textContent()).toMatch(/^0:24 · 12 clips \(ratio 0\.65\) · [\d.]+ MB · [\d.]+ MB cachedWatched · cached, answers start at once$/);
    await expect.poll(() => imagesLoaded(page, '[data-testid=library-dialog] [data-testid=library-thumbnail] img'), { timeout: 30_000 }).toBe(true);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: screenshotPath('web-library-light') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: screenshotPath('web-library-dark') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 760, height: 900 });
    await page.screenshot({ path: screenshotPath('web-library-narrow') });
    expect(await page.getByTestId('library-dialog').evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 860 });

    // New chat on the demo video: an empty chat; the earlier one stays listed.
    await demoRow.getByTestId('library-new-chat').click();
    await expect.poll(() => page.locator('dialog[open]').count()).toBe(0);
    await expect.poll(() => turns(page).count(), { timeout: 15_000 }).toBe(0);
    await page.getByTestId('composer').fill('Is there a clock?');
    await page.getByTestId('send').click();
    await page.locator('[data-testid=turn]:nth-child(1)[data-status=done]').waitFor({ timeout: 180_000 });
    await page.getByTestId('open-library').click();
    await expect.poll(() => demoRow.getByTestId('library-chat').allTextContents(), { timeout: 15_000 }).toEqual(['Is there a clock?1 question · latest', 'When does the hand move?2 questions']);
    // The earlier chat opens with its turns.
    await demoRow.getByTestId('library-chat').nth(1).click();
    await expect.poll(() => page.getByTestId('question').allTextContents(), { timeout: 15_000 }).toEqual(['When does the hand move?', 'What is shown?']);

    // Remove: asks first; then its chats, clip embeddings and KV prefix go, the file stays.
    const demoFiles = cacheFiles().length;
    expect(cacheFiles().filter((f) => f.endsWith('.kvprefix'))).toHaveLength(1);
    await page.getByTestId('open-library').click();
    await demoRow.getByTestId('library-remove').click();
    await demoRow.getByTestId('library-remove-confirm').waitFor();
    await page.getByTestId('library-dialog').screenshot({ path: screenshotPath('web-library-remove-confirm') });
    await demoRow.getByTestId('library-remove-yes').click();
    await expect.poll(() => demoRow.count(), { timeout: 30_000 }).toBe(0);
    expect(cacheFiles().filter((f) => f.endsWith('.kvprefix'))).toHaveLength(0);
    // The demo's whole entry and its KV prefix; the other videos' entries stay.
    expect(cacheFiles().length).toBe(demoFiles - 2);
    expect(existsSync(demoVideo)).toBe(true);
    expect(existsSync(join(dir, 'data', 'chats', `${demoKey}.json`))).toBe(false);
    const after = await api<LibraryVideo[]>(page, 'api/library');
    expect(after.map((v) => v.name)).toEqual(['ratio-choice.mp4', 'long-eta.mp4']);
    expect(after[1]!.cache.embeddings).toBe('complete');
    // The removed video was open: it is closed, and the first screen lists the others.
    await page.getByTestId('library-dialog').getByRole('button', { name: 'Close' }).click();
    await page.getByTestId('empty-state').waitFor({ timeout: 10_000 });
    expect(await page.locator('main [data-testid=library-video]').count()).toBe(2);
    await page.screenshot({ path: screenshotPath('web-library-first-screen'), fullPage: true });
  });

  it('keeps the library, uploads included, across a server restart, and reopens from it (Deliver 4, item 11)', async () => {
    serve.child.kill('SIGTERM');
    await new Promise((resolve) => serve.child.once('exit', resolve));
    // Without --demo this time: only what the library remembers.
    serve = await startServe(['--model', demoModel, '--data-dir', join(dir, 'data'), '--port', String(port)], env());
    await page.goto(serve.url);
    await page.getByTestId('empty-state').waitFor({ timeout: 30_000 });
    const rows = page.locator('main [data-testid=library-video]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    expect(await rows.getByTestId('library-name').allTextContents()).toEqual(['ratio-choice.mp4', 'long-eta.mp4']);
    await rows.nth(1).getByTestId('library-open').click();
    await expect.poll(() => page.getByTestId('video-name').textContent(), { timeout: 30_000 }).toBe('long-eta.mp4');
    await expect.poll(() => page.getByTestId('encode-estimate').getAttribute('data-state'), { timeout: 60_000 }).toBe('cached');
  });
});
