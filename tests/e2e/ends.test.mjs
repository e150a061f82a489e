// Clean ends (`endOn`, truncated answers), comments and `reconnect()`, in
// headless Chromium against the test fixture (tests/fixture/server.mjs):
// its /sse/chat ends an answer with `data: [DONE]` and then keeps the
// connection open, and its /stats record says how many requests came, with
// which last event ID, and whether the connection is still open.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, eventually, openHarness, sleep, startFixture, startHarness } from './helpers.mjs';

const FIXTURE_PORT = 18797;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;
const PAGE_PORT = 18097;

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
  // The refused and cut responses are the browser's to log; anything else is a fault.
  assert.deepEqual(errors.filter((line) => !line.includes('Failed to load resource')), [], 'no page errors');
  await harness?.stop();
  fixture?.kill();
});

const key = (name) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const stats = (k) => fetch(`${FIXTURE}/stats?key=${k}`).then((r) => r.json());

/**
 * Opens `/sse/chat` with `init` and records everything until the source
 * closes: events of `types`, errors, `close`, and what an iterator yields.
 */
function answer(query, init, types = ['message']) {
  return run(async ({ fixture, query, init, types }) => {
    const endOn = init.endOn === 'predicate:token 2' ? (event) => event.data === 'token 2' : init.endOn;
    const source = new t.api.EventSource(`${fixture}/sse/chat?${query}`, { ...init, endOn });
    const log = [];
    for (const type of types) source.addEventListener(type, (event) => log.push(`${type} ${event.data}`));
    source.addEventListener('error', (event) => log.push(`error ${event.kind} ${event.willRetry} ${event.lastEventId} ${event.lastKind}`));
    const closed = t.next(source, 'close', 8000).then((event) => ({ reason: event.reason, state: source.readyState }));
    const iterated = (async () => {
      const data = [];
      for await (const event of source.events(types)) data.push(event.data);
      return data;
    })();
    const close = await closed;
    return { log, close, iterated: await t.within(1000, iterated, 'the iterator to end') };
  }, { fixture: FIXTURE, query, init, types });
}

describe('endOn', () => {
  test("'[DONE]': the source closes though the server keeps the connection open; no reconnect", async () => {
    const k = key('done');
    const got = await answer(`n=3&key=${k}`, { transport: 'fetch', endOn: '[DONE]' });
    assert.deepEqual(got.log, ['message token 1', 'message token 2', 'message token 3'], 'no [DONE], no error');
    assert.deepEqual(got.close, { reason: 'end', state: 2 });
    assert.deepEqual(got.iterated, ['token 1', 'token 2', 'token 3'], 'the iterator finished');
    await eventually('the connection to be aborted', async () => (await stats(k)).open === 0);
    await sleep(400);
    assert.equal((await stats(k)).connections, 1, 'no further request');
  });

  test('{ event, delivered: true }: the sentinel event is dispatched, then the end', async () => {
    const got = await answer(`n=2&sentinel=event&key=${key('event')}`, {
      transport: 'fetch', endOn: { event: 'end', delivered: true },
    }, ['message', 'end']);
    assert.deepEqual(got.log, ['message token 1', 'message token 2', 'end bye']);
    assert.deepEqual(got.iterated, ['token 1', 'token 2', 'bye']);
  });

  test('a predicate ends the source at the event it accepts, which is not dispatched', async () => {
    const got = await answer(`n=5&key=${key('when')}`, { transport: 'fetch', endOn: 'predicate:token 2' });
    assert.deepEqual(got.log, ['message token 1']);
    assert.equal(got.close.reason, 'end');
  });

  for (const [how, lastKind] of [['end', 'undefined'], ['cut', 'network']]) {
    test(`a response that ${how === 'end' ? 'ends' : 'drops'} before the sentinel is truncated, then resumes`, async () => {
      const k = key(`truncated-${how}`);
      const got = await answer(`n=3&cut=2&how=${how}&key=${k}`, { transport: 'fetch', endOn: '[DONE]' });
      assert.deepEqual(got.log, [
        'message token 1', 'message token 2',
        `error truncated true 2 ${lastKind}`,
        'message token 3',
      ]);
      assert.equal(got.close.reason, 'end');
      assert.deepEqual((await stats(k)).lastEventIds, [null, '2'], 'resumed with Last-Event-ID');
    });
  }

  test('the native transport refuses endOn', async () => {
    const thrown = await run(({ fixture }) => {
      try {
        new t.api.EventSource(`${fixture}/sse/chat`, { endOn: '[DONE]' });
        return null;
      } catch (error) {
        return error.name;
      }
    }, { fixture: FIXTURE });
    assert.equal(thrown, 'TypeError');
  });
});

describe('comments', () => {
  test('arrive in order among the events, one leading space stripped', async () => {
    const got = await answer(`n=2&key=${key('comments')}`, { transport: 'fetch', endOn: '[DONE]' }, ['comment', 'message']);
    assert.deepEqual(got.log, [
      'comment connected', 'comment tick 1', 'message token 1', 'comment tick 2', 'message token 2',
    ]);
  });

  test('with no comment listener, no comment event is made', async () => {
    const made = await run(async ({ fixture, k }) => {
      // Counts the comment events the package builds, by the global it builds them with.
      const Original = globalThis.MessageEvent;
      let comments = 0;
      globalThis.MessageEvent = class extends Original {
        constructor(type, init) {
          super(type, init);
          if (type === 'comment') comments += 1;
        }
      };
      try {
        const counts = [];
        for (const listen of [false, true]) {
          const source = new t.api.EventSource(`${fixture}/sse/chat?n=200&key=${k}-${listen}`, { transport: 'fetch', endOn: '[DONE]' });
          if (listen) source.addEventListener('comment', () => {});
          await t.next(source, 'close', 8000);
          counts.push(comments);
          comments = 0;
        }
        return counts;
      } finally {
        globalThis.MessageEvent = Original;
      }
    }, { fixture: FIXTURE, k: key('no-comments') });
    assert.deepEqual(made, [0, 201], 'none without a listener; connected and 200 ticks with one');
  });
});

