// The page's lifecycle (issue 22) for the package's class, native and fetch:
// the shared rules table against js/lifecycle.js; the real back/forward cache
// in Chromium, with a navigation away and back; a hidden tab's pause; a
// frozen page's resume. The server's /stats say what the connections did:
// each connection to /sse/drop sends three events from the last event ID on,
// so a loss or a repeat shows in the ids.
//
// Chromium under playwright: playwright launches it with
// `--disable-back-forward-cache` (CDP's reason: BackForwardCacheDisabledByCommandLine);
// without that switch, Chromium 156 caches a page with an open EventSource or
// fetch stream, unless the page itself came with `Cache-Control: no-store`
// (MainResourceHasCacheControlNoStore, which the harness's static files
// have: this test serves its page without). Headless Chromium does not change `visibilityState` on
// minimising or switching tabs, nor fire `freeze`/`resume` on
// `Page.setWebLifecycleState` for a visible page: those two are dispatched
// by hand, with `visibilityState` overridden.
import { readFileSync } from 'node:fs';
import { startHarness } from '../../support/harness.mjs';
import { pageRoutes } from '../fixture/pages.mjs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, eventually, launchBrowser, newPage, root, sleep, startFixture } from './helpers.mjs';
import { rules } from '../../js/lifecycle.js';

const FIXTURE_PORT = 18791;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;
const PAGE_PORT = 18094;

test('the rules follow tests/data/lifecycle.json', () => {
  const spec = JSON.parse(readFileSync(path.join(root, 'tests', 'data', 'lifecycle.json'), 'utf8'));
  for (const { name, pause, hidden, steps } of spec.scenarios) {
    const step = rules(pause, hidden);
    steps.forEach(({ on, live = true, do: expected }, index) => {
      assert.deepEqual(step(on, live), expected, `${name}, step ${index}`);
    });
  }
});

/**
 * harness.html without `Cache-Control: no-store`, which the support server
 * sends and which keeps a page out of Chromium's back/forward cache
 * (MainResourceHasCacheControlNoStore).
 */
function cacheable(req, res) {
  const page = readFileSync(path.join(root, 'tests', 'e2e', 'harness.html'));
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(page);
}

/**
 * A page that opens a fetch source before the package's wasm has loaded,
 * and hides into the back/forward cache (a dispatched `pagehide`) at once.
 */
function early(req, res) {
  const page = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">
    const api = await import('/pkg/index.js');
    const url = new URLSearchParams(location.search).get('url');
    window.log = { ids: [] };
    window.es = new api.EventSource(url, { transport: 'fetch' });
    es.onmessage = (event) => log.ids.push(event.lastEventId);
    dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    document.title = 'ready';
  </script>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
}

let harness;
let fixture;
let browser;

before(async () => {
  fixture = await startFixture(FIXTURE_PORT);
  harness = await startHarness({ port: PAGE_PORT, routes: [pageRoutes, { '/cacheable.html': cacheable, '/early.html': early }] });
  // The harness's browser keeps playwright's switch; this one caches pages.
  browser = await launchBrowser([], { ignoreDefaultArgs: ['--disable-back-forward-cache'] });
});

after(async () => {
  await browser?.close();
  await harness?.stop();
  fixture?.kill();
});

const key = (name) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const stats = (k) => fetch(`${FIXTURE}/stats?key=${k}`).then((r) => r.json());

/**
 * A harness page in the bfcache-enabled browser (a new context, or a new tab
 * of `context`), its CDP session, and why a restore failed.
 */
async function openPage(context = null) {
  const { page, errors } = context ? { page: await context.newPage(), errors: [] } : await newPage(browser);
  if (context) page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.enable');
  const notCached = [];
  cdp.on('Page.backForwardCacheNotUsed', (event) => notCached.push(...event.notRestoredExplanations.map((e) => e.reason)));
  await page.goto(`http://${HOST}:${PAGE_PORT}/cacheable.html`);
  await page.waitForFunction(() => document.title === 'ready');
  return { page, errors, notCached };
}

