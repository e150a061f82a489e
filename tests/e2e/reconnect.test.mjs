// Staying connected (issue 11), in headless Chromium against the test fixture
// (tests/fixture/server.mjs) on another port: the reconnect policy on both
// transports (backoff growth inside its full-jitter bounds, the cap, the
// attempt limit, the reset after a stable connection), the idle timeout with
// the right last event ID, offline and online through CDP, the bounded
// iterators' `lagged`, the observable state, and nothing left after close().
//
// Timing is read from the server: /stats `times` holds when each attempt
// arrived, so the tests count attempts and measure their spacing, with a
// tolerance for the round trip, instead of sleeping and hoping.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, eventually, openHarness, sleep, startFixture, startHarness } from './helpers.mjs';

const FIXTURE_PORT = 18788;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;
const PAGE_PORT = 18090;
/** What an attempt's spacing may exceed its policy's ceiling by: the round trip and the browser's bookkeeping. */
const TOLERANCE = 150;

let harness;
let fixture;
let page;
let errors;

const run = (fn, arg) => page.evaluate(fn, arg);

before(async () => {
  fixture = await startFixture(FIXTURE_PORT);
  harness = await startHarness({ port: PAGE_PORT });
  ({ page, errors } = await openHarness(harness));
});

after(async () => {
  await harness?.stop();
  fixture?.kill();
});

const key = (name) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

/** What the fixture saw for `key`. */
const stats = (k) => fetch(`${FIXTURE}/stats?key=${k}`).then((r) => r.json());

/** The spacing of the server's attempts, in ms. */
const gaps = (times) => times.slice(1).map((time, i) => time - times[i]);

/**
 * Asserts that the fixture sees no new attempt for `key` during `ms`: the
 * window in which a source that should be quiet would have tried again.
 */
async function staysQuiet(k, ms, what) {
  const before = (await stats(k)).times.length;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    await sleep(50);
    assert.equal((await stats(k)).times.length, before, `${what}: an attempt after ${before}`);
  }
}

