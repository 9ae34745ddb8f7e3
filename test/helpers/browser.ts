// Debian's Chromium driven by playwright-core (no browser download), with the flags that keep it
// off the network.
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { artifactsDir } from './paths.js';

export const chromiumPath = process.env.APOLLO_CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(artifactsDir, { recursive: true });
  return `${artifactsDir}/${name}.png`;
}
