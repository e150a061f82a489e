// Vite smoke test: tests/vite-app imports the package as 'web-sse', is built
// with `vite build`, served by the dev server (www/server.mjs) on port 18081,
// and receives events in headless Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { build } from 'vite';
import { startServer } from '../../www/server.mjs';
import { HOST, eventually, launchBrowser, newPage, requirePackage, root } from './helpers.mjs';

const PORT = 18081;
const appDir = path.join(root, 'tests', 'vite-app');
const outDir = path.join(root, 'test-output', 'vite-app');

let server;
let browser;
let page;
let errors;

const text = (id) => page.textContent(`#${id}`);

before(async () => {
  await requirePackage();
  await build({ configFile: path.join(appDir, 'vite.config.mjs') });
  server = await startServer({ host: HOST, port: PORT, intervalMs: 200, staticDirs: { '/': outDir } });
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Whether Vite emitted the wasm as a file (it inlines assets under 4 KiB as data: URLs). */
let wasmEmitted;

test('vite build bundles the entry and the glue, and the wasm as an asset or inline', async () => {
  const assets = await fs.readdir(path.join(outDir, 'assets'));
  const scripts = assets.filter((name) => name.endsWith('.js'));
  assert.ok(scripts.length >= 1, `a bundled script in ${assets}`);
  const bundle = (await Promise.all(scripts.map((name) => fs.readFile(path.join(outDir, 'assets', name), 'utf8')))).join('\n');
  assert.ok(!bundle.includes("from 'web-sse'") && !bundle.includes('from "web-sse"'), 'the import is resolved');
  assert.ok(bundle.includes('addJsonListener'), 'the package entry is in the bundle');
  assert.ok(bundle.includes('__wbg_init') || bundle.includes('WebAssembly.instantiate'), 'the wasm glue is in the bundle');
  wasmEmitted = assets.some((name) => name.endsWith('.wasm'));
  assert.ok(wasmEmitted || bundle.includes('data:application/wasm;base64,'), `the wasm in ${assets}, or inline`);
});

test('the built app connects and receives events', async () => {
  const wasmResponses = [];
  page.on('response', (response) => {
    if (response.url().endsWith('.wasm')) wasmResponses.push([response.status(), response.headers()['content-type']]);
  });
  await page.goto(server.url);
  await eventually('state OPEN', async () => (await page.getAttribute('#state', 'data-state')) === 'OPEN');
  await eventually('two messages by listener', async () => Number(await text('listener')) >= 2);
  await eventually('two messages by iterator', async () => Number(await text('iterator')) >= 2);
  await eventually('the info event', async () => /open stream/.test(await text('info')));
  await eventually('JSON stats', async () => (await text('clients')) === '1');
  assert.deepEqual(wasmResponses, wasmEmitted ? [[200, 'application/wasm']] : []);
  assert.equal(server.openStreams(), 1);
});

test('close ends the iterator loop and the stream', async () => {
  await page.evaluate(() => window.source.close());
  await eventually('state CLOSED', async () => (await page.getAttribute('#state', 'data-state')) === 'CLOSED');
  await eventually('the server sees the stream close', () => server.openStreams() === 0);
  assert.deepEqual(errors, []);
});
