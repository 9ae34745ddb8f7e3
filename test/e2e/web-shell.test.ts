// The renderer shell, served by `apollo-chat serve` (the real CLI and server), in Debian's Chromium.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { repoRoot } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';


describe('web mode in Chromium', () => {
  let browser: Browser;
  let serve: ServeProcess;

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist', 'renderer', 'index.html'))) throw new Error('run `npm run build` before the end-to-end tests');
    serve = await startServe();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    serve?.child.kill('SIGTERM');
  });

  it('shows the empty state that says to drop a video, connected to the server', async () => {
    const page = await browser.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(serve.url);
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Drop a video to start');
    await page.locator('[data-testid="status-bar"][data-status="ready"]').waitFor();
    expect(await page.getByTestId('status-bar').textContent()).toMatch(/Connected \(web mode/);
    await page.screenshot({ path: screenshotPath('web-shell-empty-state'), fullPage: true });
    expect(cspViolations).toEqual([]);
    await page.close();
  });

  it('refuses a request without the token', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${serve.origin}/`);
    expect(response?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('UNAUTHORIZED');
    await page.close();
  });
});
