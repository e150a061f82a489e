// The package in plain Node (a server-side render imports it; a script may
// use the fetch transport): pkg/index.js imports without a browser, `init()`
// loads the wasm from the file beside it (Node's fetch refuses `file:`
// URLs), and a fetch-transport source reads the fixture server
// (tests/fixture/server.mjs, on a free port) until it is closed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HOST, eventually, requirePackage, root } from './helpers.mjs';

let fixture;
let base;
let pkg;

/** A port nobody listens on now. */
const freePort = () => new Promise((resolve, reject) => {
  const probe = net.createServer().once('error', reject).listen(0, HOST, () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});

before(async () => {
  await requirePackage();
  const port = await freePort();
  base = `http://${HOST}:${port}`;
  fixture = spawn(process.execPath, [path.join(root, 'tests', 'fixture', 'server.mjs')], {
    env: { ...process.env, PORT: String(port), HOST },
    stdio: 'ignore',
  });
  await eventually('the fixture server', () => fetch(`${base}/health`).then((r) => r.ok, () => false));
  pkg = await import(pathToFileURL(path.join(root, 'pkg', 'index.js')).href);
});

after(() => fixture?.kill());

const key = (name) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const stats = (k) => fetch(`${base}/stats?key=${k}`).then((r) => r.json());

test('the package imports in Node, and says what runs here', () => {
  assert.deepEqual(Object.keys(pkg).sort(), ['EventIterator', 'EventSource', 'default', 'isFetchSupported', 'isSupported']);
  assert.equal(pkg.isSupported(), typeof globalThis.EventSource === 'function');
  assert.equal(pkg.isFetchSupported(), true);
});

test('init() with no argument loads the wasm from the file beside the package', async () => {
  const exports = await pkg.default();
  assert.ok(exports.memory instanceof WebAssembly.Memory, 'the wasm exports');
  assert.equal(await pkg.default(), exports, 'loaded once');
});

test('a fetch-transport source reads events, and close() ends the request', async () => {
  const k = key('node-fetch');
  const source = new pkg.EventSource(`${base}/sse/feed?key=${k}&interval=20`, { transport: 'fetch' });
  const ids = [];
  const opened = new Promise((resolve) => source.addEventListener('open', resolve, { once: true }));
  for await (const event of source.events()) {
    ids.push(Number(event.lastEventId));
    if (ids.length === 5) source.close();
  }
  await opened;
  assert.equal(ids.length, 5);
  ids.slice(1).forEach((id, i) => assert.equal(id, ids[i] + 1, `${ids}`));
  assert.equal(source.readyState, pkg.EventSource.CLOSED);
  assert.equal(source.lastEventId, String(ids.at(-1)));
  await eventually('the server sees the stream close', async () => (await stats(k)).open === 0);
});

test('a refusal crosses with its facts: kind, status, willRetry, lastError', async () => {
  const k = key('node-refused');
  const source = new pkg.EventSource(`${base}/sse/status?code=404&key=${k}`, { transport: 'fetch' });
  const event = await new Promise((resolve) => source.addEventListener('error', resolve, { once: true }));
  assert.deepEqual([event.kind, event.status, event.willRetry, source.readyState], ['http', 404, false, 2]);
  assert.equal(source.lastError.kind, 'http');
  assert.equal(source.lastError.status, 404);
  assert.match(source.lastError.message, /will not reconnect \(the server answered HTTP 404/);
});
