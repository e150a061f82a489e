// Browser tests for the framework examples (examples/yew-live, examples/leptos-live).
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

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer } from '../../www/server.mjs';
import { eventually, HOST, launchBrowser, root } from '../e2e/helpers.mjs';

const SSE_PORT = 18090;
const INTERVAL_MS = 250;
const EXAMPLES = [
  { name: 'yew-live', port: 18091, title: 'web-sse + Yew' },
  { name: 'leptos-live', port: 18092, title: 'web-sse + Leptos' },
];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Serves `dir` read-only on its own origin; dist/ is all static files. */
function serveStatic(dir, port) {
  const server = http.createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, `http://${HOST}`).pathname);
    const file = path.join(dir, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (!file.startsWith(dir + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve(server));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let sse;
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
  sse = await startServer({ host: HOST, port: SSE_PORT, intervalMs: INTERVAL_MS });
  for (const { name, port } of EXAMPLES) {
    statics.push(await serveStatic(path.join(root, 'examples', name, 'dist'), port));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of statics) {
    s.closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
  await sse?.close();
});

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
