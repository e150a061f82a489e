// The JS class on `transport: 'fetch'`, in headless Chromium, against the
// test fixture (tests/fixture/server.mjs) on another port of 127.0.0.1, so
// every request is cross-origin: method, headers and body, the facts on the
// error event, retried statuses, resumption after a reset, credentials, a
// CORS refusal, resuming by query parameter, the event size limit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, openHarness, startFixture, startHarness } from './helpers.mjs';

const FIXTURE_PORT = 18787;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;

let harness;
let fixture;
let page;
let errors;

const run = (fn, arg) => page.evaluate(fn, arg);

before(async () => {
  fixture = await startFixture(FIXTURE_PORT);
  harness = await startHarness();
  ({ page, errors } = await openHarness(harness));
});

after(async () => {
  await harness?.stop();
  fixture?.kill();
});

const key = (name) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

test('method, headers (anything Headers accepts) and body reach the server', async () => {
  const got = await run(async ({ base, key }) => {
    const source = new t.ES(`${base}/sse/echo?key=${key}`, {
      transport: 'fetch',
      method: 'POST',
      headers: [['Authorization', 'Bearer secret'], ['X-Custom', 'yes']],
      body: JSON.stringify({ prompt: 'hello' }),
    });
    const event = await t.next(source, 'echo');
    source.close();
    return { echo: JSON.parse(event.data), origin: event.origin, target: event.target === source };
  }, { base: FIXTURE, key: key('echo') });
  assert.equal(got.echo.method, 'POST');
  assert.equal(got.echo.body, '{"prompt":"hello"}');
  assert.equal(got.echo.headers.authorization, 'Bearer secret');
  assert.equal(got.echo.headers['x-custom'], 'yes');
  assert.equal(got.echo.lastEventId, null);
  assert.equal(got.origin, FIXTURE);
  assert.equal(got.target, true);
});

test('a 401: the error event carries status, statusText, contentType and body; iterators reject with them', async () => {
  const got = await run(async ({ base, key }) => {
    const source = new t.ES(`${base}/sse/unauthorized?key=${key}`, { transport: 'fetch' });
    const iterated = (async () => {
      try {
        for await (const _ of source.events()) {
          // Nothing arrives.
        }
        return 'ended';
      } catch (error) {
        return { message: error.message, status: error.status };
      }
    })();
    const event = await t.next(source, 'error');
    const { kind, status, statusText, contentType, body, willRetry } = event;
    return {
      event: { kind, status, statusText, contentType, body: JSON.parse(body), willRetry },
      state: source.readyState,
      iterated: await t.within(2000, iterated, 'the iterator to reject'),
    };
  }, { base: FIXTURE, key: key('401') });
  assert.deepEqual(got.event, {
    kind: 'http',
    status: 401,
    statusText: 'Unauthorized',
    contentType: 'application/json',
    body: { error: 'token expired', hint: 'refresh the token' },
    willRetry: false,
  });
  assert.equal(got.state, 2);
  assert.equal(got.iterated.status, 401);
  assert.match(got.iterated.message, /HTTP 401 Unauthorized/);
});

test('retryOn: a listed status reconnects (willRetry, CONNECTING) instead of ending the source', async () => {
  const got = await run(async ({ base, key }) => {
    const source = new t.ES(`${base}/sse/then-fail?code=503&key=${key}`, { transport: 'fetch', retryOn: [503] });
    const seen = [];
    source.onmessage = (event) => seen.push(['message', event.data]);
    source.onerror = (event) => seen.push(['error', event.status ?? null, event.willRetry, source.readyState]);
    await t.until(() => seen.filter(([type, status]) => type === 'error' && status === 503).length >= 2, 5000, 'two retried 503s');
    source.close();
    return seen;
  }, { base: FIXTURE, key: key('retry') });
  assert.deepEqual(got[0], ['message', 'only event']);
  // The end of the first body is a reconnect; then each 503 is one.
  assert.deepEqual(got.slice(1, 4), [['error', null, true, 0], ['error', 503, true, 0], ['error', 503, true, 0]]);
});

test('a reset mid-event: the partial event is discarded, Last-Event-ID resumes, nothing twice', async () => {
  const got = await run(async ({ base, key }) => {
    const source = new t.ES(`${base}/sse/reset?n=3&key=${key}`, { transport: 'fetch' });
    const seen = [];
    source.onmessage = (event) => seen.push(`${event.lastEventId}:${event.data}`);
    await t.until(() => seen.length >= 9, 5000, 'nine events over two resets');
    source.close();
    return seen;
  }, { base: FIXTURE, key: key('reset') });
  assert.deepEqual(got, Array.from({ length: 9 }, (_, i) => `${i + 1}:event ${i + 1}`));
});

