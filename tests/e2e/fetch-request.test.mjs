// The JS class on `transport: 'fetch'`, in headless Chromium, against the
// test fixture (tests/fixture/server.mjs) on another port: the request per
// attempt (`url`, `headers` and `body` as functions, `refreshOn`) and the
// replay rule (`replay`), checked by what the fixture recorded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, openHarness, startFixture, startHarness } from './helpers.mjs';

const FIXTURE_PORT = 18787;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;

let harness;
let fixture;
let page;

const run = (fn, arg) => page.evaluate(fn, arg);
const stats = (k) => fetch(`${FIXTURE}/stats?key=${k}`).then((r) => r.json());
const key = (name) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

before(async () => {
  fixture = await startFixture(FIXTURE_PORT);
  harness = await startHarness();
  ({ page } = await openHarness(harness));
});

after(async () => {
  await harness?.stop();
  fixture?.kill();
});

test('a headers function: the token of each attempt arrives on each request', async () => {
  const k = key('token');
  const got = await run(async ({ base, k }) => {
    const told = [];
    const source = new t.ES(`${base}/sse/token?drops=2&key=${k}`, {
      transport: 'fetch',
      headers: ({ attempt, lastEventId }) => {
        told.push([attempt, lastEventId]);
        return { Authorization: `Bearer token-${attempt}` };
      },
    });
    const seen = [];
    source.addEventListener('token', (event) => seen.push(JSON.parse(event.data).authorization));
    await t.until(() => seen.length >= 3, 5000, 'three connections');
    source.close();
    return { told: told.slice(0, 3), seen: seen.slice(0, 3) };
  }, { base: FIXTURE, k });
  const tokens = ['Bearer token-0', 'Bearer token-1', 'Bearer token-2'];
  assert.deepEqual(got.seen, tokens);
  assert.deepEqual((await stats(k)).authorizations.slice(0, 3), tokens);
  assert.deepEqual(got.told, [[0, ''], [1, '1'], [2, '2']]);
});

test('async functions are awaited: url, headers and body of each attempt', async () => {
  const k = key('async');
  const got = await run(async ({ base, k }) => {
    const source = new t.ES(`${base}/sse/token?key=${k}`, {
      transport: 'fetch',
      method: 'POST',
      url: async ({ attempt }) => {
        await t.sleep(50);
        return `${base}/sse/token?drops=1&key=${k}&sig=${attempt}`;
      },
      headers: async ({ attempt }) => {
        await t.sleep(100);
        return [['Authorization', `Bearer late-${attempt}`]];
      },
      body: async ({ attempt }) => JSON.stringify({ attempt }),
    });
    const seen = [];
    source.addEventListener('token', (event) => seen.push(JSON.parse(event.data)));
    await t.until(() => seen.length >= 2, 5000, 'two connections');
    source.close();
    return { seen: seen.slice(0, 2), url: source.url };
  }, { base: FIXTURE, k });
  assert.deepEqual(got.seen.map((echo) => echo.authorization), ['Bearer late-0', 'Bearer late-1']);
  assert.deepEqual(got.seen.map((echo) => echo.body), ['{"attempt":0}', '{"attempt":1}']);
  assert.match(got.seen[0].url, /sig=0$/);
  assert.match(got.seen[1].url, /sig=1$/);
  // The source keeps the URL it was opened with.
  assert.equal(got.url, `${FIXTURE}/sse/token?key=${k}`);
  const seen = await stats(k);
  assert.deepEqual(seen.bodies.slice(0, 2), ['{"attempt":0}', '{"attempt":1}']);
  // The POST resumed after the ID the first connection sent.
  assert.deepEqual(seen.lastEventIds.slice(0, 2), [null, '1']);
});

test('refreshOn: 401 → refresh → 200 makes exactly 2 requests, without a backoff wait or an error event', async () => {
  const k = key('refresh');
  const got = await run(async ({ base, k }) => {
    let token = 'stale';
    const told = [];
    // A fixed 3 s delay, and 401 retried: a refresh that waited would show.
    const source = new t.ES(`${base}/sse/token?fresh=good&key=${k}`, {
      transport: 'fetch',
      reconnect: false,
      retryOn: [401],
      refreshOn: [401],
      headers: ({ attempt, refresh }) => {
        told.push([attempt, refresh ?? null]);
        if (refresh === 401) token = 'good';
        return { Authorization: `Bearer ${token}` };
      },
    });
    const errors = [];
    source.onerror = (event) => errors.push(event.kind);
    const event = await t.next(source, 'token', 5000);
    await t.sleep(300);
    source.close();
    return { told, errors, authorization: JSON.parse(event.data).authorization };
  }, { base: FIXTURE, k });
  assert.equal(got.authorization, 'Bearer good');
  assert.deepEqual(got.told, [[0, null], [1, 401]]);
  assert.deepEqual(got.errors, []);
  const seen = await stats(k);
  assert.equal(seen.connections, 2);
  assert.deepEqual(seen.authorizations, ['Bearer stale', 'Bearer good']);
  assert.ok(seen.times[1] - seen.times[0] < 1000, `the refresh waited ${seen.times[1] - seen.times[0]} ms`);
});

