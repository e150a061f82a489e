// A quick-start app, built from the README's own code, in headless Chromium:
// serves QUICKSTART_DIR, proxies its `/events` to the fixture server's
// /sse/named (info, message, update, info, then open), and waits until the
// page has logged each line of QUICKSTART_EXPECT (a JSON array). The fetch
// transport must have sent the README's Authorization header, which the
// browser's EventSource cannot send.
//
//   QUICKSTART_DIR=... QUICKSTART_EXPECT='["..."]' WEB_SSE_FIXTURE=http://127.0.0.1:8797 \
//     node --test tests/quickstart/check.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { eventually, HOST, launchBrowser, newPage } from '../e2e/helpers.mjs';

const dir = path.resolve(process.env.QUICKSTART_DIR ?? '');
const expected = JSON.parse(process.env.QUICKSTART_EXPECT ?? '[]');
const fixture = process.env.WEB_SSE_FIXTURE;
const label = process.env.QUICKSTART_LABEL ?? path.basename(dir);

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/** The app's files, and `/events` relayed to the fixture as it comes. */
function startServer(requests) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/events') {
      requests.push({ url: req.url, method: req.method, authorization: req.headers.authorization ?? null });
      const key = `quickstart-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const upstream = http.request(`${fixture}/sse/named?key=${key}`, {
        method: 'GET',
        headers: { accept: 'text/event-stream', ...(req.headers['last-event-id'] ? { 'last-event-id': req.headers['last-event-id'] } : {}) },
      }, (answer) => {
        res.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] ?? 'text/plain', 'cache-control': 'no-store' });
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      upstream.end();
      return;
    }
    // The browser asks for one; the apps have none.
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    const file = path.join(dir, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, HOST, () => resolve(server)));
}

test(`${label}: events arrive on both transports`, async () => {
  assert.ok(fixture, 'WEB_SSE_FIXTURE names the fixture server');
  assert.ok(expected.length > 0, 'QUICKSTART_EXPECT lists the lines to wait for');
  const requests = [];
  const server = await startServer(requests);
  const browser = await launchBrowser();
  try {
    const { page, errors } = await newPage(browser);
    const logged = [];
    page.on('console', (message) => logged.push(message.text()));
    await page.goto(`http://${HOST}:${server.address().port}/`);
    await eventually(`${expected.join(' | ')} in the console (so far: ${JSON.stringify(logged)}; errors: ${errors})`,
      () => expected.every((line) => logged.includes(line)), 30_000);
    assert.deepEqual(errors, []);
    const viaFetch = requests.filter((request) => request.url.includes('via=fetch'));
    const native = requests.filter((request) => !request.url.includes('via=fetch'));
    assert.ok(native.length >= 1 && viaFetch.length >= 1, `both sources connected: ${JSON.stringify(requests)}`);
    assert.ok(native.every((request) => request.authorization === null), 'the native source sends no Authorization');
    assert.ok(viaFetch.every((request) => request.authorization === 'Bearer my-token'), `fetch sent the README's header: ${JSON.stringify(viaFetch)}`);
    console.log(`${label}: ${logged.filter((line) => expected.includes(line)).length} expected lines logged; requests ${JSON.stringify(requests)}`);
  } finally {
    await browser.close();
    server.close();
    server.closeAllConnections();
  }
});
