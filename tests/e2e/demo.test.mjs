// End-to-end: the demo page (www/) served by the real dev server
// (www/server.mjs), in headless Chromium. Saves test-output/demo.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer } from '../../www/server.mjs';
import { HOST, eventually, launchBrowser, newPage, requirePackage, root, sleep } from './helpers.mjs';

const PORT = 18080;
const INTERVAL_MS = 250;

let server;
let browser;
let page;
let errors;

const state = () => page.getAttribute('#state', 'data-state');
const rows = (type) => page.locator(`#log tr[data-type="${type}"]`).count();
const waitForState = (want) => eventually(`state ${want}`, async () => (await state()) === want);

before(async () => {
  await requirePackage();
  server = await startServer({ host: HOST, port: PORT, intervalMs: INTERVAL_MS });
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page says EventSource is supported and reaches OPEN', async () => {
  await waitForState('OPEN');
  assert.equal(await page.getAttribute('#supported', 'data-supported'), 'true');
  assert.equal(await page.textContent('#url'), `${server.url}events`);
  assert.equal(await page.textContent('#credentials'), 'false');
  assert.equal(server.openStreams(), 1);
});

test('clock messages arrive with increasing ids, with connecttime and JSON stats', async () => {
  await eventually('two clock messages', async () => (await rows('message')) >= 2);
  // Newest first: the first row has the highest id.
  const ids = await page.locator('#log tr[data-type="message"] td:nth-child(4)').allTextContents();
  const numbers = ids.map(Number);
  assert.ok(numbers.every(Number.isInteger), `ids are numbers: ${ids}`);
  assert.ok(numbers[0] > numbers[1], `ids increase: ${ids}`);
  const data = await page.locator('#log tr[data-type="message"] td:nth-child(3)').first().textContent();
  assert.ok(!Number.isNaN(Date.parse(data)), `message data is the server time: ${data}`);
  assert.equal(await page.textContent('#clock'), data);
  assert.equal(await rows('connecttime'), 1);
  await eventually('the stats JSON listener', async () => /^\d+$/.test(await page.textContent('#clients')));
});

test('the custom info event appears', async () => {
  await eventually('an info event', async () => Number(await page.getAttribute('#info', 'data-count')) >= 1);
  assert.match(await page.textContent('#info'), /open stream/);
  assert.ok((await rows('info')) >= 1);
});

test('close moves the state to CLOSED and no further events arrive', async () => {
  await page.click('#close');
  await waitForState('CLOSED');
  assert.ok(await page.isDisabled('#close'));
  await eventually('the server to see the stream close', () => server.openStreams() === 0);
  const messages = await rows('message');
  const infos = await rows('info');
  await sleep(INTERVAL_MS * 5);
  assert.equal(await rows('message'), messages, 'no message after close');
  assert.equal(await rows('info'), infos, 'no info after close');
  assert.equal(await state(), 'CLOSED');
});

test('reconnect opens it again and events resume', async () => {
  const before = await rows('message');
  await page.click('#reconnect');
  await waitForState('OPEN');
  await eventually('new messages after reconnect', async () => (await rows('message')) >= before + 2);
  assert.equal(server.openStreams(), 1);
});

test('the withCredentials toggle reopens the source with credentials', async () => {
  await page.check('#with-credentials');
  await eventually('withCredentials true', async () => (await page.textContent('#credentials')) === 'true');
  await waitForState('OPEN');
  const before = await rows('message');
  await eventually('messages with credentials', async () => (await rows('message')) > before);
  // The old source was closed: only the new stream is open.
  await eventually('one open stream', () => server.openStreams() === 1);
});

test('the POST-stream panel streams the answer word by word through fromReadableStream', async () => {
  await page.fill('#prompt', 'hello there');
  await page.click('#ask');
  await eventually('streaming', async () => (await page.getAttribute('#answer', 'data-state')) === 'streaming');
  // Read while it streams: the text grows before it is done.
  const early = await eventually('the first words', async () => (await page.textContent('#answer')) || false);
  await eventually('the answer to finish', async () => (await page.getAttribute('#answer', 'data-state')) === 'done', 15_000);
  const answer = await page.textContent('#answer');
  assert.ok(answer.startsWith('You asked: “hello there”.'), answer);
  assert.ok(answer.endsWith('as it arrives.'), answer);
  assert.ok(early.length < answer.length, `seen while streaming: ${early}`);
});

test('screenshot, and no page errors', async () => {
  await eventually('a full log', async () => (await rows('message')) >= 4);
  const out = path.join(root, 'test-output');
  await fs.mkdir(out, { recursive: true });
  await page.screenshot({ path: path.join(out, 'demo.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
