// The one browser of the tests and benches: headless Chromium through
// playwright-core, the system's build (never a downloaded browser).
import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Chromium at CHROMIUM_PATH, or /usr/bin/chromium, with `extraArgs` added;
 * `ignoreDefaultArgs` drops some of playwright's own (its
 * `--disable-back-forward-cache`, say).
 */
export function launchBrowser(extraArgs = [], { ignoreDefaultArgs } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extraArgs],
    ignoreDefaultArgs,
    timeout: 30_000,
  });
}

/** A page that records its uncaught errors and console errors in `errors`. */
export async function newPage(browser) {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  return { page, errors };
}
