// Conformance of the JS API (the package's EventSource class) in headless
// Chromium, against the real dev server's /test/ streams: what page code
// written for the native EventSource relies on, and the extras. The whole
// suite runs twice: with the class imported by name, and installed as the
// page's global EventSource and looked up through that name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openHarness, startHarness } from './helpers.mjs';

let harness;
let server;

before(async () => {
  // --expose-gc: a test collects garbage to check that a source the page no
  // longer references keeps running, as the native one does.
  harness = await startHarness({ browserArgs: ['--js-flags=--expose-gc'] });
  ({ server } = harness);
});

after(async () => {
  await harness?.stop();
});

const MODES = {
  module: { query: '', title: 'imported from the package' },
  global: { query: '?global=1', title: 'installed as globalThis.EventSource' },
  fetch: { query: '?transport=fetch', title: "on transport: 'fetch'" },
};

for (const [mode, { query, title }] of Object.entries(MODES)) {
  describe(`the class ${title}`, () => {
    let page;
    let errors;
    /** Runs `fn` in the harness page with `arg`; every wait in it has a deadline. */
    const run = (fn, arg) => page.evaluate(fn, arg);

    before(async () => {
      ({ page, errors } = await openHarness(harness, query));
      assert.equal(await run(() => globalThis.EventSource === t.api.EventSource), mode === 'global');
    });

    after(async () => {
      await page?.close();
    });

    test('isSupported and the constants, on the class and on instances', async () => {
      const got = await run(() => {
        const EventSource = t.ES;
          const { isSupported } = t.api;
        const source = new EventSource('/test/ticks');
        const result = {
          supported: isSupported(),
          statics: [EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED],
          instance: [source.CONNECTING, source.OPEN, source.CLOSED],
          native: [t.Native.CONNECTING, t.Native.OPEN, t.Native.CLOSED],
          isNative: EventSource === t.Native,
        };
        source.close();
        return result;
      });
      assert.equal(got.supported, true);
      assert.deepEqual(got.statics, [0, 1, 2]);
      assert.deepEqual(got.instance, [0, 1, 2]);
      assert.deepEqual(got.native, [0, 1, 2]);
      assert.equal(got.isNative, false, 'the test runs against our class, not the browser one');
    });

    test('readyState goes CONNECTING, OPEN, CLOSED; url and withCredentials', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/ticks', { withCredentials: true });
        const states = [source.readyState];
        await t.next(source, 'open');
        states.push(source.readyState);
        source.close();
        states.push(source.readyState);
        const plain = new t.ES('/test/ticks');
        const credentials = [source.withCredentials, plain.withCredentials];
        plain.close();
        return { states, url: source.url, credentials };
      });
      assert.deepEqual(got.states, [0, 1, 2]);
      assert.equal(got.url, `${server.url}test/ticks`);
      assert.deepEqual(got.credentials, [true, false]);
    });

    test('a failed connection: error event with readyState CLOSED', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/status?code=500');
        const calls = [];
        source.onerror = (event) => calls.push([event.type, source.readyState, event.target.readyState, event.willRetry, event.status]);
        await t.until(() => calls.length > 0, 5000, 'error');
        return calls;
      });
      // Only the fetch transport can tell the status.
      assert.deepEqual(got, [['error', 2, 2, false, mode === 'fetch' ? 500 : undefined]]);
    });

    test('an invalid URL throws SyntaxError, like the native constructor', async () => {
      const got = await run(() => {
        const attempt = (Class) => {
          try {
            new Class('http://[::1');
            return 'no exception';
          } catch (error) {
            return error.name;
          }
        };
        return [attempt(t.ES), attempt(t.Native)];
      });
      assert.deepEqual(got, ['SyntaxError', 'SyntaxError']);
    });

    test('listeners get the native MessageEvent: data, lastEventId, origin, type', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/script');
        const seen = [];
        source.addEventListener('message', (event) => {
          seen.push({
            native: event instanceof MessageEvent,
            type: event.type,
            data: event.data,
            id: event.lastEventId,
            origin: event.origin,
          });
        });
        const info = await t.next(source, 'info');
        await t.until(() => seen.length >= 2, 5000, 'two messages');
        source.close();
        return { seen: seen.slice(0, 2), info: [info.type, info.data, info instanceof MessageEvent], origin: location.origin };
      });
      assert.deepEqual(got.seen, [
        { native: true, type: 'message', data: 'first', id: 'a1', origin: got.origin },
        { native: true, type: 'message', data: 'second\nline', id: 'a2', origin: got.origin },
      ]);
      assert.deepEqual(got.info, ['info', 'an info event', true]);
    });

    test('once, removeEventListener, and the same listener added twice', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/ticks?ms=30');
        const counts = { once: 0, twice: 0, removed: 0, all: 0 };
        const twice = () => (counts.twice += 1);
        const removed = () => {
          counts.removed += 1;
          source.removeEventListener('message', removed);
        };
        source.addEventListener('message', () => (counts.once += 1), { once: true });
        source.addEventListener('message', twice);
        source.addEventListener('message', twice);
        source.addEventListener('message', removed);
        source.addEventListener('message', () => (counts.all += 1));
        await t.until(() => counts.all >= 4, 5000, 'four messages');
        source.close();
        return counts;
      });
      assert.equal(got.once, 1);
      assert.equal(got.removed, 1);
      assert.equal(got.twice, got.all, 'a listener added twice is called once per event');
      assert.ok(got.all >= 4);
    });

    test('setting onmessage replaces the old handler; null removes it', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/ticks?ms=30');
        const initial = source.onmessage;
        const calls = { a: 0, b: 0, all: 0 };
        const a = () => (calls.a += 1);
        const b = function (event) {
          calls.b += 1;
          calls.thisIsTarget = this === source && event.target === source && event.currentTarget === source;
        };
        source.addEventListener('message', () => (calls.all += 1));
        source.onmessage = a;
        source.onmessage = b;
        const getter = source.onmessage === b;
        await t.until(() => calls.b >= 2, 5000, 'two calls of b');
        source.onmessage = null;
        const afterNull = calls.b;
        const all = calls.all;
        await t.until(() => calls.all >= all + 3, 5000, 'three more messages');
        source.close();
        return { initial, getter, a: calls.a, afterNull, bNow: calls.b, nowNull: source.onmessage, thisIsTarget: calls.thisIsTarget };
      });
      assert.equal(got.initial, null);
      assert.equal(got.getter, true);
      assert.equal(got.a, 0, 'the replaced handler is never called');
      assert.equal(got.bNow, got.afterNull, 'no calls after onmessage = null');
      assert.equal(got.nowNull, null);
      assert.equal(got.thisIsTarget, true);
    });

    test('onopen and onerror fire for a reconnect, with readyState CONNECTING; close stops events', async () => {
      const got = await run(async () => {
        // The server ends each response after 3 messages; retry is 50 ms.
        const source = new t.ES('/test/ticks?ms=30&end=3&retry=50');
        const log = [];
        source.onopen = () => log.push(['open', source.readyState]);
        source.onerror = (event) => log.push(['error', source.readyState, event.target === source]);
        let messages = 0;
        source.onmessage = () => (messages += 1);
        const opens = () => log.filter(([type]) => type === 'open').length;
        await t.until(() => opens() >= 2 && messages >= 4, 5000, 'a reconnect and messages after it');
        source.close();
        const atClose = { messages, log: log.length };
        await t.sleep(300);
        return { log, atClose, later: { messages, log: log.length }, state: source.readyState };
      });
      assert.deepEqual(got.log.slice(0, 3), [['open', 1], ['error', 0, true], ['open', 1]]);
      assert.deepEqual(got.later, got.atClose, 'no events after close()');
      assert.equal(got.state, 2);
    });

    test('events(): async iteration in order, ending when the source closes', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/script');
        const seen = [];
        const loop = (async () => {
          for await (const event of source.events(['message', 'info'])) {
            seen.push([event.type, event.data, event.lastEventId, event instanceof MessageEvent]);
            if (seen.length === 4) source.close();
          }
          return 'ended';
        })();
        const ended = await t.within(5000, loop, 'the loop to end after close()');
        return { seen, ended, state: source.readyState };
      });
      assert.equal(got.ended, 'ended');
      assert.deepEqual(got.seen, [
        ['message', 'first', 'a1', true],
        ['info', 'an info event', 'a1', true],
        ['message', 'second\nline', 'a2', true],
        ['message', 'tick', 'a2', true],
      ]);
      assert.equal(got.state, 2);
    });

    test('events(): leaving the loop early releases the subscription', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/ticks?ms=30');
        const iterator = source.events();
        let n = 0;
        for await (const event of iterator) {
          n += 1;
          if (n === 2) break;
        }
        // After return(): done at once, although the source is still open.
        const after = await t.within(2000, iterator.next(), 'next after break');
        const state = source.readyState;
        // A pending next() settles when return() is called.
        const other = source.events('message');
        await other.next();
        const pending = other.next();
        const returned = await other.return();
        const settled = await t.within(2000, pending, 'pending next after return');
        source.close();
        return { n, after, state, returned, settled };
      });
      assert.equal(got.n, 2);
      assert.deepEqual(got.after, { value: undefined, done: true });
      assert.equal(got.state, 1, 'breaking the loop does not close the source');
      assert.deepEqual(got.returned, { value: undefined, done: true });
      assert.equal(got.settled.done, true);
    });

    test('events(): made from a closed source, it ends at once; a failed source rejects', async () => {
      const got = await run(async () => {
        const closed = new t.ES('/test/ticks');
        closed.close();
        const first = await t.within(2000, closed.events().next(), 'next on a closed source');
        const failing = new t.ES('/test/status?code=500');
        let error = null;
        try {
          for await (const _ of failing.events()) {
            // Nothing arrives.
          }
        } catch (caught) {
          error = [caught.name, caught.message];
        }
        return { first, error };
      });
      assert.deepEqual(got.first, { value: undefined, done: true });
      assert.equal(got.error?.[0], 'Error');
      assert.match(got.error[1], /will not reconnect/);
    });

    test('JSON: addJsonListener parses, a jsonerror event reports invalid data', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/script');
        const values = [];
        const onceValues = [];
        const failures = [];
        const listener = (value, event) => values.push([value, event instanceof MessageEvent, event.type]);
        source.addJsonListener('stats', listener);
        source.addJsonListener('stats', listener); // de-duplicated
        source.addJsonListener('stats', (value) => onceValues.push(value), { once: true });
        source.addEventListener('jsonerror', (event) => {
          event.preventDefault();
          failures.push({
            type: event.type,
            isErrorEvent: event instanceof ErrorEvent,
            message: event.message,
            name: event.error.name,
            eventType: event.error.eventType,
            data: event.error.data,
            cause: event.error.cause instanceof SyntaxError,
          });
        });
        let typeError = null;
        try {
          source.addJsonListener('stats', 'not a function');
        } catch (error) {
          typeError = error.name;
        }
        await t.until(() => values.length >= 2 && failures.length >= 1, 5000, 'stats events');
        source.close();
        return { values, onceValues, failures, typeError };
      });
      assert.deepEqual(got.values, [
        [{ seq: 1, ok: true }, true, 'stats'],
        [[2, 3], true, 'stats'],
      ]);
      assert.deepEqual(got.onceValues, [{ seq: 1, ok: true }]);
      assert.equal(got.failures.length, 1);
      const [failure] = got.failures;
      assert.equal(failure.type, 'jsonerror');
      assert.equal(failure.isErrorEvent, true);
      assert.match(failure.message, /"stats" event is not valid JSON/);
      assert.equal(failure.name, 'SyntaxError');
      assert.equal(failure.eventType, 'stats');
      assert.equal(failure.data, '{not json');
      assert.equal(failure.cause, true);
      assert.equal(got.typeError, 'TypeError');
    });

    test('JSON: removeJsonListener; an unhandled jsonerror is logged', async () => {
      const before = errors.length;
      const got = await run(async () => {
        const source = new t.ES('/test/script');
        const calls = { removed: 0, kept: 0 };
        const removed = () => (calls.removed += 1);
        source.addJsonListener('stats', removed);
        source.addJsonListener('stats', () => (calls.kept += 1));
        source.removeJsonListener('stats', removed);
        await t.next(source, 'jsonerror');
        await t.next(source, 'message'); // the event after the last stats event
        source.close();
        return calls;
      });
      assert.deepEqual(got, { removed: 0, kept: 2 });
      // Nobody called preventDefault(): the error is on the console.
      const logged = await eventually('the console error', () => errors.slice(before).find((e) => /not valid JSON/.test(e)));
      assert.match(logged, /"stats" event/);
      errors.length = before;
    });

    test('JSON: jsonEvents() yields parsed data and skips invalid data', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/script');
        source.addEventListener('jsonerror', (event) => event.preventDefault());
        const values = [];
        for await (const event of source.jsonEvents('stats')) {
          values.push([event.type, event.data]);
          if (values.length === 2) break;
        }
        source.close();
        return values;
      });
      assert.deepEqual(got, [
        ['stats', { seq: 1, ok: true }],
        ['stats', [2, 3]],
      ]);
    });

    test('a source the page no longer references keeps running until the browser gives up or close()', async () => {
      const got = await run(async () => {
        window.gcCount = 0;
        (() => {
          new t.ES('/test/ticks?ms=30').onmessage = () => (window.gcCount += 1);
        })();
        await t.until(() => window.gcCount >= 1, 5000, 'first message');
        for (let i = 0; i < 5; i += 1) {
          globalThis.gc();
          await t.sleep(50);
        }
        const atGc = window.gcCount;
        await t.until(() => window.gcCount >= atGc + 5, 5000, 'messages after garbage collection');
        return window.gcCount > atGc;
      });
      assert.equal(got, true);
      // It is still open on the server too (the other tests closed theirs).
      await eventually('one open stream', () => server.openStreams() === 1);
    });

    test('no unexpected page errors', () => {
      // Chromium logs the /test/status responses that the failure tests ask for.
      const expected = /Failed to load resource: the server responded with a status of 500/;
      assert.deepEqual(errors.filter((error) => !expected.test(error)), []);
    });
  });
}
