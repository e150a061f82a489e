// `EventSource.fromReadableStream()`, the WHATWG proposal, point by point as
// its tentative web-platform-tests describe it, in headless Chromium; then the
// shared parser vectors fed through a ReadableStream, whole and byte by byte.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { openHarness, root, startHarness } from './helpers.mjs';

let harness;
let page;
let errors;

const run = (fn, arg) => page.evaluate(fn, arg);

before(async () => {
  harness = await startHarness();
  ({ page, errors } = await openHarness(harness));
  // Stream helpers for the checks below.
  await run(() => {
    const encode = (text) => new TextEncoder().encode(text);
    window.s = {
      /** A stream of `chunks` (strings or Uint8Arrays), then its end. */
      of: (...chunks) => new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encode(chunk) : chunk);
          controller.close();
        },
      }),
      failing: (error) => new ReadableStream({ start: (controller) => controller.error(error) }),
      /** Events of `type` until `count` arrived or the source ended. */
      collect: (source, count, type = 'message') => t.within(3000, new Promise((resolve) => {
        const seen = [];
        const done = () => resolve(seen);
        source.addEventListener(type, (event) => {
          seen.push({ type: event.type, data: event.data, id: event.lastEventId, origin: event.origin });
          if (seen.length === count) done();
        });
        source.addEventListener('error', () => source.readyState === 2 && done());
      }), `${count} ${type} events`),
    };
  });
});

after(async () => {
  await harness?.stop();
});

test('construction: an EventSource, CONNECTING, about:event-stream, no credentials, empty lastEventId, a positive reconnectionTime', async () => {
  const got = await run(() => {
    const source = t.api.EventSource.fromReadableStream(s.of(''));
    const state = {
      instance: source instanceof t.api.EventSource && source instanceof EventTarget,
      readyState: source.readyState,
      url: source.url,
      withCredentials: source.withCredentials,
      lastEventId: source.lastEventId,
      reconnectionTime: source.reconnectionTime,
    };
    source.close();
    return { ...state, closed: source.readyState };
  });
  assert.deepEqual(got, {
    instance: true, readyState: 0, url: 'about:event-stream', withCredentials: false,
    lastEventId: '', reconnectionTime: 3000, closed: 2,
  });
});

test('a locked stream, or no stream, throws TypeError', async () => {
  const got = await run(() => {
    const attempt = (stream) => {
      try {
        t.api.EventSource.fromReadableStream(stream);
        return 'no exception';
      } catch (error) {
        return error.constructor.name;
      }
    };
    const locked = new ReadableStream();
    locked.getReader();
    return [attempt(locked), attempt('data: x\n\n'), attempt(undefined)];
  });
  assert.deepEqual(got, ['TypeError', 'TypeError', 'TypeError']);
});

test('open fires with readyState OPEN; messages, multi-line data, custom types; comments ignored; origin "null"', async () => {
  const got = await run(async () => {
    const source = t.api.EventSource.fromReadableStream(s.of(
      ': a comment\ndata: hello\n\n',
      'data: hello\ndata: world\n\n',
      'event: custom\ndata: named\n\n',
    ));
    const opened = new Promise((resolve) => {
      source.onopen = (event) => resolve([event.type, source.readyState, event.target === source]);
    });
    const messages = s.collect(source, 2);
    const custom = s.collect(source, 1, 'custom');
    return { opened: await opened, messages: await messages, custom: await custom };
  });
  assert.deepEqual(got.opened, ['open', 1, true]);
  assert.deepEqual(got.messages.map((m) => [m.type, m.data, m.origin]), [
    ['message', 'hello', 'null'],
    ['message', 'hello\nworld', 'null'],
  ]);
  assert.deepEqual(got.custom.map((m) => [m.type, m.data]), [['custom', 'named']]);
});

test('data split across chunks, CR/LF/CRLF line ends, a leading BOM stripped', async () => {
  const got = await run(async () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('data: bom\n\n')]);
    const split = await s.collect(t.api.EventSource.fromReadableStream(s.of('da', 'ta: hel', 'lo\n\n')), 1);
    const endings = await s.collect(t.api.EventSource.fromReadableStream(s.of('data: cr\r\rdata: lf\n\ndata: crlf\r\n\r\n')), 3);
    const stripped = await s.collect(t.api.EventSource.fromReadableStream(s.of(bom)), 1);
    return [split, endings, stripped].map((events) => events.map((e) => e.data));
  });
  assert.deepEqual(got, [['hello'], ['cr', 'lf', 'crlf'], ['bom']]);
});

