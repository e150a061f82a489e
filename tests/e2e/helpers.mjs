// The page tests' harness (tests/e2e): harness.html and the page routes
// (tests/fixture/pages.mjs) on the support server, in Chromium; with the
// shared support the tests use, re-exported.
import { spawn } from 'node:child_process';
import path from 'node:path';
import * as harness from '../../support/harness.mjs';
import { root } from '../../support/paths.mjs';
import { pageRoutes } from '../fixture/pages.mjs';
import { HOST } from '../../support/server.mjs';
import { eventually } from '../../support/wait.mjs';

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


/**
 * The fixture server (tests/fixture/server.mjs) on `port` of HOST, once it
 * answers; kill() the process it returns to stop it.
 */
export async function startFixture(port) {
  const fixture = spawn(process.execPath, [path.join(root, 'tests', 'fixture', 'server.mjs')], {
    env: { ...process.env, PORT: String(port), HOST },
    stdio: 'ignore',
  });
  const url = `http://${HOST}:${port}`;
  await eventually('the fixture server', () => fetch(`${url}/health`).then((r) => r.ok, () => false));
  return fixture;
}