for (const transport of ['native', 'fetch']) {
  describe(`reconnect() on transport '${transport}'`, () => {
    // A new native object sends the last event ID only in the query.
    const resumable = transport === 'fetch' ? { transport } : { transport, lastEventIdParam: 'lastEventId' };

    test('on an open source: a new request now, from the last event ID; listeners and iterators go on', async () => {
      const k = key(`reconnect-open-${transport}`);
      const got = await run(async ({ fixture, k, init }) => {
        const source = new t.api.EventSource(`${fixture}/sse/drop?n=3&hold=30000&key=${k}`, init);
        const heard = [];
        source.addEventListener('message', (event) => heard.push(event.data));
        let opens = 0;
        source.addEventListener('open', () => (opens += 1));
        const iterator = source.events();
        const data = [];
        for (let i = 0; i < 3; i += 1) data.push((await t.within(5000, iterator.next(), 'before')).value.data);
        const states = [source.readyState];
        source.reconnect();
        states.push(source.readyState);
        for (let i = 0; i < 3; i += 1) data.push((await t.within(5000, iterator.next(), 'after')).value.data);
        states.push(source.readyState);
        source.close();
        return { data, heard, opens, states };
      }, { fixture: FIXTURE, k, init: resumable });
      assert.deepEqual(got.data, ['event 1', 'event 2', 'event 3', 'event 4', 'event 5', 'event 6']);
      assert.equal(got.heard.length, 6);
      assert.equal(got.opens, 2);
      assert.deepEqual(got.states, [1, 0, 1]);
      assert.deepEqual((await stats(k)).lastEventIds, [null, '3']);
    });

    test('while waiting to reconnect: now, not after the delay', async () => {
      const k = key(`reconnect-waiting-${transport}`);
      const got = await run(async ({ fixture, k, init }) => {
        const source = new t.api.EventSource(`${fixture}/sse/drop?n=1&hold=100&retry=10000&key=${k}`, { ...init, reconnect: false });
        const first = await t.next(source, 'message');
        await t.until(() => source.readyState === 0, 3000, 'the drop');
        source.reconnect();
        const second = await t.next(source, 'message');
        source.close();
        return [first.data, second.data];
      }, { fixture: FIXTURE, k, init: resumable });
      assert.deepEqual(got, ['event 1', 'event 2']);
      const seen = await stats(k);
      assert.deepEqual(seen.lastEventIds, [null, '1']);
      assert.ok(seen.times[1] - seen.times[0] < 5000, `no 10 s wait: ${seen.times}`);
    });

    test('on a source that failed for good: revived, with its listeners', async () => {
      const k = key(`reconnect-fatal-${transport}`);
      const got = await run(async ({ fixture, k, transport }) => {
        const source = new t.api.EventSource(`${fixture}/sse/fail?k=1&code=404&key=${k}`, { transport });
        const ready = [];
        source.addEventListener('ready', (event) => ready.push(event.data));
        const failed = await t.next(source, 'error');
        const before = source.readyState;
        source.reconnect();
        const after = source.readyState;
        await t.until(() => ready.length === 1, 5000, 'the ready event');
        const state = source.readyState;
        source.close();
        return { willRetry: failed.willRetry, before, after, ready, state };
      }, { fixture: FIXTURE, k, transport });
      assert.deepEqual(got, { willRetry: false, before: 2, after: 0, ready: ['2'], state: 1 });
    });

    if (transport === 'fetch') {
      // The server sends `retry: 40` on the first connection only; the
      // second, made by reconnect(), is cut after 300 ms. Without the
      // server's reconnection time the policy's base would set the delay.
      test("the server's retry: outlives reconnect(): the next drop waits what the server said", async () => {
        const k = key('reconnect-retry');
        const got = await run(async ({ fixture, k }) => {
          const source = new t.api.EventSource(`${fixture}/sse/drop?n=1&hold=300&retryOnce=40&key=${k}`, { transport: 'fetch' });
          await t.next(source, 'message');
          const before = source.reconnectionTime;
          source.reconnect();
          const second = await t.next(source, 'message');
          const error = await t.next(source, 'error');
          const got = { before, second: second.data, after: source.reconnectionTime, delay: source.retryDelay, willRetry: error.willRetry };
          source.close();
          return got;
        }, { fixture: FIXTURE, k });
        assert.equal(got.before, 40);
        assert.equal(got.second, 'event 2');
        assert.equal(got.after, 40);
        assert.equal(got.willRetry, true);
        assert.ok(got.delay > 0 && got.delay <= 40, `the delay follows the server's retry: 40 ms: ${got.delay}`);
      });

      test('after the endOn sentinel: a new answer', async () => {
        const k = key('reconnect-ended');
        const got = await run(async ({ fixture, k }) => {
          const source = new t.api.EventSource(`${fixture}/sse/chat?n=2&key=${k}`, { transport: 'fetch', endOn: '[DONE]' });
          const heard = [];
          source.addEventListener('message', (event) => heard.push(event.data));
          await t.next(source, 'close');
          source.reconnect();
          await t.next(source, 'close');
          return heard;
        }, { fixture: FIXTURE, k });
        // The second request resumes after ID 2: nothing left but [DONE].
        assert.deepEqual(got, ['token 1', 'token 2']);
        assert.deepEqual((await stats(k)).lastEventIds, [null, '2']);
      });
    }
  });
}