test('id: sets lastEventId (event and source); retry: sets reconnectionTime, a bogus retry: is ignored', async () => {
  const got = await run(async () => {
    const ids = t.api.EventSource.fromReadableStream(s.of('id: 42\ndata: hello\n\n'));
    const idSeen = await new Promise((resolve) => {
      ids.onmessage = (event) => resolve([event.lastEventId, ids.lastEventId]);
    });
    const retry = t.api.EventSource.fromReadableStream(s.of('retry: 5000\ndata: a\n\n'));
    const retrySeen = await new Promise((resolve) => {
      retry.onmessage = () => resolve(retry.reconnectionTime);
    });
    const bogus = t.api.EventSource.fromReadableStream(s.of('retry: bogus\ndata: a\n\n'));
    const initial = bogus.reconnectionTime;
    const bogusSeen = await new Promise((resolve) => {
      bogus.onmessage = () => resolve(bogus.reconnectionTime === initial);
    });
    return { idSeen, retrySeen, bogusSeen };
  });
  assert.deepEqual(got, { idSeen: ['42', '42'], retrySeen: 5000, bogusSeen: true });
});

test('the end of the stream: complete events first, then one error, CLOSED, no reconnection; an empty stream too', async () => {
  const got = await run(async () => {
    const watch = (source) => new Promise((resolve) => {
      const log = [];
      source.onmessage = (event) => log.push(['message', event.data]);
      source.onerror = () => {
        log.push(['error', source.readyState]);
        setTimeout(() => resolve(log), 200);
      };
    });
    return {
      ended: await watch(t.api.EventSource.fromReadableStream(s.of('data: hello\n\ndata: cut off'))),
      empty: await watch(t.api.EventSource.fromReadableStream(s.of(''))),
    };
  });
  assert.deepEqual(got.ended, [['message', 'hello'], ['error', 2]], 'the unfinished event is discarded');
  assert.deepEqual(got.empty, [['error', 2]]);
});

test('an error in the stream fires one error and goes CLOSED', async () => {
  const got = await run(async () => {
    const source = t.api.EventSource.fromReadableStream(s.failing(new Error('broken')));
    const errors = [];
    source.onerror = (event) => errors.push([source.readyState, event.willRetry, event.message]);
    await t.sleep(200);
    return errors;
  });
  assert.deepEqual(got, [[2, false, 'broken']]);
});

test('close() sets CLOSED at once and cancels the stream', async () => {
  const got = await run(async () => {
    let cancelled = null;
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: one\n\n'));
      },
      cancel(reason) {
        cancelled = `cancelled: ${reason}`;
      },
    });
    const source = t.api.EventSource.fromReadableStream(stream);
    await new Promise((resolve) => {
      source.onmessage = resolve;
    });
    source.close();
    const state = source.readyState;
    await t.until(() => cancelled !== null, 2000, 'the cancel');
    return { state, cancelled };
  });
  assert.equal(got.state, 2);
  assert.match(got.cancelled, /^cancelled/);
});

test('the TransformStream pattern: bodies piped one after another, lastEventId and reconnectionTime carry over', async () => {
  const got = await run(async () => {
    const pipe = new TransformStream();
    const source = t.api.EventSource.fromReadableStream(pipe.readable);
    const seen = [];
    const ended = new Promise((resolve) => {
      source.onmessage = (event) => seen.push([event.data, source.lastEventId, source.reconnectionTime]);
      source.onerror = () => resolve(source.readyState);
    });
    await s.of('id: 42\nretry: 1500\ndata: first\n\n').pipeTo(pipe.writable, { preventClose: true });
    await t.until(() => seen.length === 1, 2000, 'the first body');
    const between = [source.lastEventId, source.reconnectionTime];
    await s.of('data: after reconnect\n\n').pipeTo(pipe.writable);
    return { seen, between, state: await t.within(2000, ended, 'the end') };
  });
  assert.deepEqual(got.seen, [['first', '42', 1500], ['after reconnect', '42', 1500]]);
  assert.deepEqual(got.between, ['42', 1500]);
  assert.equal(got.state, 2);
});

test('events() iterates a POST-like stream to its end and finishes without throwing', async () => {
  const got = await run(async () => {
    const source = t.api.EventSource.fromReadableStream(s.of('data: tok1\n\n', 'data: tok2\n\n', 'event: done\ndata: {}\n\n'));
    const tokens = [];
    for await (const event of source.events(['message', 'done'])) tokens.push(event.data);
    return { tokens, state: source.readyState };
  });
  assert.deepEqual(got, { tokens: ['tok1', 'tok2', '{}'], state: 2 });
});

