// Browser tests for the framework examples (examples/yew-live, examples/leptos-live,
// examples/dioxus-live).
//
//   bash scripts/build-examples.sh && node tests/examples/run.mjs
//   (or: npm run test:examples)
//
// Starts the real demo SSE server (www/server.mjs) on 127.0.0.1:18090, serves
// each example's dist/ from its own origin (so the stream is cross-origin,
// through the server's CORS headers), and drives headless Chromium with
// playwright-core. For each example it checks that the state reaches open,
// live events and the typed JSON `stats` event render, close/reconnect work,
// and that unmounting the live component stops delivery and the server sees
// its stream close.
//
// Then the hooks' own paths, against the test fixture (tests/fixture/server.mjs,
// started on 127.0.0.1:18093): recovery without a click after the server
// answered 503 twice, on_failed once the reconnect limit is spent, a URL
// change (the old stream closes on the server, the new one opens), lazy open,
// and the `keep` bound, including 0.
//
// Last, frame batching: a stream of 1,000 events at 1,000 a second (served
// here, on 127.0.0.1:18096), with `batch=frame` and without. Each example
// shows how often its live view rendered (`#renders`); the page counts the
// animation frames it ran. Batched, the renders stay within the frames (plus
// the few renders of the connection's own state); per event, they are far
// more. The counts are printed.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer as startDemo } from '../../www/server.mjs';
import { launchBrowser } from '../../support/browser.mjs';
import { root } from '../../support/paths.mjs';
import { HOST, startServer } from '../../support/server.mjs';
import { eventually, sleep } from '../../support/wait.mjs';
import { startFixture } from '../fixture/server.mjs';

const SSE_PORT = 18090;
const FIXTURE_PORT = 18093;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;
const INTERVAL_MS = 250;
// EXAMPLES=dioxus-live (a comma-separated list) runs only those.
const EXAMPLES = [
  { name: 'yew-live', port: 18091, title: 'web-sse + Yew' },
  { name: 'leptos-live', port: 18092, title: 'web-sse + Leptos' },
  { name: 'dioxus-live', port: 18095, title: 'web-sse + Dioxus' },
].filter(({ name }) => !process.env.EXAMPLES || process.env.EXAMPLES.split(',').includes(name));
const RATE_PORT = 18096;
const RATE_EVENTS = 1000;
const RATE_PER_S = 1000;
// Renders besides the events': the first one, and the state's own changes
// (connecting, open, the source, the error cleared).
const RENDER_SLACK = 8;

let sse;
let fixture;
let rate;
let browser;
const statics = [];

async function serverStats() {
  const res = await fetch(`http://${HOST}:${SSE_PORT}/stats`);
  assert.equal(res.status, 200);
  return res.json();
}

async function waitForOpenStreams(n, what) {
  return eventually(`${what}: server reports ${n} open stream(s)`, async () => {
    const stats = await serverStats();
    return stats.open === n ? stats : false;
  });
}

before(async () => {
  for (const { name } of EXAMPLES) {
    const index = path.join(root, 'examples', name, 'dist', 'index.html');
    await fs.access(index).catch(() => {
      throw new Error(`${index} is missing: run bash scripts/build-examples.sh first`);
    });
  }
  sse = await startDemo({ host: HOST, port: SSE_PORT, intervalMs: INTERVAL_MS });
  fixture = await startFixture({ port: FIXTURE_PORT });
  // Each example's dist/ on its own origin: the streams are cross-origin.
  for (const { name, port } of EXAMPLES) {
    statics.push(await startServer({ port, mounts: { '/': path.join(root, 'examples', name, 'dist') } }));
  }
  rate = await startServer({ port: RATE_PORT, routes: [{ '/rate': rateStream }] });
  browser = await launchBrowser();
});

/**
 * `n` events (id and data `tick <id>`) at `per_s` a second, in writes every
 * few ms of the events then due, so they arrive spread over the second and
 * not in one chunk; then the stream stays open.
 */
function rateStream(req, res, { query, openStream }) {
  const n = Number(query.get('n') || RATE_EVENTS);
  const perS = Number(query.get('per_s') || RATE_PER_S);
  const stream = openStream({ keepAlive: false });
  const start = performance.now();
  let sent = 0;
  stream.every(2, () => {
    const due = Math.min(n, Math.floor(((performance.now() - start) * perS) / 1000));
    const batch = [];
    for (; sent < due; sent += 1) batch.push({ id: String(sent + 1), data: `tick ${sent + 1}` });
    if (batch.length > 0) stream.send(batch);
  });
}

after(async () => {
  await browser?.close();
  for (const s of statics) await s.close();
  await sse?.close();
  await fixture?.close();
  await rate?.close();
});

