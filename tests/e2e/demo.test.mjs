// End-to-end: the demo page (www/) served by the real dev server
// (www/server.mjs), in headless Chromium: the transport switch, the
// reconnect state in words, drops that resume without a gap, the shared
// role across two tabs. Saves test-output/demo.png (docs/demo.png is a copy).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer } from '../../www/server.mjs';
import { HOST, eventually, launchBrowser, requirePackage, root, sleep } from './helpers.mjs';

const PORT = 18080;
const INTERVAL_MS = 250;
const VIEWPORT = { width: 1100, height: 1400 };

let server;
let browser;
let page;
const errors = [];
// What Chromium logs, as it should, for a stream the server cut and for a refused attempt.
const EXPECTED = [
  'console.error: Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING',
  'console.error: Failed to load resource: the server responded with a status of 503 (Service Unavailable)',
];

/** A page in `context` that records its errors, like newPage(). */
async function openPage(context, query = '') {
  const tab = await context.newPage();
  tab.setDefaultTimeout(15_000);
  tab.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  tab.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  await tab.goto(`${server.url}${query}`);
  return tab;
}

const state = (p = page) => p.getAttribute('#state', 'data-state');
const rows = (type, p = page) => p.locator(`#log tr[data-type="${type}"]`).count();
const waitForState = (want, p = page) => eventually(`state ${want}`, async () => (await state(p)) === want);
const serverStreams = () => fetch(`${server.url}stats`).then((r) => r.json()).then((s) => s.events);
const texts = (type, p = page) => p.locator(`#log tr[data-type="${type}"] td:nth-child(3)`).allTextContents();

/** The ids of the clock messages in the log, oldest first. */
async function messageIds(p = page) {
  const ids = await p.locator('#log tr[data-type="message"] td:nth-child(4)').allTextContents();
  return ids.map(Number).reverse();
}

/** Every message id in the log is the one before it plus one: no gap, no repeat. */
async function assertNoGap(p = page) {
  const ids = await messageIds(p);
  assert.ok(ids.length >= 2, `messages in the log: ${ids}`);
  for (let i = 1; i < ids.length; i += 1) {
    assert.equal(ids[i], ids[i - 1] + 1, `ids continue without a gap: …${ids.slice(Math.max(0, i - 3), i + 3)}…`);
  }
}

/** Waits for the next resume after `from` and checks it lost nothing. */
async function assertLosslessResume(from, p = page) {
  await eventually(`a resume after id ${from}`, async () => {
    const resume = await p.$eval('#resume', (el) => ({ ...el.dataset }));
    return resume.state !== 'waiting' && Number(resume.from) >= from && resume.next !== undefined;
  });
  const resume = await p.$eval('#resume', (el) => ({ text: el.textContent, ...el.dataset }));
  assert.equal(resume.state, 'lossless', resume.text);
  assert.equal(Number(resume.next), Number(resume.from) + 1);
  assert.equal(resume.text, `resumed from id ${resume.from}, nothing lost`);
  await eventually('two messages after the resume', async () => (await messageIds(p)).at(-1) >= Number(resume.next) + 1);
  await assertNoGap(p);
  return Number(resume.from);
}

const lastId = async (p = page) => (await messageIds(p)).at(-1);

before(async () => {
  await requirePackage();
  server = await startServer({ host: HOST, port: PORT, intervalMs: INTERVAL_MS });
  browser = await launchBrowser();
  page = await openPage(await browser.newContext({ viewport: VIEWPORT }));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page says EventSource is supported, reaches OPEN and leads its shared source', async () => {
  await waitForState('OPEN');
  assert.equal(await page.getAttribute('#supported', 'data-supported'), 'true');
  assert.equal(await page.textContent('#url'), `${server.url}events`);
  assert.equal(await page.textContent('#transport'), 'native');
  assert.equal(await page.textContent('#credentials'), 'false');
  await eventually('the state line', async () => (await page.textContent('#state-text')) === 'open');
  assert.equal(await page.getAttribute('#state-text', 'aria-live'), 'polite');
  await eventually('the leader role', async () => (await page.getAttribute('#role', 'data-role')) === 'leader');
  assert.match(await page.textContent('#role-text'), /holds the connection/);
  await eventually('the server count', async () => (await page.getAttribute('#server-open', 'data-open')) === '1');
  assert.equal(server.openStreams(), 1);
});