test('withCredentials sends the cookie cross-origin on the fetch transport, and only then', async () => {
  const got = await run(async ({ base, key }) => {
    await fetch(`${base}/set-cookie?key=${key}`, { credentials: 'include' });
    const cookie = async (withCredentials) => {
      const source = new t.ES(`${base}/sse/cookie?key=${key}`, { transport: 'fetch', withCredentials });
      const event = await t.next(source, 'cookie');
      source.close();
      return [source.withCredentials, event.data];
    };
    return [await cookie(true), await cookie(false)];
  }, { base: FIXTURE, key: key('cookie') });
  assert.deepEqual(got, [[true, 'yes'], [false, 'none']]);
});

const stats = (k) => fetch(`${FIXTURE}/stats?key=${k}`).then((r) => r.json());

test('a CORS refusal is fatal, as on native: one error of kind cors, CLOSED, the request and one probe', async () => {
  const k = key('cors');
  const got = await run(async ({ base, k }) => {
    const source = new t.ES(`${base}/sse/drop?n=1&cors=none&key=${k}`, { transport: 'fetch' });
    const seen = [];
    source.onerror = (event) => seen.push([event.kind, event.willRetry, source.readyState, event.headers]);
    await t.until(() => seen.length >= 1, 10000, 'the refusal');
    await t.sleep(500);
    return { seen, lastError: source.lastError?.message };
  }, { base: FIXTURE, k });
  assert.deepEqual(got.seen, [['cors', false, 2, '']]);
  assert.match(got.lastError, /Access-Control-Allow-Origin/);
  assert.equal((await stats(k)).connections, 2);
});

test('lastEventIdParam resumes cross-origin from a server that answers no preflight; without it, one cors error names the header', async () => {
  const k = key('param');
  const resumed = await run(async ({ base, k }) => {
    const source = new t.ES(`${base}/sse/drop?n=1&hold=100&retry=50&cors=origin&key=${k}`, { transport: 'fetch', lastEventIdParam: 'lastEventId' });
    const seen = [];
    source.onmessage = (event) => seen.push(event.lastEventId);
    await t.until(() => seen.length >= 3, 10000, 'three connections');
    source.close();
    return seen.slice(0, 3);
  }, { base: FIXTURE, k });
  assert.deepEqual(resumed, ['1', '2', '3']);
  assert.deepEqual((await stats(k)).lastEventIds.slice(0, 3), [null, '1', '2']);
  const k2 = key('preflight');
  const refused = await run(async ({ base, k }) => {
    const source = new t.ES(`${base}/sse/drop?n=1&hold=100&retry=50&cors=origin&key=${k}`, { transport: 'fetch' });
    const seen = [];
    source.onmessage = (event) => seen.push(['message', event.lastEventId]);
    source.onerror = (event) => seen.push([event.kind, event.willRetry, event.headers ?? null]);
    await t.until(() => seen.some(([kind]) => kind === 'cors'), 10000, 'the refused preflight');
    await t.sleep(500);
    return { seen, readyState: source.readyState };
  }, { base: FIXTURE, k: k2 });
  // The fixture cuts the first response (a drop, retried), then the
  // resume's preflight is refused: one fatal cors error, and no more.
  assert.deepEqual(refused.seen[0], ['message', '1']);
  assert.deepEqual(refused.seen.at(-1), ['cors', false, 'Last-Event-ID']);
  assert.equal(refused.seen.filter(([kind]) => kind === 'cors').length, 1);
  assert.equal(refused.readyState, 2);
  assert.equal((await stats(k2)).connections, 2);
});

test('maxEventSize: a larger event is skipped and the source goes on; Infinity is no limit', async () => {
  const got = await run(async ({ base, k }) => {
    const seen = [];
    const source = new t.ES(`${base}/sse/big?size=2000000&split=random&key=${k}`, { transport: 'fetch', maxEventSize: 1 << 20 });
    source.onmessage = (event) => seen.push(['message', event.data.length]);
    source.onerror = (event) => seen.push([event.kind, event.limit]);
    await t.until(() => seen.length >= 1, 20000, 'the next event');
    await t.sleep(100);
    source.close();
    const open = new t.ES(`${base}/sse/big?size=2000000&key=${k}-2`, { transport: 'fetch', maxEventSize: Infinity });
    const whole = await t.next(open, 'message', 20000);
    open.close();
    let thrown = null;
    try { new t.ES(`${base}/sse/big?key=${k}-3`, { transport: 'fetch', maxEventSize: -1 }); } catch (error) { thrown = error.name; }
    return { seen, whole: whole.data.length, thrown };
  }, { base: FIXTURE, k: key('size') });
  // Skipped with a console warning, as before: no error event.
  assert.deepEqual(got.seen, [['message', 5]]);
  assert.equal(got.whole, 2000000);
  assert.equal(got.thrown, 'RangeError');
});

test('no unexpected page errors', () => {
  // The browser logs the refused responses, the forced resets, and the CORS
  // refusals the tests above provoke.
  const expected = /Failed to load resource: (the server responded with a status of (401|503)|net::ERR_INCOMPLETE_CHUNKED_ENCODING|net::ERR_FAILED)|has been blocked by CORS policy/;
  assert.deepEqual(errors.filter((error) => !expected.test(error)), []);
});