test('the shared vectors through a ReadableStream, whole and byte by byte, match what the spec dispatches', async () => {
  const { vectors } = JSON.parse(await fs.readFile(path.join(root, 'tests', 'data', 'sse-vectors.json'), 'utf8'));
  // Several connections are a reconnecting source's; one stream is one body.
  const single = vectors.filter((vector) => vector.chunks);
  const got = await run(async (cases) => {
    const bytes = (chunk) => (typeof chunk === 'string'
      ? new TextEncoder().encode(chunk)
      : new Uint8Array(chunk.bytes_hex.match(/../g).map((h) => parseInt(h, 16))));
    const outcome = async (chunks) => {
      const source = t.api.EventSource.fromReadableStream(s.of(...chunks));
      const types = new Set();
      const events = [];
      // Every type the vector expects, in arrival order.
      const listen = (type) => {
        if (types.has(type)) return;
        types.add(type);
        source.addEventListener(type, (event) => events.push({ type: event.type, data: event.data, lastEventId: event.lastEventId }));
      };
      return { source, events, listen };
    };
    const results = [];
    for (const vector of cases) {
      const whole = vector.chunks.map(bytes);
      const all = new Uint8Array(whole.reduce((n, c) => n + c.length, 0));
      whole.reduce((at, c) => (all.set(c, at), at + c.length), 0);
      const byByte = [...all].map((b) => new Uint8Array([b]));
      for (const [how, chunks] of [['whole', whole], ['byte by byte', byByte]]) {
        const { source, events, listen } = await outcome(chunks);
        for (const event of vector.expect.events) listen(event.type);
        listen('message');
        await new Promise((resolve) => {
          source.addEventListener('error', resolve, { once: true });
        });
        results.push({ id: vector.id, how, events, lastEventId: source.lastEventId, retry: source.reconnectionTime });
      }
    }
    return results;
  }, single);
  let compared = 0;
  for (const result of got) {
    const vector = single.find((v) => v.id === result.id);
    const expected = vector.expect.events.map((event) => ({
      type: event.type,
      data: event.data,
      lastEventId: event.lastEventId ?? result.events.find((e) => e.data === event.data)?.lastEventId,
    }));
    assert.deepEqual(result.events, expected, `${result.id} (${result.how})`);
    if (vector.expect.lastEventId !== undefined) {
      assert.equal(result.lastEventId, vector.expect.lastEventId, `${result.id} (${result.how}) lastEventId`);
    }
    if (vector.expect.retry !== undefined) assert.equal(result.retry, vector.expect.retry, `${result.id} retry`);
    compared += 1;
  }
  console.log(`fromReadableStream: ${single.length} single-body vectors (of ${vectors.length}) matched whole and byte by byte (${compared} runs)`);
  assert.equal(compared, single.length * 2);
});

test('no unexpected page errors', () => {
  assert.deepEqual(errors, []);
});

test('a chunk of megabytes is parsed in slices: the same events, in order, as one chunk per event', async () => {
  const got = await run(async () => {
    // 40,000 small events with ids, a 3 MB event, and a CR-ended tail, all in
    // one chunk; then the same stream one event per chunk.
    const parts = [];
    for (let i = 0; i < 40000; i += 1) parts.push(`id: ${i}\ndata: event ${i}\n\n`);
    parts.push(`event: big\ndata: ${'y'.repeat(3 << 20)}\n\n`, 'data: last\r\r');
    const read = async (stream) => {
      const source = t.api.EventSource.fromReadableStream(stream);
      const seen = [];
      const record = (event) => seen.push(`${event.type}:${event.lastEventId}:${event.data.length}:${event.data.slice(0, 12)}`);
      source.addEventListener('message', record);
      source.addEventListener('big', record);
      await t.within(20000, new Promise((resolve) => source.addEventListener('error', resolve)), 'the end of the stream');
      return seen;
    };
    const whole = await read(s.of(parts.join('')));
    const pieces = await read(s.of(...parts));
    return { count: whole.length, same: JSON.stringify(whole) === JSON.stringify(pieces), last: whole.slice(-2) };
  });
  assert.equal(got.count, 40002);
  assert.ok(got.same, 'one chunk and one chunk per event give the same events');
  assert.deepEqual(got.last, [`big:39999:${3 << 20}:yyyyyyyyyyyy`, 'message:39999:4:last']);
});