test('clock messages arrive with consecutive ids, with connecttime and JSON stats', async () => {
  await eventually('two clock messages', async () => (await rows('message')) >= 2);
  await assertNoGap();
  const data = await page.locator('#log tr[data-type="message"] td:nth-child(3)').first().textContent();
  assert.ok(!Number.isNaN(Date.parse(data)), `message data is the server time: ${data}`);
  assert.equal(await rows('connecttime'), 1);
  // The stats JSON listener writes the time of the latest tick.
  await eventually('the stats JSON listener', async () => !Number.isNaN(Date.parse(await page.textContent('#clock'))));
});

test('the custom info event appears', async () => {
  await eventually('an info event', async () => Number(await page.getAttribute('#info', 'data-count')) >= 1);
  assert.match(await page.textContent('#info'), /open stream/);
  assert.ok((await rows('info')) >= 1);
});

test('native: the server drops the stream, the browser resumes from the last id and nothing is lost', async () => {
  const before = await lastId();
  const opens = await rows('open');
  await page.click('#drop');
  await eventually('the drop in the log', async () => (await texts('drop')).some((t) => t.startsWith('the server cut 1 stream')));
  const from = await assertLosslessResume(before);
  assert.ok(from >= before);
  assert.ok((await rows('open')) > opens, 'a new connection opened');
  // The clock kept ticking during the gap: the resume replayed what was missed.
  await waitForState('OPEN');
  await eventually('one stream on the server', async () => (await serverStreams()) === 1);
});

test('the transport switch reopens on fetch and back on native, resuming each time', async () => {
  for (const transport of ['fetch', 'native']) {
    const before = await lastId();
    await page.check(`input[name="transport"][value="${transport}"]`);
    await eventually(`the ${transport} transport`, async () => (await page.textContent('#transport')) === transport);
    assert.equal(new URL(page.url()).searchParams.get('transport'), transport, 'a second tab opens with the same transport');
    assert.equal(await page.getAttribute('#second-tab', 'href'), page.url());
    await assertLosslessResume(before);
    await waitForState('OPEN');
    // The old source closed: one stream on the server.
    await eventually('one stream on the server', async () => (await serverStreams()) === 1);
  }
});

for (const transport of ['fetch', 'native']) {
  test(`${transport}: a drop with 503s shows the backoff in words, then resumes without loss`, async (t) => {
    await page.check(`input[name="transport"][value="${transport}"]`);
    await eventually(`the ${transport} transport`, async () => (await page.textContent('#transport')) === transport);
    await waitForState('OPEN');
    await page.check('#refuse');
    const before = await lastId();
    const mark = Number(await page.getAttribute('#log tr', 'data-seq'));
    await page.click('#drop');
    const from = await assertLosslessResume(before);
    await page.uncheck('#refuse');
    // The states this drop went through, oldest first.
    const seen = await page.$$eval('#log tr[data-type="statechange"]', (trs, after) => trs
      .filter((tr) => Number(tr.dataset.seq) > after)
      .map((tr) => tr.cells[2].textContent)
      .reverse(), mark);
    t.diagnostic(`states: ${seen.join(' | ')}`);
    const waits = seen.filter((t) => /^reconnecting in \d+ s \(attempt \d+\)$/.test(t));
    const attempts = waits.map((t) => Number(/attempt (\d+)/.exec(t)[1]));
    assert.ok(attempts.length >= 2, `two waits in words: ${seen.join(' | ')}`);
    assert.ok(Math.max(...attempts) >= 2, `a second attempt: ${seen.join(' | ')}`);
    assert.equal(seen.at(-1), 'open', `ends open: ${seen.join(' | ')}`);
    assert.ok((await texts('error')).some((t) => t.startsWith('dropped; reconnecting')));
    assert.ok(from >= before);
    await eventually('one stream on the server', async () => (await serverStreams()) === 1);
  });
}

