// Headless Chromium for the browser tests and the browser benchmark: Debian's `chromium`
// (CANARY_CHROMIUM overrides the path), launched as this machine needs it (root: no sandbox; no
// GPU; none of Chromium's own network traffic, so every request a test sees is the page's).
import { chromium } from 'playwright-core';

const EXECUTABLE = process.env.CANARY_CHROMIUM || '/usr/bin/chromium';

export function launchChromium() {
  return chromium.launch({
    executablePath: EXECUTABLE,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