for (const transport of ['native', 'fetch']) {
  describe(`on transport '${transport}'`, () => {
    test('backoff: each wait stays under min(cap, base × 2^n), grows past the base, and the cap holds', async () => {
      const [BASE, CAP] = [50, 800];
      const k = key(`growth-${transport}`);
      // 12 refused attempts (503, which both transports retry under a
      // policy), then a stream that stays open.
      const got = await run(async ({ fixture, k, transport, base, cap }) => {
        const source = new t.ES(`${fixture}/sse/fail?k=12&code=503&key=${k}`, {
          transport, reconnect: { base, cap },
        });
        const waits = [];
        const errors = [];
        source.addEventListener('error', (event) => {
          errors.push({ willRetry: event.willRetry, readyState: source.readyState });
        });
        source.addEventListener('statechange', () => {
          // One entry per wait: a wait may see more than one statechange.
          if (source.retryDelay !== null && waits.at(-1)?.attempt !== source.attempt) {
            waits.push({
              attempt: source.attempt,
              delay: source.retryDelay,
              // How far nextAttemptAt is from now + delay: ~0.
              skew: source.nextAttemptAt - (Date.now() + source.retryDelay),
            });
          }
        });
        await t.next(source, 'ready', 20000);
        const result = { waits, errors, attempt: source.attempt, readyState: source.readyState };
        source.close();
        return result;
      }, { fixture: FIXTURE, k, transport, base: BASE, cap: CAP });
      const { times } = await stats(k);
      assert.equal(times.length, 13, 'the first attempt and 12 retries');
      const spacing = gaps(times);
      spacing.forEach((gap, i) => {
        const ceiling = Math.min(CAP, BASE * 2 ** i);
        assert.ok(gap <= ceiling + TOLERANCE, `wait ${i}: ${gap} ms > ceiling ${ceiling} ms (+${TOLERANCE}); all: ${spacing}`);
      });
      // Without growth every wait stays near 50 ms. With it, the waits from
      // the 4th on have ceilings of 400 and 800 ms: all nine under 300 ms
      // has a chance of (3/4)(3/8)^8, about 1 in 3000.
      assert.ok(spacing.slice(3).some((gap) => gap > 300), `no wait grew past the base: ${spacing}`);
      // Jitter: a fixed delay would make the waits from the cap on equal.
      assert.ok(Math.max(...spacing.slice(4)) - Math.min(...spacing.slice(4)) > 50, `no jitter: ${spacing}`);
      assert.equal(got.errors.length, 12);
      assert.ok(got.errors.every((e) => e.willRetry && e.readyState === 0), JSON.stringify(got.errors));
      assert.deepEqual(got.waits.map((w) => w.attempt), Array.from({ length: 12 }, (_, i) => i + 1));
      got.waits.forEach(({ attempt, delay, skew }) => {
        assert.ok(delay >= 0 && delay <= Math.min(CAP, BASE * 2 ** (attempt - 1)), `attempt ${attempt}: retryDelay ${delay}`);
        assert.ok(Math.abs(skew) < 50, `nextAttemptAt is ${skew} ms off now + retryDelay`);
      });
      // Open, but not yet stable: the count stands until resetAfter.
      assert.equal(got.readyState, 1);
      assert.equal(got.attempt, 12);
    });

    test('maxAttempts: 1 + maxAttempts attempts, then a fatal error, CLOSED, and an iterator that throws', async () => {
      const k = key(`limit-${transport}`);
      const got = await run(async ({ base, k, transport }) => {
        const source = new t.ES(`${base}/sse/fail?k=100&code=503&key=${k}`, {
          transport, reconnect: { base: 50, cap: 100, maxAttempts: 3 },
        });
        const iterated = (async () => {
          try {
            for await (const _ of source.events()) {
              // Nothing arrives.
            }
            return 'ended';
          } catch (error) {
            return error.message;
          }
        })();
        const seen = [];
        source.addEventListener('error', (event) => seen.push([event.willRetry, source.readyState]));
        await t.until(() => seen.some(([willRetry]) => !willRetry), 10000, 'the fatal error');
        return {
          seen,
          readyState: source.readyState,
          lastError: source.lastError instanceof Error,
          retryDelay: source.retryDelay,
          iterated: await t.within(2000, iterated, 'the iterator to throw'),
        };
      }, { base: FIXTURE, k, transport });
      assert.deepEqual(got.seen, [[true, 0], [true, 0], [true, 0], [false, 2]]);
      assert.equal(got.readyState, 2);
      assert.equal(got.lastError, true);
      assert.equal(got.retryDelay, null);
      assert.match(got.iterated, /will not reconnect/);
      assert.equal((await stats(k)).connections, 4);
      // Past the longest wait the policy allows: still 4.
      await staysQuiet(k, 100 + 2 * TOLERANCE, 'after giving up');
    });

    // Each connection sends n events then stays silent until the idle
    // timeout drops it (native has no other way to drop a connection that the
    // policy, not the browser, then reopens): 300 ms open each time.
    const dropping = (base, k, n) => (transport === 'native'
      ? `${base}/sse/stall?n=${n}&key=${k}`
      : `${base}/sse/drop?n=${n}&hold=300&key=${k}`);

    test('reset: connections that stayed open for resetAfter, or delivered an event, start the count again; others do not', async () => {
      const attempts = async (resetAfter, n = 0) => {
        const k = key(`reset-${transport}-${resetAfter}-${n}`);
        return run(async ({ url, transport, resetAfter }) => {
          const source = new t.ES(url, {
            transport,
            reconnect: { base: 20, cap: 40, resetAfter },
            idleTimeout: transport === 'native' ? 300 : 0,
            lastEventIdParam: 'lastEventId',
          });
          const seen = [];
          source.addEventListener('error', () => seen.push(source.attempt));
          // Native sees only the events of types with listeners (the browser
          // dispatches by type), as for the idle timeout.
          source.addEventListener('message', () => {});
          await t.until(() => seen.length >= 4, 10000, 'four drops');
          source.close();
          return seen.slice(0, 4);
        }, { url: dropping(FIXTURE, k, n), transport, resetAfter });
      };
      // Stable after 150 ms: every drop is a first attempt again.
      assert.deepEqual(await attempts(150), [1, 1, 1, 1]);
      // Never stable, nothing delivered: the count grows.
      assert.deepEqual(await attempts(60000), [1, 2, 3, 4]);
      // Never stable, but each connection delivered an event: it worked.
      assert.deepEqual(await attempts(60000, 1), [1, 1, 1, 1]);
    });

    test('idle timeout: a silent connection is dropped and reopened with the right last event ID', async () => {
      const k = key(`idle-${transport}`);
      const got = await run(async ({ base, k, transport }) => {
        const source = new t.ES(`${base}/sse/stall?n=2&key=${k}`, {
          transport,
          idleTimeout: 300,
          reconnect: { base: 20, cap: 40 },
          lastEventId: '10',
          lastEventIdParam: 'lastEventId',
        });
        const messages = [];
        const timeouts = [];
        source.onmessage = (event) => messages.push(`${event.lastEventId}:${event.data}`);
        source.onerror = (event) => timeouts.push([event.kind, event.willRetry, source.readyState]);
        await t.until(() => messages.length >= 6, 10000, 'three connections');
        source.close();
        return { messages, timeouts: timeouts.slice(0, 2), url: source.url, lastEventId: source.lastEventId };
      }, { base: FIXTURE, k, transport });
      assert.deepEqual(got.messages, ['11:event 11', '12:event 12', '13:event 13', '14:event 14', '15:event 15', '16:event 16']);
      assert.deepEqual(got.timeouts, [['timeout', true, 0], ['timeout', true, 0]]);
      assert.equal(got.url, `${FIXTURE}/sse/stall?n=2&key=${k}`);
      assert.equal(got.lastEventId, '16');
      const { lastEventIds, times } = await stats(k);
      assert.deepEqual(lastEventIds, ['10', '12', '14']);
      // Each reopen waited for the timeout, and not much more.
      for (const gap of gaps(times)) {
        assert.ok(gap >= 280 && gap <= 300 + 40 + 2 * TOLERANCE, `reopened after ${gap} ms: ${gaps(times)}`);
      }
    });

    test('offline: no attempt while navigator.onLine is false; an attempt as soon as it is back', async () => {
      const k = key(`offline-${transport}`);
      const cdp = await page.context().newCDPSession(page);
      const network = (offline) => cdp.send('Network.emulateNetworkConditions', {
        offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
      });
      await cdp.send('Network.enable');
      try {
        await run(({ base, k, transport }) => {
          const source = new t.ES(`${base}/sse/fail?k=100000&code=503&key=${k}`, {
            transport, reconnect: { base: 100, cap: 200 },
          });
          window.offlineSource = source;
          window.offlineErrors = 0;
          source.addEventListener('error', () => { window.offlineErrors += 1; });
        }, { base: FIXTURE, k, transport });
        await eventually('two attempts', async () => (await stats(k)).connections >= 2);
        await network(true);
        await eventually('navigator.onLine false', () => run(() => navigator.onLine === false));
        // Whatever was in flight when the network went away settles within a cap.
        await sleep(400);
        const read = () => run(() => [window.offlineErrors, window.offlineSource.attempt, window.offlineSource.readyState]);
        const settled = await read();
        const seen = (await stats(k)).connections;
        // Five caps long: a source that kept trying would have failed again.
        const deadline = Date.now() + 1000;
        while (Date.now() < deadline) {
          await sleep(100);
          assert.deepEqual(await read(), settled, 'an attempt while offline');
        }
        assert.equal(settled[2], 0, 'CONNECTING while offline');
        assert.equal((await stats(k)).connections, seen);
        const online = Date.now();
        await network(false);
        const { times } = await eventually('an attempt once online', async () => {
          const s = await stats(k);
          return s.connections > seen && s;
        }, 5000);
        assert.ok(times[seen] - online < 1000, `the first attempt came ${times[seen] - online} ms after going online`);
      } finally {
        await network(false);
        await run(() => window.offlineSource?.close());
        await cdp.detach();
      }
    });

    test('a drop while offline: one error, then no attempt (not even the browser\'s own) until online', async () => {
      const k = key(`offline-open-${transport}`);
      const cdp = await page.context().newCDPSession(page);
      const network = (offline) => cdp.send('Network.emulateNetworkConditions', {
        offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
      });
      await cdp.send('Network.enable');
      try {
        // The server drops the connection after 1 s, once the page is
        // offline (going offline does not end open connections); retry: 50
        // makes a browser that retries by itself do it every 50 ms.
        await run(async ({ url, transport }) => {
          const source = new t.ES(url, { transport, reconnect: { base: 100, cap: 200 } });
          window.offlineSource = source;
          window.offlineErrors = 0;
          source.addEventListener('error', () => { window.offlineErrors += 1; });
          await t.next(source, 'message');
        }, { url: `${FIXTURE}/sse/drop?retry=50&n=1&hold=1000&key=${k}`, transport });
        await network(true);
        await eventually('the dropped connection', () => run(() => window.offlineErrors >= 1), 5000);
        const deadline = Date.now() + 1000;
        while (Date.now() < deadline) {
          await sleep(100);
          assert.deepEqual(await run(() => [window.offlineErrors, window.offlineSource.readyState]), [1, 0], 'an attempt while offline');
        }
        await network(false);
        await eventually('an attempt once online', async () => (await stats(k)).connections === 2, 5000);
      } finally {
        await network(false);
        await run(() => window.offlineSource?.close());
        await cdp.detach();
      }
    });

    test('bounded iterators: a consumer that lags keeps the newest `capacity` events, and `lagged` counts the rest', async () => {
      const k = key(`flood-${transport}`);
      const got = await run(async ({ base, k, transport }) => {
        const source = new t.ES(`${base}/sse/flood?n=10000&key=${k}`, { transport });
        const texts = source.events('message', { capacity: 100 });
        const json = source.jsonEvents(['message'], { capacity: 7 });
        const unbounded = source.events('message', { capacity: Infinity });
        let count = 0;
        source.addEventListener('message', () => { count += 1; });
        // The loops below start only once every event has arrived: as slow as a consumer gets.
        await t.until(() => count === 10000, 10000, 'the flood');
        const lagged = [texts.lagged, json.lagged, unbounded.lagged];
        source.close();
        const drain = async (iterator) => {
          const values = [];
          for await (const event of iterator) values.push(event.data);
          return values;
        };
        const textValues = await drain(texts);
        const jsonValues = await drain(json);
        const all = await drain(unbounded);
        return { lagged, textValues, jsonValues, all: all.length, after: texts.lagged };
      }, { base: FIXTURE, k, transport });
      assert.deepEqual(got.lagged, [9900, 9993, 0]);
      assert.deepEqual(got.textValues, Array.from({ length: 100 }, (_, i) => String(9901 + i)));
      assert.deepEqual(got.jsonValues, [9994, 9995, 9996, 9997, 9998, 9999, 10000]);
      assert.equal(got.all, 10000);
      assert.equal(got.after, 9900);
    });

    test('statechange: readyState, attempt, retryDelay, nextAttemptAt and lastError as they change', async () => {
      const k = key(`state-${transport}`);
      const got = await run(async ({ base, k, transport }) => {
        const source = new t.ES(`${base}/sse/fail?k=2&code=503&key=${k}`, {
          transport, reconnect: { base: 200, cap: 200 },
        });
        const initial = [source.readyState, source.attempt, source.retryDelay, source.nextAttemptAt, source.lastError];
        const states = [];
        source.addEventListener('statechange', (event) => {
          states.push({
            plain: event.constructor === Event && event.target === source,
            readyState: source.readyState,
            attempt: source.attempt,
            waiting: source.retryDelay !== null && source.nextAttemptAt !== null,
            lastError: source.lastError?.message ?? null,
            kind: source.lastError?.kind ?? null,
          });
        });
        await t.next(source, 'ready', 5000);
        source.close();
        return { initial, states };
      }, { base: FIXTURE, k, transport });
      assert.deepEqual(got.initial, [0, 0, null, null, null]);
      assert.ok(got.states.every((s) => s.plain));
      // No statechange repeats the state before it.
      const keys = got.states.map(({ readyState, attempt, waiting, lastError }) => JSON.stringify([readyState, attempt, waiting, lastError]));
      keys.slice(1).forEach((k2, i) => assert.notEqual(k2, keys[i], `statechange ${i + 1} repeats ${k2}`));
      const waits = got.states.filter((s) => s.waiting);
      assert.deepEqual(waits.map((s) => [s.readyState, s.attempt]), [[0, 1], [0, 2]]);
      for (const wait of waits) {
        assert.match(wait.lastError, /failed .*; it reconnects/);
        if (transport === 'fetch') assert.equal(wait.kind, 'http');
      }
      const last = got.states.at(-1);
      assert.deepEqual([last.readyState, last.attempt, last.waiting], [1, 2, false]);
    });

    test('close() in an error listener: no statechange after it, though the transition was under way', async () => {
      const k = key(`close-in-listener-${transport}`);
      const got = await run(async ({ url, transport }) => {
        const source = new t.ES(url, { transport, reconnect: { base: 50, cap: 50 } });
        const events = [];
        source.addEventListener('statechange', () => events.push('statechange'));
        source.onerror = () => {
          events.push('error');
          source.close();
        };
        await t.until(() => events.includes('error'), 5000, 'the error');
        await t.sleep(200);
        return { events, readyState: source.readyState, retryDelay: source.retryDelay };
      }, { url: `${FIXTURE}/sse/fail?k=100&code=503&key=${k}`, transport });
      assert.deepEqual(got, { events: ['error'], readyState: 2, retryDelay: null });
      await staysQuiet(k, 50 + 2 * TOLERANCE, 'after close() in the error listener');
      assert.equal((await stats(k)).connections, 1);
    });

    for (const [what, route, options] of [
      ['waiting to reconnect', 'fail?k=100000&code=503', { reconnect: { base: 300, cap: 300 }, idleTimeout: 1000 }],
      ['open, with an idle timeout', 'tick?interval=50', { reconnect: true, idleTimeout: 1000 }],
    ]) {
      test(`close() while ${what}: no timer, no connection, no attempt afterwards`, async () => {
        const k = key(`close-${transport}`);
        const got = await run(async ({ url, transport, options }) => {
          // Every timer made from here on is tracked until it fires or is
          // cleared; this code waits on the original setTimeout, untracked.
          const { setTimeout: set, clearTimeout: clear } = window;
          const live = new Set();
          window.setTimeout = function (callback, ms, ...args) {
            const id = set.call(window, (...params) => {
              live.delete(id);
              if (typeof callback === 'function') callback(...params);
            }, ms, ...args);
            live.add(id);
            return id;
          };
          window.clearTimeout = (id) => {
            live.delete(id);
            clear.call(window, id);
          };
          const pause = (ms) => new Promise((resolve) => set.call(window, resolve, ms));
          try {
            const source = new t.ES(url, { transport, ...options });
            const events = [];
            source.onerror = () => events.push('error');
            source.onopen = () => events.push('open');
            source.onmessage = () => events.push('message');
            source.addEventListener('statechange', () => events.push('statechange'));
            for (let i = 0; i < 200 && !events.includes(options.reconnect === true ? 'message' : 'error'); i += 1) await pause(20);
            const timersBefore = live.size;
            source.close();
            const count = events.length;
            await pause(100);
            return { timersBefore, timersAfter: live.size, dispatchedAfter: events.length - count, readyState: source.readyState };
          } finally {
            window.setTimeout = set;
            window.clearTimeout = clear;
          }
        }, { url: `${FIXTURE}/sse/${route}&key=${k}`, transport, options });
        assert.ok(got.timersBefore >= 1, 'the source had a timer running (the wait or the idle timeout)');
        assert.equal(got.timersAfter, 0, 'a timer outlived close()');
        assert.equal(got.dispatchedAfter, 0);
        assert.equal(got.readyState, 2);
        await eventually('no open connection on the server', async () => (await stats(k)).open === 0, 5000);
        await staysQuiet(k, 300 + 2 * TOLERANCE, 'after close()');
      });
    }
  });
}

