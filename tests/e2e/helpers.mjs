// Shared by the browser tests in tests/e2e: headless Chromium through
// playwright-core (never a downloaded browser), and polling with a deadline
// so that a test fails instead of hanging.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../www/server.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HOST = '127.0.0.1';

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 30_000,
  });
}

/** Fails early with the command to run when the package has not been built. */
export async function requirePackage() {
  const glue = path.join(root, 'pkg', 'index.js');
  await fs.access(glue).catch(() => {
    throw new Error(`${glue} is missing: build the package with npm run build`);
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

/** Polls `check` until it returns a truthy value, or throws after `timeoutMs`. */
export async function eventually(what, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    }
    await sleep(50);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The page tests' set-up: the demo server on `port` with tests/e2e mounted at
 * /harness/, and Chromium. `stop()` ends both.
 */
export async function startHarness({ port = 18080, browserArgs = [] } = {}) {
  await requirePackage();
  const server = await startServer({
    host: HOST,
    port,
    intervalMs: 100,
    staticDirs: { '/harness/': path.join(root, 'tests', 'e2e') },
  });
  const browser = await launchBrowser(browserArgs);
  const stop = async () => {
    await browser.close();
    await server.close();
  };
  return { server, browser, stop };
}

/** A new page on the harness (`query` picks its mode), once the package has loaded. */
export async function openHarness({ server, browser }, query = '') {
  const opened = await newPage(browser);
  await opened.page.goto(`${server.url}harness/harness.html${query}`);
  await opened.page.waitForFunction(() => document.title === 'ready');
  return opened;
}