test('refreshOn: a fresh request refused too follows the usual rules (401 not retried: fatal)', async () => {
  const k = key('refused');
  const got = await run(async ({ base, k }) => {
    const source = new t.ES(`${base}/sse/token?fresh=never&key=${k}`, {
      transport: 'fetch',
      refreshOn: [401],
      headers: ({ attempt }) => ({ Authorization: `Bearer try-${attempt}` }),
    });
    const event = await t.next(source, 'error');
    await t.sleep(300);
    return { kind: event.kind, status: event.status, willRetry: event.willRetry, state: source.readyState };
  }, { base: FIXTURE, k });
  assert.deepEqual(got, { kind: 'http', status: 401, willRetry: false, state: 2 });
  assert.deepEqual((await stats(k)).authorizations, ['Bearer try-0', 'Bearer try-1']);
});

test('a function that throws, or rejects, ends the source with its cause', async () => {
  const k = key('throws');
  const got = await run(async ({ base, k }) => {
    const end = async (headers) => {
      const source = new t.ES(`${base}/sse/token?key=${k}`, { transport: 'fetch', headers });
      const event = await t.next(source, 'error');
      await t.sleep(100);
      return {
        kind: event.kind,
        willRetry: event.willRetry,
        cause: event.cause?.message,
        message: event.message,
        state: source.readyState,
        lastError: source.lastError?.message,
        lastCause: source.lastError?.cause?.message,
      };
    };
    return [
      await end(() => { throw new Error('no token'); }),
      await end(async () => { await t.sleep(10); throw new Error('no token'); }),
    ];
  }, { base: FIXTURE, k });
  for (const ended of got) {
    assert.equal(ended.kind, 'request-hook');
    assert.equal(ended.willRetry, false);
    assert.equal(ended.cause, 'no token');
    assert.equal(ended.message, 'no token');
    assert.equal(ended.state, 2);
    assert.match(ended.lastError, /function failed: no token/);
    assert.equal(ended.lastCause, 'no token');
  }
  assert.equal((await stats(k)).connections, 0, 'no request without its headers');
});

/** Opens `path` with `init`, and returns the errors and state once `done(stats)` or `ms` passed. */
async function replayed(k, path, init, settle = 800) {
  const got = await run(async ({ base, k, path, init, settle }) => {
    const source = new t.ES(`${base}${path}&key=${k}`, { transport: 'fetch', ...init });
    const errors = [];
    const ids = [];
    source.onmessage = (event) => ids.push(event.lastEventId);
    source.onerror = (event) => errors.push({
      kind: event.kind, willRetry: event.willRetry, replay: event.replay, lastKind: event.lastKind,
    });
    await t.sleep(settle);
    const state = source.readyState;
    const lastError = source.lastError?.message ?? null;
    source.close();
    return { errors, ids, state, lastError };
  }, { base: FIXTURE, k, path, init, settle });
  return { ...got, stats: await stats(k) };
}

test('POST, dropped before any ID: 1 request, then a not-replayed end', async () => {
  const got = await replayed(key('post-none'), '/sse/drop?n=0&retry=10', { method: 'POST', body: 'prompt' });
  assert.equal(got.stats.connections, 1);
  assert.deepEqual(got.errors, [{ kind: 'not-replayed', willRetry: false, replay: 'resume', lastKind: 'network' }]);
  assert.equal(got.state, 2);
  assert.match(got.lastError, /before the server sent an event ID, so the request was not sent again/);
});

test('POST, dropped after ID 5: the second request carries Last-Event-ID: 5', async () => {
  const got = await replayed(key('post-five'), '/sse/drop?n=5&hold=100&retry=10', { method: 'POST', body: 'prompt' }, 800);
  assert.ok(got.stats.connections >= 2, JSON.stringify(got.stats));
  assert.deepEqual(got.stats.lastEventIds.slice(0, 2), [null, '5']);
  assert.deepEqual(got.ids.slice(0, 6), ['1', '2', '3', '4', '5', '6']);
  assert.ok(got.errors.every((error) => error.willRetry), JSON.stringify(got.errors));
});

test("GET keeps today's behaviour: a drop before any ID reconnects", async () => {
  const got = await replayed(key('get'), '/sse/drop?n=0&retry=10', {});
  assert.ok(got.stats.connections >= 2, JSON.stringify(got.stats));
  assert.ok(got.errors.length >= 1 && got.errors.every((error) => error.willRetry), JSON.stringify(got.errors));
});

test("replay: 'always' replays a POST without IDs; 'never' does not replay a GET with one", async () => {
  const always = await replayed(key('always'), '/sse/drop?n=0&retry=10', { method: 'POST', body: 'prompt', replay: 'always' });
  assert.ok(always.stats.connections >= 2, JSON.stringify(always.stats));
  assert.ok(always.errors.every((error) => error.willRetry), JSON.stringify(always.errors));
  const never = await replayed(key('never'), '/sse/drop?n=1&hold=100&retry=10', { replay: 'never' });
  assert.equal(never.stats.connections, 1);
  assert.deepEqual(never.ids, ['1']);
  assert.deepEqual(never.errors, [{ kind: 'not-replayed', willRetry: false, replay: 'never', lastKind: 'network' }]);
  const thrown = await run(() => {
    try {
      new t.ES('/sse/drop', { transport: 'fetch', replay: 'sometimes' });
      return null;
    } catch (error) {
      return error.name;
    }
  });
  assert.equal(thrown, 'TypeError');
});