describe('native defaults', () => {
  test('without a policy the browser object gives up as it does natively, and the state stays at rest', async () => {
    const k = key('native-default');
    const got = await run(async ({ base, k }) => {
      const source = new t.ES(`${base}/sse/fail?k=100&code=503&key=${k}`);
      const event = await t.next(source, 'error');
      return {
        willRetry: event.willRetry,
        readyState: source.readyState,
        state: [source.attempt, source.retryDelay, source.nextAttemptAt, source.lastError],
      };
    }, { base: FIXTURE, k });
    assert.deepEqual(got, { willRetry: false, readyState: 2, state: [0, null, null, null] });
    await staysQuiet(k, 300, 'a native source that gave up');
    assert.equal((await stats(k)).connections, 1);
  });

  test('lastEventIdParam goes after an existing query, and before a fragment', async () => {
    const k = key('param');
    const got = await run(async ({ base, k }) => {
      const source = new t.ES(`${base}/sse/drop?n=1&hold=60000&key=${k}#frag`, {
        lastEventIdParam: 'lastEventId', lastEventId: 'a b&c',
      });
      await t.next(source, 'message');
      source.close();
      return source.url;
    }, { base: FIXTURE, k });
    assert.equal(got, `${FIXTURE}/sse/drop?n=1&hold=60000&key=${k}#frag`);
    assert.deepEqual((await stats(k)).lastEventIds, ['a b&c']);
  });
});

test('no unexpected page errors', () => {
  // The browser logs the refused responses, the dropped connections and the offline attempts.
  const expected = /Failed to load resource|net::ERR_|EventSource's response has/;
  assert.deepEqual(errors.filter((error) => !expected.test(error)), []);
});