const uniqueKey = (name) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const fixtureUrl = (route, params) => `${FIXTURE}${route}?${new URLSearchParams(params)}`;

/** What the fixture saw for `key`: connections, open, closedAt, ... */
async function fixtureStats(key) {
  const res = await fetch(`${FIXTURE}/stats?key=${encodeURIComponent(key)}`);
  assert.equal(res.status, 200);
  return res.json();
}

/**
 * Opens the example with these query parameters; `errors` collects uncaught
 * exceptions (not console errors: the browser logs each 503 it is refused).
 */
async function openExample(example, query, { init } = {}) {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  if (init) await page.addInitScript(init);
  await page.goto(`http://${HOST}:${example.port}/?${new URLSearchParams(query)}`);
  await page.waitForSelector('h1', { timeout: 10_000 });
  const text = async (selector) => (await page.textContent(selector)) ?? '';
  return { page, errors, text, state: () => page.getAttribute('#state', 'data-state') };
}

for (const example of EXAMPLES) {
  describe(example.name, () => {
    let page;
    const pageErrors = [];

    const delivered = async () => Number(await page.textContent('#delivered'));
    const state = () => page.getAttribute('#state', 'data-state');

    before(async () => {
      // Each example starts from a server with no streams, so counts are its own.
      await waitForOpenStreams(0, `before ${example.name}`);
      page = await browser.newPage();
      page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
      });
      const events = encodeURIComponent(`http://${HOST}:${SSE_PORT}/events`);
      await page.goto(`http://${HOST}:${example.port}/?events=${events}`);
    });

    after(async () => {
      await page?.close();
    });

    it('its generated glue exports nothing of web-sse (the js feature is off)', async () => {
      const crate = example.name.replace(/-/g, '_');
      const glue = await fs.readFile(path.join(root, 'examples', example.name, 'dist', 'pkg', `${crate}.js`), 'utf8');
      const declared = [...glue.matchAll(/^export (?:class|function|const|let) (\w+)/gm)].map((m) => m[1]);
      const listed = [...glue.matchAll(/^export \{([^}]*)\}/gm)]
        .flatMap((m) => m[1].split(','))
        .map((item) => item.trim().split(/\s+as\s+/).pop());
      const exported = [...declared, ...listed];
      // The glue's own init functions are there: the parse found the exports.
      assert.ok(exported.includes('initSync'), `exports: ${exported}`);
      const ours = exported.filter((name) => /EventSource|EventIterator|isSupported/.test(name));
      assert.deepEqual(ours, [], `exports: ${exported}`);
    });

    it('renders the app', async () => {
      await page.waitForSelector('h1', { timeout: 10_000 });
      assert.equal(await page.textContent('h1'), example.title);
    });

    it('state reaches open, on exactly one server stream', async () => {
      await page.waitForSelector('#state[data-state="open"]', { timeout: 10_000 });
      // The typed JSON subscription shares the connection: one stream, not two.
      const stats = await waitForOpenStreams(1, 'after open');
      assert.equal(stats.open, 1);
    });

    it('renders at least two live events', async () => {
      await eventually('two message events in the list', async () =>
        (await page.$$('#events li.event[data-type="message"]')).length >= 2);
      const ids = await page.$$eval('#events li.event[data-type="message"]', (lis) =>
        lis.map((li) => Number(li.dataset.id)));
      // Newest first, with the server's increasing ids.
      assert.ok(ids.every((id) => Number.isInteger(id) && id > 0), `ids: ${ids}`);
      assert.ok(ids[0] > ids[1], `newest first: ${ids}`);
      const types = await page.$$eval('#events li.event', (lis) => lis.map((li) => li.dataset.type));
      assert.ok(types.includes('connecttime') || types.includes('info'),
        `named events are listed too: ${types}`);
    });

    it('renders the typed JSON stats event field by field', async () => {
      await page.waitForSelector('#stats-seq', { timeout: 10_000 });
      const first = Number(await page.textContent('#stats-seq'));
      const time = await page.textContent('#stats-time');
      const clients = Number(await page.textContent('#stats-clients'));
      assert.ok(Number.isInteger(first) && first >= 1, `seq ${first}`);
      assert.ok(!Number.isNaN(Date.parse(time)), `time is ISO: ${time}`);
      assert.equal(clients, 1, 'clients is the one open stream');
      // It keeps updating with the stream.
      await eventually('a newer stats seq', async () =>
        Number(await page.textContent('#stats-seq')) > first);
      assert.equal(await page.$('#stats-error'), null, 'no JSON decode error');
    });

    it('close stops delivery and the server sees the stream close; reconnect resumes', async () => {
      await page.click('#close');
      await eventually('state closed', async () => (await state()) === 'closed');
      await waitForOpenStreams(0, 'after close');
      const before = await delivered();
      await sleep(INTERVAL_MS * 4);
      assert.equal(await delivered(), before, 'no events after close');

      const totalBefore = (await serverStats()).total;
      await page.click('#reconnect');
      await eventually('state open again', async () => (await state()) === 'open');
      await waitForOpenStreams(1, 'after reconnect');
      assert.equal((await serverStats()).total, totalBefore + 1, 'one new stream');
      await eventually('events flow again', async () => (await delivered()) >= before + 2);
    });

    it('unmounting the live view stops delivery and closes its stream', async () => {
      assert.equal((await serverStats()).open, 1);
      await page.click('#toggle');
      await page.waitForSelector('#unmounted', { timeout: 5_000 });
      assert.equal(await page.$('#live'), null, 'live view is gone');
      await waitForOpenStreams(0, 'after unmount');
      const atUnmount = await delivered();
      // The counter lives outside the unmounted component: a leaked
      // subscription would keep raising it.
      await sleep(INTERVAL_MS * 6);
      assert.equal(await delivered(), atUnmount, 'no events delivered after unmount');
      assert.equal((await serverStats()).open, 0);
    });

    it('mounting again opens a fresh stream', async () => {
      await page.click('#toggle');
      await page.waitForSelector('#state[data-state="open"]', { timeout: 10_000 });
      await waitForOpenStreams(1, 'after remount');
      await page.close();
      page = null;
      await waitForOpenStreams(0, 'after the page closed');
    });

    it('logged no page errors', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}

