// The page tests' harness (tests/e2e): harness.html and the page routes
// (tests/fixture/pages.mjs) on the support server, in Chromium; with the
// shared support the tests use, re-exported.
import path from 'node:path';
import * as harness from '../../support/harness.mjs';
import { root } from '../../support/paths.mjs';
import { pageRoutes } from '../fixture/pages.mjs';

export { launchBrowser, newPage } from '../../support/browser.mjs';
export { requirePackage, root } from '../../support/paths.mjs';
export { HOST } from '../../support/server.mjs';
export { eventually, sleep } from '../../support/wait.mjs';

const mounts = { '/harness/': path.join(root, 'tests', 'e2e') };

/**
 * The page tests' set-up: the page routes, the package and tests/e2e at
 * /harness/ on `port`, and Chromium. `stop()` ends both.
 */
export function startHarness({ port = 18080, browserArgs = [] } = {}) {
  return harness.startHarness({ port, routes: [pageRoutes], mounts, browserArgs });
}

/** A new page on the harness (`query` picks its mode), once the package has loaded. */
export function openHarness(started, query = '') {
  return harness.openHarness(started, `harness/harness.html${query}`);
}