/**
 * Opens a source in the page as `window.es`, logging the ids of its
 * messages (through a listener and an async iterator) and its errors.
 */
function openSource(page, transport, url, whenHidden, extra = {}) {
  return page.evaluate(({ transport, url, whenHidden, extra }) => {
    window.log = { ids: [], iterated: [], errors: 0, shows: [] };
    addEventListener('pageshow', (event) => window.log.shows.push(event.persisted));
    const es = new t.api.EventSource(url, { transport, lastEventIdParam: 'lastEventId', whenHidden, ...extra });
    window.es = es;
    es.onmessage = (event) => window.log.ids.push(event.lastEventId);
    es.onerror = () => { window.log.errors += 1; };
    (async () => {
      for await (const event of es.events()) window.log.iterated.push(event.lastEventId);
    })();
  }, { transport, url, whenHidden, extra });
}

const ids = (page) => page.evaluate(() => window.log);
const untilIds = (page, n, what) =>
  page.waitForFunction((n) => window.log.ids.length >= n && window.log.iterated.length >= n, n, { timeout: 10_000 }).catch(async (error) => {
    throw new Error(`${what}: ${JSON.stringify(await ids(page))} (${error.message})`);
  });

/** Switches the page's visibility as a tab switch would, visibilityState overridden. */
const setVisibility = (page, state) =>
  page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);

const expected = ['1', '2', '3', '4', '5', '6'];