for (const example of EXAMPLES) {
  describe(`${example.name}: the hook`, () => {
    it('recovers without a click after the server answered 503 twice', async () => {
      const key = uniqueKey('fail-then-ok');
      const app = await openExample(example, {
        events: fixtureUrl('/sse/fail', { key, k: 2, code: 503 }),
        types: 'ready',
        retries: 3,
        interval: 100,
      });
      try {
        // The third attempt gets the stream, whose `ready` event carries
        // the server's count of attempts.
        await eventually('state open and the ready event', async () =>
          (await app.state()) === 'open' && (await app.text('#latest')) === '3');
        const stats = await fixtureStats(key);
        assert.equal(stats.connections, 3, 'two refused attempts and the one that opened');
        assert.equal(stats.open, 1);
        assert.equal(await app.text('#failed'), '0', 'on_failed was not called');
        assert.equal(await app.page.$('#error'), null, 'the error cleared when it opened');
        assert.deepEqual(app.errors, []);
      } finally {
        await app.page.close();
      }
    });

    it('calls on_failed once the reconnect limit is spent, and stops trying', async () => {
      const key = uniqueKey('fail-for-good');
      const app = await openExample(example, {
        events: fixtureUrl('/sse/fail', { key, k: 100, code: 503 }),
        types: 'ready',
        retries: 2,
        interval: 50,
      });
      try {
        await eventually('on_failed called', async () => (await app.text('#failed')) === '1');
        assert.equal(await app.state(), 'closed');
        assert.ok((await app.text('#error')).length > 0, 'the connection error is shown');
        const { connections } = await fixtureStats(key);
        // The first connection and the two attempts the limit allows.
        assert.equal(connections, 3);
        // Nothing is scheduled after the failure: a reconnect would have
        // been due within the 50-100 ms backoff.
        await sleep(500);
        assert.equal((await fixtureStats(key)).connections, connections, 'no attempt after the failure');
        assert.equal(await app.text('#failed'), '1');
        assert.deepEqual(app.errors, []);
      } finally {
        await app.page.close();
      }
    });

    it('a new URL closes the old stream on the server and opens the new one', async () => {
      const [a, b] = [uniqueKey('url-a'), uniqueKey('url-b')];
      const app = await openExample(example, {
        events: fixtureUrl('/sse/tick', { key: a, interval: 50 }),
        alt: fixtureUrl('/sse/tick', { key: b, interval: 50 }),
      });
      try {
        await eventually('stream A open', async () => (await fixtureStats(a)).open === 1);
        await eventually('state open', async () => (await app.state()) === 'open');
        await app.page.click('#switch');
        await eventually('A closed and B open on the server', async () => {
          const [sa, sb] = [await fixtureStats(a), await fixtureStats(b)];
          return sa.open === 0 && sa.closedAt !== null && sb.open === 1;
        });
        assert.equal((await fixtureStats(a)).connections, 1, 'A was not reopened');
        assert.equal((await fixtureStats(b)).connections, 1, 'one connection to B');
        assert.ok((await app.text('#url')).includes(b));
        // B's events reach the view; its first is `tick 1`.
        await eventually('events from B', async () => /^tick \d+$/.test(await app.text('#latest'))
          && (await fixtureStats(b)).sent >= 2);
        assert.equal(await app.state(), 'open');
        assert.deepEqual(app.errors, []);
      } finally {
        await app.page.close();
      }
    });

    it('with immediate(false) connects only on open()', async () => {
      const key = uniqueKey('lazy');
      const app = await openExample(example, {
        events: fixtureUrl('/sse/tick', { key, interval: 50 }),
        lazy: 1,
      });
      try {
        assert.equal(await app.state(), 'closed');
        // An eager hook would have connected within a few ms of rendering.
        await sleep(500);
        assert.equal((await fixtureStats(key)).connections, 0, 'no connection before open()');
        assert.equal(await app.state(), 'closed');
        await app.page.click('#open');
        await eventually('state open', async () => (await app.state()) === 'open');
        await eventually('one stream open', async () => (await fixtureStats(key)).open === 1);
        // open() while open does nothing.
        await app.page.click('#open');
        await eventually('events flow', async () => Number(await app.text('#delivered')) >= 2);
        assert.equal((await fixtureStats(key)).connections, 1);
        assert.deepEqual(app.errors, []);
      } finally {
        await app.page.close();
      }
    });

    for (const keep of [3, 0]) {
      it(`keep(${keep}) holds at most ${keep} events however many arrive`, async () => {
        const key = uniqueKey(`keep-${keep}`);
        const app = await openExample(example, {
          events: fixtureUrl('/sse/tick', { key, interval: 10 }),
          types: 'message',
          keep,
        });
        try {
          await eventually('20 events delivered', async () => Number(await app.text('#delivered')) >= 20);
          const items = await app.page.$$eval('#events li.event', (lis) => lis.map((li) => Number(li.dataset.id)));
          assert.equal(items.length, keep, `ids in the list: ${items}`);
          assert.equal(Number(await app.text('#count')), keep);
          // The latest event is there even when none is kept.
          assert.match(await app.text('#latest'), /^tick \d+$/);
          if (keep > 0) {
            // The newest, newest first, consecutive.
            assert.deepEqual(items, items.map((_, i) => items[0] - i), `ids: ${items}`);
            assert.ok(items[0] >= 20, `ids: ${items}`);
          }
          assert.deepEqual(app.errors, []);
        } finally {
          await app.page.close();
        }
      });
    }
  });
}