test('two tabs of one browser share one connection: one leader, one follower', async () => {
  // This page's own source would be a third connection: close it first.
  await page.click('#close');
  await waitForState('CLOSED');
  await eventually('no stream on the server', async () => (await serverStreams()) === 0);

  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const first = await openPage(context, '?transport=native');
    await eventually('the first tab to lead', async () => (await first.getAttribute('#role', 'data-role')) === 'leader');
    const second = await openPage(context, '?transport=native');
    await waitForState('OPEN', second);
    await eventually('the second tab to follow', async () => (await second.getAttribute('#role', 'data-role')) === 'follower');
    assert.match(await second.textContent('#role-text'), /another tab's connection serves this tab/);
    assert.equal(await first.getAttribute('#role', 'data-role'), 'leader');
    for (const tab of [first, second]) {
      await eventually('the server count in the tab', async () => (await tab.getAttribute('#server-open', 'data-open')) === '1');
    }
    assert.equal(await serverStreams(), 1);
    await eventually('messages in the second tab', async () => (await rows('message', second)) >= 2);
    await assertNoGap(second);

    // A drop cuts the one connection: the leader resumes without loss, and
    // the follower (whether or not the leader's reconnect reaches it as an
    // error) gets every id too.
    const before = await lastId(first);
    const followed = await lastId(second);
    await second.click('#drop');
    await assertLosslessResume(before, first);
    await eventually('the follower to get the ids after the drop', async () => (await lastId(second)) >= Number(await first.getAttribute('#resume', 'data-next')) + 1);
    assert.ok((await messageIds(second)).includes(followed));
    await assertNoGap(second);
    await eventually('one stream on the server', async () => (await serverStreams()) === 1);
  } finally {
    await context.close();
  }
  await eventually('no stream on the server', async () => (await serverStreams()) === 0);
});

test('close leaves the source CLOSED and no further events arrive', async () => {
  assert.equal(await state(), 'CLOSED');
  assert.ok(await page.isDisabled('#close'));
  assert.equal(await page.textContent('#state-text'), 'closed');
  const messages = await rows('message');
  const infos = await rows('info');
  await sleep(INTERVAL_MS * 5);
  assert.equal(await rows('message'), messages, 'no message after close');
  assert.equal(await rows('info'), infos, 'no info after close');
  assert.equal(await state(), 'CLOSED');
});

test('reconnect opens it again from the last id: the ticks missed while closed arrive', async () => {
  const before = await lastId();
  await page.click('#reconnect');
  await waitForState('OPEN');
  await assertLosslessResume(before);
  assert.equal(server.openStreams(), 1);
});

test('the withCredentials toggle reopens the source with credentials', async () => {
  await page.check('#with-credentials');
  await eventually('withCredentials true', async () => (await page.textContent('#credentials')) === 'true');
  await waitForState('OPEN');
  const before = await rows('message');
  await eventually('messages with credentials', async () => (await rows('message')) > before);
  // The old source was closed: only the new stream is open.
  await eventually('one open stream', async () => (await serverStreams()) === 1);
  await assertNoGap();
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

test('screenshot of a lossless resume after two refusals, and no page errors', async () => {
  await page.uncheck('#with-credentials');
  await waitForState('OPEN');
  await page.check('#refuse');
  const before = await lastId();
  await page.click('#drop');
  await assertLosslessResume(before);
  await page.uncheck('#refuse');
  await eventually('the server count', async () => (await page.getAttribute('#server-open', 'data-open')) === '1');
  await eventually('the state line', async () => (await page.textContent('#state-text')) === 'open');
  const out = path.join(root, 'test-output');
  await fs.mkdir(out, { recursive: true });
  await page.screenshot({ path: path.join(out, 'demo.png') });
  assert.deepEqual(errors.filter((error) => !EXPECTED.includes(error)), []);
});
