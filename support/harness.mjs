// A page harness: the support server with the npm package at /pkg/ beside
// the given route sets and mounts, and Chromium. A harness page sets its
// title to 'ready' once it has loaded what it needs.
import { launchBrowser, newPage } from './browser.mjs';
import { pkgDir, requirePackage } from './paths.mjs';
import { HOST, startServer } from './server.mjs';

/** Starts the server on `port` and Chromium; `stop()` ends both. */
export async function startHarness({ host = HOST, port = 0, routes = [], mounts = {}, browserArgs = [] } = {}) {
  await requirePackage();
  const server = await startServer({ host, port, routes, mounts: { '/pkg/': pkgDir, ...mounts } });
  const browser = await launchBrowser(browserArgs);
  const stop = async () => {
    await browser.close();
    await server.close();
  };
  return { server, browser, stop };
}

/** A new page (see newPage) at `page`, a path on the harness's server, once it is ready. */
export async function openHarness({ server, browser }, page) {
  const opened = await newPage(browser);
  await opened.page.goto(new URL(page, server.url).href);
  await opened.page.waitForFunction(() => document.title === 'ready');
  return opened;
}