// Counts the animation frames the page runs, from its first script on.
function countFrames() {
  window.framesSeen = 0;
  const tick = () => {
    window.framesSeen += 1;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

const renderCounts = [];

for (const example of EXAMPLES) {
  describe(`${example.name}: batch`, () => {
    for (const batch of ['frame', 'event']) {
      it(`batch=${batch}: ${RATE_EVENTS} events at ${RATE_PER_S}/s`, async () => {
        const app = await openExample(example, {
          events: `http://${HOST}:${RATE_PORT}/rate?${new URLSearchParams({ n: RATE_EVENTS, per_s: RATE_PER_S })}`,
          types: 'message',
          keep: 20,
          batch,
        }, { init: countFrames });
        try {
          await eventually(`the last event, tick ${RATE_EVENTS}`, async () =>
            (await app.text('#latest')) === `tick ${RATE_EVENTS}`);
          const renders = Number(await app.text('#renders'));
          const frames = await app.page.evaluate(() => window.framesSeen);
          renderCounts.push({ example: example.name, batch, events: RATE_EVENTS, renders, frames });
          console.log(`# ${example.name} batch=${batch}: ${RATE_EVENTS} events, ${renders} renders, ${frames} frames`);
          // Every event reached on_event, and the list holds the newest 20 in order.
          assert.equal(Number(await app.text('#delivered')), RATE_EVENTS);
          const ids = await app.page.$$eval('#events li.event', (lis) => lis.map((li) => Number(li.dataset.id)));
          assert.deepEqual(ids, ids.map((_, i) => RATE_EVENTS - i), `ids: ${ids}`);
          assert.equal(ids.length, 20);
          assert.ok(frames > 0, 'the page ran animation frames');
          if (batch === 'frame') {
            assert.ok(renders <= frames + RENDER_SLACK,
              `batched: ${renders} renders for ${frames} frames (slack ${RENDER_SLACK})`);
          } else {
            // Per event, the renders follow the events, not the frames: the
            // bound above would fail here.
            assert.ok(renders > frames + RENDER_SLACK,
              `per event: ${renders} renders for ${frames} frames`);
          }
          assert.deepEqual(app.errors, []);
        } finally {
          await app.page.close();
        }
      });
    }
  });
}

after(() => {
  if (renderCounts.length > 0) console.log(`# render counts: ${JSON.stringify(renderCounts)}`);
});
