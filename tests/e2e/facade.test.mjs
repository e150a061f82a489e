// The package's EventSource against the browser's own, side by side in one
// page (headless Chromium, the real dev server): the EventTarget identity
// (this, target, currentTarget, instanceof, dispatchEvent), handler ordering,
// exceptions, every odd argument the DOM accepts, a randomized comparison of
// thousands of calls, and the class installed as a module worker's global.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openHarness, startHarness } from './helpers.mjs';

/** Calls compared with native in the randomized test, per page. */
const RANDOM_CALLS = 4000;

let harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.stop();
});

for (const mode of ['module', 'global']) {
  describe(`facade vs native, the class ${mode === 'global' ? 'installed as the global' : 'imported'}`, () => {
    let page;
    let errors;
    const run = (fn, arg) => page.evaluate(fn, arg);

    before(async () => {
      ({ page, errors } = await openHarness(harness, mode === 'global' ? '?global=1' : ''));
    });

    after(async () => {
      await page?.close();
    });

    test('a real EventTarget: instanceof, constructor name, toString tag, length, dispatchEvent', async () => {
      const got = await run(() => {
        const describe = (Class) => {
          const source = new Class('/test/ticks?ms=1000');
          const seen = [];
          source.onmessage = function (event) {
            seen.push(['handler', event.data, this === source, event.target === source]);
          };
          source.addEventListener('custom', (event) => seen.push(['custom', event.detail, event.currentTarget === source]));
          const returned = [
            source.dispatchEvent(new MessageEvent('message', { data: 'synthetic' })),
            source.dispatchEvent(new CustomEvent('custom', { detail: 7 })),
          ];
          source.close();
          return {
            eventTarget: source instanceof EventTarget,
            own: source instanceof Class,
            name: source.constructor.name,
            tag: Object.prototype.toString.call(source),
            length: Class.length,
            constants: Object.getOwnPropertyDescriptor(Class, 'OPEN'),
            keys: Object.keys(Object.getPrototypeOf(source)).filter((key) => !/^(events|jsonEvents|addJsonListener|removeJsonListener|lastEventId|reconnectionTime|attempt|retryDelay|nextAttemptAt|lastError|shared|reconnect)$/.test(key)).sort(),
            returned,
            seen,
          };
        };
        return { ours: describe(t.ES), native: describe(t.Native) };
      });
      assert.equal(got.ours.eventTarget, true);
      assert.equal(got.ours.own, true);
      assert.equal(got.ours.name, 'EventSource');
      assert.deepEqual(got.ours, got.native);
    });

    test('this, target and currentTarget are the page\'s object in listeners, handleEvent objects and on* handlers', async () => {
      const got = await run(async () => {
        const record = async (Class) => {
          const source = new Class('/test/script');
          const seen = [];
          const note = (how, self, event) =>
            seen.push([how, event.type, self === source, event.target === source, event.currentTarget === source]);
          source.onopen = function (event) { note('onopen', this, event); };
          source.onmessage = function (event) { note('onmessage', this, event); };
          source.addEventListener('info', function (event) { note('listener', this, event); });
          const object = { handleEvent(event) { seen.push(['handleEvent', event.type, this === object, event.currentTarget === source]); } };
          source.addEventListener('info', object);
          await t.until(() => seen.filter(([how]) => how === 'onmessage').length >= 2, 5000, 'two messages');
          source.close();
          return seen.slice(0, 5);
        };
        return { ours: await record(t.ES), native: await record(t.Native) };
      });
      assert.deepEqual(got.ours, [
        ['onopen', 'open', true, true, true],
        ['onmessage', 'message', true, true, true],
        ['listener', 'info', true, true, true],
        ['handleEvent', 'info', true, true],
        ['onmessage', 'message', true, true, true],
      ]);
      assert.deepEqual(got.ours, got.native);
    });

    test('error events: this and target on a reconnect and on a failure', async () => {
      const got = await run(async () => {
        const record = async (Class, url, until) => {
          const source = new Class(url);
          const seen = [];
          source.onerror = function (event) {
            seen.push([event.type, source.readyState, this === source, event.target === source]);
          };
          await t.until(() => until(seen), 5000, `errors from ${url}`);
          source.close();
          return seen.slice(0, 1);
        };
        const compare = async (url, until) => ({
          ours: await record(t.ES, url, until),
          native: await record(t.Native, url, until),
        });
        return {
          reconnect: await compare('/test/ticks?ms=20&end=2&retry=50', (seen) => seen.length >= 1),
          failure: await compare('/test/status?code=500', (seen) => seen.length >= 1),
        };
      });
      assert.deepEqual(got.reconnect.ours, [['error', 0, true, true]]);
      assert.deepEqual(got.failure.ours, [['error', 2, true, true]]);
      assert.deepEqual(got.reconnect, { ours: got.reconnect.ours, native: got.reconnect.ours });
      assert.deepEqual(got.failure, { ours: got.failure.ours, native: got.failure.ours });
    });

    test('on* handlers keep their DOM place among listeners; once, signal, capture and duplicates as native', async () => {
      const got = await run(async () => {
        const order = async (Class) => {
          const source = new Class('/test/ticks?ms=30');
          const calls = [];
          const mark = (name) => () => calls.push(name);
          const controller = new AbortController();
          const twice = mark('twice');
          source.addEventListener('message', mark('A'));
          source.onmessage = mark('H1'); // takes its place here
          source.addEventListener('message', mark('B'));
          source.onmessage = mark('H2'); // same place as H1
          source.addEventListener('message', mark('once'), { once: true });
          source.addEventListener('message', mark('signal'), { signal: controller.signal });
          source.addEventListener('message', twice);
          source.addEventListener('message', twice);
          source.addEventListener('message', twice, { capture: true }); // a second registration
          let events = 0;
          source.addEventListener('message', () => {
            events += 1;
            calls.push('|');
            if (events === 1) {
              controller.abort();
              source.onmessage = null; // leaves its place
              source.onmessage = mark('H3'); // and comes back last
            }
            // No third message, however late the poll below runs; the
            // listeners after this one still get this message.
            if (events === 2) source.close();
          });
          await t.until(() => events >= 2, 5000, 'two messages');
          source.close();
          return calls.join(' ');
        };
        return { ours: await order(t.ES), native: await order(t.Native) };
      });
      assert.equal(got.ours, 'A H2 B once signal twice twice | A B twice twice | H3');
      assert.equal(got.ours, got.native);
    });

    test('an exception in a listener is reported to the page and the next listener still runs', async () => {
      const got = await run(async () => {
        const reported = [];
        const onError = (event) => {
          reported.push(event.error?.message);
          event.preventDefault(); // keep the console clean
        };
        window.addEventListener('error', onError);
        const check = async (Class, tag) => {
          const source = new Class('/test/ticks?ms=30');
          let after = 0;
          source.onmessage = () => {
            throw new Error(`${tag} handler`);
          };
          source.addEventListener('message', () => {
            throw new Error(`${tag} listener`);
          });
          source.addEventListener('message', () => (after += 1));
          await t.until(() => after >= 1, 5000, 'a message');
          source.close();
          return after;
        };
        const after = [await check(t.ES, 'ours'), await check(t.Native, 'native')];
        window.removeEventListener('error', onError);
        return { after, reported };
      });
      assert.deepEqual(got.after, [1, 1]);
      assert.deepEqual(got.reported, ['ours handler', 'ours listener', 'native handler', 'native listener']);
    });

    test('every argument the DOM accepts: URL objects, numbers, null, toString objects, init getters; errors of the same class', async () => {
      const got = await run(() => {
        const cases = [
          () => [new URL('/test/ticks?ms=1000', location.href)],
          () => [new URL('/test/ticks?ms=1000', location.href), { withCredentials: true }],
          () => [42],
          () => [null],
          () => [undefined],
          () => [true],
          () => [{ toString: () => '/test/ticks?ms=1000' }],
          () => [{ valueOf: () => 7, toString: undefined }],
          () => [['/test', 'ticks']],
          () => ['/test/ticks', { get withCredentials() { return 'yes'; } }],
          () => ['/test/ticks', { get withCredentials() { throw new RangeError('from a getter'); } }],
          () => ['/test/ticks', null],
          () => ['/test/ticks', 5],
          () => ['/test/ticks', 'options'],
          () => ['/test/ticks', () => {}],
          () => ['/test/ticks', {}, 'extra', 'args'],
          () => [Symbol('url')],
          () => [{ toString() { throw new EvalError('from toString'); } }],
          () => [Object.create(null)],
          () => ['http://[::1'],
          () => ['http://127.0.0.1:99999/'],
          () => [],
        ];
        const outcome = (Class, args) => {
          try {
            const source = new Class(...args);
            const result = ['ok', source.url, source.withCredentials, source.readyState];
            source.close();
            return result;
          } catch (error) {
            return ['throws', error.constructor.name, error.name, error instanceof DOMException];
          }
        };
        return cases.map((make) => ({ ours: outcome(t.ES, make()), native: outcome(t.Native, make()) }));
      });
      for (const [i, { ours, native }] of got.entries()) assert.deepEqual(ours, native, `case ${i}`);
      assert.equal(got[0].ours[1], `${harness.server.url}test/ticks?ms=1000`);
      assert.deepEqual(got[16].ours.slice(0, 2), ['throws', 'TypeError']);
      assert.deepEqual(got[19].ours.slice(0, 3), ['throws', 'DOMException', 'SyntaxError']);
    });

    test(`randomized: ${RANDOM_CALLS} calls with random arguments, each compared with native; the module works afterwards`, async () => {
      const got = await run(async (calls) => {
        // A seeded generator: each call builds its arguments twice from the
        // same seed, so that both classes get equal but separate values.
        const generator = (seed) => {
          let state = seed >>> 0 || 1;
          const next = () => {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            return (state >>> 0) / 2 ** 32;
          };
          const pick = (items) => items[Math.floor(next() * items.length)];
          const url = () => pick([
            '/test/ticks?ms=1000', '/test/status?code=204', 'test/ticks', '', ' ', 'a b', '%', '\u0000', '?q=1', '#frag',
            'http://[::1', 'http://127.0.0.1:99999/', 'http://127.0.0.1:1/refused', `${location.origin}/test/ticks`,
            'javascript:void 0', 'about:blank', 'data:text/event-stream,data%3Ax%0A%0A', 'http://127.0.0.1:18080/\u{1F600}',
          ]);
          const value = () => pick([
            () => undefined, () => null, () => true, () => false, () => 0, () => -0, () => 1.5, () => NaN,
            () => Infinity, () => 42n, url, url, url, () => Symbol('s'),
            () => new URL('/test/ticks?ms=1000', location.href),
            () => ({ toString: () => url() }),
            () => ({ toString() { throw new RangeError('toString'); } }),
            () => ({ valueOf: () => 3, toString: undefined }),
            () => Object.create(null), () => [], () => [url(), url()], () => function named() {},
            () => ({}), () => ({ withCredentials: pick([true, false, 0, 'x', null]) }),
            () => ({ get withCredentials() { return next() < 0.5; } }),
            () => ({ get withCredentials() { throw new EvalError('getter'); } }),
            () => new Event(pick(['message', 'open', 'error', 'x'])),
            () => new MessageEvent(pick(['message', 'x']), { data: 'd' }),
            () => () => {}, () => ({ handleEvent() {} }),
            () => ({ once: true }), () => ({ capture: 1 }), () => ({ passive: true }),
            () => ({ signal: AbortSignal.abort() }), () => ({ signal: 5 }),
            () => ({ get once() { throw new SyntaxError('option getter'); } }),
            () => new EventTarget(),
          ])();
          const args = () => Array.from({ length: Math.floor(next() * 4) }, value);
          return { next, pick, value, args };
        };
        const describe = (value, self, given) => {
          if (self !== undefined && value === self) return 'self';
          if (value !== undefined && value === given) return 'same';
          if (value === null || typeof value !== 'object' && typeof value !== 'function') {
            return `${typeof value} ${typeof value === 'symbol' ? value.toString() : String(value)}`;
          }
          return `other ${Object.prototype.toString.call(value)}`;
        };
        const outcome = (fn, self, given) => {
          try {
            return describe(fn(), self, given);
          } catch (error) {
            return `throws ${error?.constructor?.name} ${error?.name}`;
          }
        };
        const pair = () => ({ ours: new t.ES('/test/ticks?ms=1000'), native: new t.Native('/test/ticks?ms=1000') });
        let sources = pair();
        const differences = [];
        const kinds = {};
        const members = ['readyState', 'url', 'withCredentials', 'onopen', 'onmessage', 'onerror', 'CONNECTING', 'OPEN', 'CLOSED'];
        const methods = ['addEventListener', 'removeEventListener', 'dispatchEvent', 'close'];
        const master = generator(20261130);
        for (let i = 0; i < calls; i += 1) {
          const seed = Math.floor(master.next() * 2 ** 32);
          const kind = master.pick(['construct', 'construct', 'method', 'method', 'method', 'set', 'get', 'foreign this']);
          kinds[kind] = (kinds[kind] ?? 0) + 1;
          const side = (which) => {
            const { args, pick, value } = generator(seed);
            const Class = which === 'ours' ? t.ES : t.Native;
            const self = sources[which];
            switch (kind) {
              case 'construct':
                return outcome(() => {
                  const source = new Class(...args());
                  const state = [source.url, source.withCredentials, source.readyState].join(' ');
                  source.close();
                  return state;
                });
              case 'method': {
                const method = pick(methods);
                if (method === 'close' && pick([0, 1, 2, 3]) !== 0) return 'skipped';
                return `${method} ${outcome(() => self[method](...args()), self)}`;
              }
              case 'set': {
                const member = pick(members);
                const given = value();
                const set = outcome(() => {
                  self[member] = given;
                });
                return `${member} ${set} ${outcome(() => self[member], self, given)}`;
              }
              case 'get':
                return outcome(() => self[pick(members)], self);
              default: {
                // A prototype member called on another receiver.
                const member = pick([...members.slice(0, 6), ...methods]);
                const receiver = pick([undefined, null, {}, new EventTarget(), 'this', 'other'])
                const target = receiver === 'this' ? self : receiver === 'other' ? sources[which === 'ours' ? 'native' : 'ours'] : receiver;
                const descriptor = Object.getOwnPropertyDescriptor(Class.prototype, member)
                  ?? Object.getOwnPropertyDescriptor(EventTarget.prototype, member);
                const fn = descriptor.value ?? descriptor.get;
                return `${member} ${outcome(() => Reflect.apply(fn, target, args()), self)}`;
              }
            }
          };
          const ours = side('ours');
          const native = side('native');
          if (ours !== native && differences.length < 20) differences.push({ i, kind, ours, native });
          if (sources.native.readyState === 2 || sources.ours.readyState === 2) {
            sources.ours.close();
            sources.native.close();
            sources = pair();
          }
        }
        sources.ours.close();
        sources.native.close();
        // The module still works: a fresh source receives its events.
        const source = new t.ES('/test/script');
        const first = await t.within(5000, new Promise((resolve) => {
          source.onmessage = (event) => resolve([event.data, event.target === source]);
        }), 'a message after the randomized calls');
        source.close();
        return { differences, kinds, first };
      }, RANDOM_CALLS);
      console.log(`randomized: ${RANDOM_CALLS} calls compared with native (${JSON.stringify(got.kinds)}), ${got.differences.length} differences`);
      assert.deepEqual(got.differences, []);
      assert.deepEqual(got.first, ['first', true]);
    });

    // WPT eventsource/eventsource-onmessage-trusted, and what it implies: a
    // source whose options the browser's object serves is that object.
    test('events are the browser\'s own: trusted (WPT eventsource-onmessage-trusted), never copies, exact target', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/script');
        const seen = [];
        source.onopen = (event) => seen.push(['open', event.isTrusted, event.target === source]);
        source.addEventListener('info', (event) => seen.push(['info', event.isTrusted, event.target === source, source.lastEventId]));
        const message = await new Promise((resolve) => {
          source.onmessage = function (event) {
            resolve([event.isTrusted, this === source, event.target === source, event.lastEventId, source.lastEventId, event.data]);
          };
        });
        await t.until(() => seen.length >= 2, 5000, 'the info event');
        source.close();
        const policy = new t.ES('/test/script', { idleTimeout: 60_000 });
        const copied = await t.next(policy, 'message');
        policy.close();
        return {
          message,
          seen,
          own: [source instanceof t.ES, source instanceof t.Native, source instanceof globalThis.EventSource, source instanceof EventTarget],
          facade: [policy instanceof t.ES, policy instanceof t.Native, policy instanceof globalThis.EventSource, policy instanceof EventTarget],
          copied: [copied.isTrusted, copied.target === policy, copied.data],
          global: t.global,
        };
      });
      assert.deepEqual(got.message, [true, true, true, 'a1', 'a1', 'first']);
      assert.deepEqual(got.seen, [['open', true, true], ['info', true, true, 'a1']]);
      // Installed as the global, the page's class is the global; imported, the global is native's.
      assert.deepEqual(got.own, [true, true, true, true]);
      // A source under a policy outlives one browser object: the facade, of the class all the same.
      assert.deepEqual(got.facade, [true, true, true, true]);
      assert.deepEqual(got.copied, [false, true, 'first']);
    });

    test('the browser\'s own object: error events carry willRetry, and reconnect() goes on with copies', async () => {
      const got = await run(async () => {
        const source = new t.ES('/test/ticks?ms=20&end=2&retry=50');
        const errors = [];
        source.onmessage = () => {};
        source.onerror = (event) => errors.push([event.isTrusted, event.willRetry, source.readyState]);
        await t.until(() => errors.length >= 1, 5000, 'a reconnect');
        const before = source.lastEventId;
        source.reconnect();
        const states = [source.readyState];
        const after = await t.next(source, 'message');
        states.push(source.readyState);
        source.close();
        states.push(source.readyState);
        const failed = new t.ES('/test/status?code=500');
        const fatal = await new Promise((resolve) => {
          failed.onerror = (event) => { if (failed.readyState === 2) resolve([event.isTrusted, event.willRetry]); };
        });
        failed.close();
        return { first: errors[0], before, after: [after.isTrusted, after.target === source, after.data], states, fatal };
      });
      assert.deepEqual(got.first, [true, true, 0]);
      assert.equal(got.before, '2');
      assert.deepEqual(got.after, [false, true, 'tick 1']);
      assert.deepEqual(got.states, [0, 1, 2]);
      assert.deepEqual(got.fatal, [true, false]);
    });

    test('installed as the global of a module worker', async () => {
      const got = await run(() => t.within(10_000, new Promise((resolve, reject) => {
        const worker = new Worker('/harness/worker.mjs', { type: 'module' });
        worker.onmessage = (event) => {
          worker.terminate();
          resolve(event.data);
        };
        worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
      }), 'the worker'));
      assert.deepEqual(got, {
        supported: true,
        installed: true,
        eventTarget: true,
        seen: [
          ['message', 'first', true, true],
          ['info', 'an info event', true, true],
          ['message', 'second\nline', true, true],
        ],
        iterated: ['first', 'second\nline'],
        state: 2,
        viaFetch: ['first', true, true],
      });
    });

    test('no unexpected page errors', () => {
      const expected = /Failed to load resource|net::ERR_|Not allowed to load local resource/;
      assert.deepEqual(errors.filter((error) => !expected.test(error)), []);
    });
  });
}