for (const transport of ['native', 'fetch']) {
  describe(`${transport}: the page's lifecycle`, () => {
    /**
     * A page with one source (`extra` its options) that goes into the
     * back/forward cache and back: the connection closes while away, nothing
     * connects from the cache, and on return it resumes from ID 3 with no
     * event lost or repeated and no error. Returns the page, still open.
     */
    async function throughTheCache(k, extra) {
      const { page, errors, notCached } = await openPage();
      await openSource(page, transport, `${FIXTURE}/sse/drop?n=3&hold=60000&key=${k}`, undefined, extra);
      await untilIds(page, 3, 'the first connection');
      const before = await page.evaluate(() => es.shared);

      await page.goto(`http://localhost:${PAGE_PORT}/cacheable.html?away`);
      await eventually('the connection closed while away', async () => (await stats(k)).open === 0);
      await sleep(300);
      assert.equal((await stats(k)).connections, 1, 'nothing connects from the cache');

      await page.goBack({ waitUntil: 'commit' });
      await page.waitForFunction(() => window.log?.shows.length > 0, null, { timeout: 10_000 }).catch(() => {
        throw new Error(`the page was not restored from the back/forward cache: ${notCached.join(', ') || 'no reason given'}`);
      });
      assert.deepEqual((await ids(page)).shows, [true], 'pageshow.persisted');
      await untilIds(page, 6, 'after the restore');
      const log = await ids(page);
      assert.deepEqual(log.ids, expected, 'no event lost or repeated');
      assert.deepEqual(log.iterated, expected, 'the iterator goes on');
      assert.equal(log.errors, 0, 'no error event');
      const seen = await stats(k);
      assert.equal(seen.connections, 2);
      assert.equal(seen.lastEventIds[1], '3', 'it resumes from its last event ID');
      assert.equal(await page.evaluate(() => es.readyState), 1);
      assert.deepEqual(errors, []);
      return { page, before };
    }

    test('the back/forward cache keeps the page, closes the connection and resumes without loss', async () => {
      const { page } = await throughTheCache(key(`bfcache-${transport}`), {});
      await page.evaluate(() => es.close());
      await page.close();
    });

    test('a shared source that leads: the back/forward cache keeps the page, and it leads again on return without loss', async () => {
      const k = key(`bfcache-shared-${transport}`);
      const { page, before } = await throughTheCache(k, { shared: true });
      assert.equal(before, 'leader');
      assert.equal(await page.evaluate(() => es.shared), 'leader', 'alone, it leads again');
      await page.evaluate(() => es.close());
      await eventually('the connection closed', async () => (await stats(k)).open === 0);
      await page.close();
    });

    // A tab in the cache that gets a BroadcastChannel message is evicted
    // (Chromium's BroadcastChannelOnMessage), and the other tab's new leader
    // relays at once: the page comes back reloaded, not restored. A restored
    // follower could not have the events it missed while away, so eviction
    // is the lossless outcome; what matters is the other tab.
    test('a shared leader that goes into the cache hands over to the other tab at once: quiet, no loss', async () => {
      const k = key(`bfcache-handover-${transport}`);
      const context = await browser.newContext();
      try {
        const tabs = [];
        for (let i = 0; i < 2; i += 1) {
          const tab = await openPage(context);
          await openSource(tab.page, transport, `${FIXTURE}/sse/feed?interval=50&key=${k}`, undefined, { shared: true });
          await tab.page.evaluate(() => {
            window.log.roles = [];
            es.addEventListener('statechange', () => window.log.roles.push(es.shared));
          });
          tabs.push(tab);
          await eventually(`tab ${i} has events`, async () => (await ids(tab.page)).ids.length > 2);
        }
        const [a, b] = tabs;
        assert.deepEqual([await a.page.evaluate(() => es.shared), await b.page.evaluate(() => es.shared)], ['leader', 'follower']);

        await a.page.goto(`http://localhost:${PAGE_PORT}/cacheable.html?away`);
        await eventually('the other tab leads', async () => (await b.page.evaluate(() => es.shared)) === 'leader');
        await eventually('the new leader connected, resuming', async () => (await stats(k)).connections === 2);
        const before = (await ids(b.page)).ids.length;
        await eventually('events go on in the other tab', async () => (await ids(b.page)).ids.length > before + 5);

        await a.page.goBack({ waitUntil: 'load' });
        await a.page.waitForFunction(() => document.title === 'ready');
        const back = await a.page.evaluate(() => window.log?.shows ?? null);
        if (back === null) {
          assert.deepEqual([...new Set(a.notCached)], ['BroadcastChannelOnMessage'], 'evicted only for the relayed messages');
        } else {
          assert.deepEqual(back, [true], 'restored: pageshow.persisted');
          await eventually('the restored tab follows', async () => (await a.page.evaluate(() => es.shared)) === 'follower');
        }

        const seen = await stats(k);
        // A page going into the cache must give up the leadership in its
        // pagehide (a frozen page cannot later), right after it aborts its
        // request: the abort and the next leader's request race to the
        // server, which saw both open, briefly, in about 1 run in 16. The
        // tab-close and crash hand-overs (shared.test.mjs) hold the lock
        // until the page is gone, and never overlap.
        const [first, second] = seen.spans;
        console.log(`${transport}: bfcache hand-over, gap from the cached leader's close to the next request ${(second[0] - (first[1] ?? Infinity)).toFixed(1)} ms (negative: both open)`);
        assert.equal(seen.connections, 2, 'one hand-over, one new connection');
        assert.match(`${seen.lastEventIds[1]}`, /^\d+$/, 'the new leader resumes');
        const log = await ids(b.page);
        const got = log.ids.map(Number);
        got.forEach((id, i) => i === 0 || assert.equal(id, got[i - 1] + 1, `the other tab's ids are consecutive: ${got}`));
        assert.equal(log.errors, 0, 'a quiet hand-over: no error');
        const roles = log.roles.filter((role, i, all) => role !== all[i - 1]);
        assert.deepEqual(roles.slice(roles.indexOf('leader')), ['leader'], `the follower became the leader for good: ${roles}`);
        assert.deepEqual(b.errors, []);
        await b.page.evaluate(() => es.close());
        if (back !== null) await a.page.evaluate(() => es.close());
        await eventually('the connection closed', async () => (await stats(k)).open === 0);
      } finally {
        await context.close();
      }
    });

    if (transport === 'fetch') {
      test('a page that hides before the wasm has loaded connects only when shown again', async () => {
        const k = key('early');
        const { page, errors } = await newPage(browser);
        const url = `${FIXTURE}/sse/drop?n=3&hold=60000&key=${k}`;
        await page.goto(`http://${HOST}:${PAGE_PORT}/early.html?url=${encodeURIComponent(url)}`);
        await page.waitForFunction(() => document.title === 'ready');
        await page.waitForFunction(() => performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('.wasm')));
        await sleep(500);
        assert.equal((await stats(k)).connections, 0, 'nothing connects while the page is away');
        assert.equal(await page.evaluate(() => es.readyState), 0, 'CONNECTING while away');
        await page.evaluate(() => dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
        await page.waitForFunction(() => window.log.ids.length >= 3, null, { timeout: 10_000 });
        assert.deepEqual(await page.evaluate(() => window.log.ids), ['1', '2', '3']);
        assert.equal((await stats(k)).connections, 1);
        assert.deepEqual(errors, []);
        await page.evaluate(() => es.close());
        await page.close();
      });
    }

    test("whenHidden: { pause } closes after the grace period and resumes when visible", async () => {
      const k = key(`hidden-${transport}`);
      const { page, errors } = await openPage();
      await openSource(page, transport, `${FIXTURE}/sse/drop?n=3&hold=60000&key=${k}`, { pause: 200 });
      await untilIds(page, 3, 'the first connection');

      // Back within the grace period: nothing closes.
      await setVisibility(page, 'hidden');
      await sleep(50);
      await setVisibility(page, 'visible');
      await sleep(300);
      assert.deepEqual([(await stats(k)).connections, (await stats(k)).open], [1, 1]);

      await setVisibility(page, 'hidden');
      await eventually('the paused connection closed', async () => (await stats(k)).open === 0);
      if (transport === 'fetch') assert.equal(await page.evaluate(() => es.readyState), 0, 'CONNECTING while paused');
      await setVisibility(page, 'visible');
      await untilIds(page, 6, 'after the pause');
      const log = await ids(page);
      assert.deepEqual(log.ids, expected);
      assert.deepEqual(log.iterated, expected);
      assert.equal(log.errors, 0);
      assert.equal((await stats(k)).lastEventIds[1], '3');
      assert.deepEqual(errors, []);
      await page.evaluate(() => es.close());
      await page.close();
    });

    test("whenHidden: 'stay' (the default) stays connected; a closed source stays closed", async () => {
      const k = key(`stay-${transport}`);
      const { page } = await openPage();
      await openSource(page, transport, `${FIXTURE}/sse/drop?n=3&hold=60000&key=${k}`);
      await untilIds(page, 3, 'the first connection');
      await setVisibility(page, 'hidden');
      await sleep(300);
      await setVisibility(page, 'visible');
      assert.deepEqual([(await stats(k)).connections, (await stats(k)).open], [1, 1]);
      await page.evaluate(() => {
        es.close();
        dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
        document.dispatchEvent(new Event('resume'));
      });
      await sleep(300);
      assert.equal((await stats(k)).connections, 1);
      await page.close();
    });

    test('a page resumed from frozen reconnects at once, from the last event ID', async () => {
      const k = key(`resume-${transport}`);
      const { page, errors } = await openPage();
      await openSource(page, transport, `${FIXTURE}/sse/drop?n=3&hold=60000&key=${k}`);
      await untilIds(page, 3, 'the first connection');
      await page.evaluate(() => document.dispatchEvent(new Event('resume')));
      await untilIds(page, 6, 'after the resume');
      assert.deepEqual((await ids(page)).ids, expected);
      await eventually('one connection open', async () => (await stats(k)).open === 1);
      assert.equal((await stats(k)).lastEventIds[1], '3');
      assert.deepEqual(errors, []);
      await page.evaluate(() => es.close());
      await page.close();
    });

    test('a bad whenHidden throws in the constructor', async () => {
      const { page } = await openPage();
      const thrown = await page.evaluate((transport) => {
        try {
          new t.api.EventSource('/nowhere', { transport, whenHidden: 'pause' });
          return null;
        } catch (error) {
          return error.name;
        }
      }, transport);
      assert.equal(thrown, 'TypeError');
      await page.close();
    });
  });
}
