// What a parsed connection (parsed.js) runs once the wasm module is loaded:
// the fetch transport's requests and signals, a page's stream read into the
// parser, and the batches dispatched. Loaded with the wasm (wasm.js), never
// by a page on the native transport.

import { errorEvent, failure } from './facts.js';
import { CLOSED, OPEN } from './options.js';
import { FetchTransport, Signal, StreamParser } from './web_sse.js';

/**
 * Dispatches one chunk's batch (see src/js/mod.rs: `type\rdata\rid\r` per
 * event, then the source's last event ID and reconnection time) on the
 * page's object.
 */
function dispatchBatch(c, payload) {
  const fields = payload.split('\r');
  const state = fields.length - 2;
  const retry = fields[state + 1];
  if (retry) {
    c.reconnectionTime = Number(retry);
    c.retrySet = true;
  }
  const when = c.endWhen;
  for (let i = 0; i + 3 <= state; i += 3) {
    if (c.readyState !== OPEN) return; // closed by a listener
    const type = fields[i];
    if (type === '') {
      // A comment: the batch holds them only while the page listens.
      c.dispatch(new MessageEvent('comment', { data: fields[i + 1], lastEventId: c.lastEventId, origin: c.origin }));
      continue;
    }
    c.lastEventId = fields[i + 2];
    if (when) {
      // The predicate sees every event, wanted or not.
      const event = new MessageEvent(type, { data: fields[i + 1], lastEventId: fields[i + 2], origin: c.origin });
      if (when(event)) {
        if (c.endDelivered && c.wanted.has(type)) c.dispatch(event);
        if (c.readyState === OPEN) end(c);
        return;
      }
      if (c.wanted.has(type)) c.dispatch(event);
    } else if (c.wanted.has(type)) {
      c.dispatch(new MessageEvent(type, { data: fields[i + 1], lastEventId: fields[i + 2], origin: c.origin }));
    }
  }
  if (c.readyState === OPEN) c.lastEventId = fields[state];
}

function opened(c, origin) {
  c.readyState = OPEN;
  c.origin = origin;
  c.dispatch(new Event('open'));
}

/**
 * The `endOn` sentinel: closed for good, cleanly. A `close` event says so
 * (`reason: 'end'`), and iterators end; no `error` fires.
 */
function end(c) {
  c.close();
  c.ended = true;
  c.dispatch(Object.assign(new Event('close'), { reason: 'end' }));
  c.notify();
}

function warnOversized(c, limit) {
  console.warn(`web-sse: the event source at ${c.url} sent an event over the ${limit === undefined ? 'size' : `${limit}-byte`} limit; it was skipped`);
}

/**
 * The fetch transport's request for one attempt, which the wasm side asks
 * for (src/js/mod.rs, `JsRequest`): the options' method, headers, body and
 * credentials, with the request hook's headers (`name\rvalue\r…`, each name
 * replacing the options') and body over them when it set any, and the last
 * event ID in its header when there is one. Throws what `Request` throws.
 */
function requestBuilder({ method, headers, body, withCredentials }) {
  const base = new Headers();
  for (let i = 0; i + 1 < headers.length; i += 2) base.append(headers[i], headers[i + 1]);
  if (!base.has('accept')) base.set('accept', 'text/event-stream');
  const credentials = withCredentials ? 'include' : 'same-origin';
  return (url, lastEventId, signal, extra, extraBody) => {
    const sent = new Headers(base);
    if (extra !== undefined) {
      const fields = extra.split('\r');
      for (let i = 0; i + 1 < fields.length; i += 2) sent.delete(fields[i]);
      for (let i = 0; i + 1 < fields.length; i += 2) sent.append(fields[i], fields[i + 1]);
    }
    if (lastEventId) sent.set('last-event-id', lastEventId);
    return new Request(url, { method, headers: sent, body: extraBody ?? body, mode: 'cors', cache: 'no-store', credentials, signal });
  };
}

/**
 * Starts attempt `started` of a FetchConnection: the wasm module fetches,
 * parses and reconnects. The transport holds `receive` (and through it the
 * page's object) only while the connection runs; `close()` and a fatal
 * error free it.
 */
export function openFetch(c, request, started) {
  if (c.readyState === CLOSED || started !== c.started) return;
  const { url, method, headers, retryOn, policy, idleTimeout, lastEventId, lastEventIdParam, maxEventSize, refreshOn, replay, endOn } = request;
  c.hook = request.request;
  const hook = c.hook && ((attempt, id, refresh) => c.hook.call(attempt, id, refresh));
  const limit = policy && (policy.maxAttempts === Infinity ? -1 : policy.maxAttempts);
  try {
    c.transport = new FetchTransport(url, requestBuilder(request), method, headers.join('\r'),
      retryOn && new Uint16Array(retryOn),
      policy && new Float64Array([policy.base, policy.cap, limit, policy.resetAfter]),
      idleTimeout, lastEventId, c.retrySet ? c.reconnectionTime : undefined, lastEventIdParam, maxEventSize,
      (signal, payload) => receive(c, signal, payload),
      hook, refreshOn && new Uint16Array(refreshOn), replay);
    // Before the task reads anything: it starts on a later turn.
    if (endOn) c.transport.endOn(endOn.kind, endOn.value, endOn.delivered);
    if (c.wanted.has('comment')) c.transport.comments(true);
  } catch (error) {
    // After the constructor returns, as when the module loads first: the
    // page adds its listeners before it hears why.
    queueMicrotask(() => {
      if (c.readyState !== CLOSED && started === c.started) c.fail({ kind: 'request', message: error.message });
    });
  }
}

/** What the wasm side sends a FetchConnection (`Signal` in src/js/mod.rs). */
function receive(c, signal, payload) {
  if (c.readyState === CLOSED) return;
  switch (signal) {
    case Signal.Events:
      dispatchBatch(c, payload);
      return;
    case Signal.Open:
      c.retryDelay = null;
      c.nextAttemptAt = null;
      opened(c, payload);
      break;
    case Signal.Reconnecting:
      c.readyState = 0;
      c.lastError = failure(c.url, payload, false);
      // The attempt it starts, which State has just said.
      c.dispatch(errorEvent({ ...payload, attempt: c.attempt }, true));
      break;
    case Signal.Failed:
      // What a request function threw, as itself.
      if (payload.kind === 'request-hook' && c.hook?.thrown !== undefined) payload.cause = c.hook.thrown;
      c.lastError = failure(c.url, payload, true);
      c.fail(payload);
      c.notify();
      return;
    case Signal.Finished:
      end(c);
      return;
    case Signal.Problem:
      warnOversized(c, payload.limit);
      return;
    case Signal.State:
      c.attempt = payload.attempt;
      c.retryDelay = payload.delay;
      c.nextAttemptAt = payload.nextAttemptAt;
      break;
    default:
      return;
  }
  c.notify();
}

/**
 * Starts a StreamConnection: this module reads the stream, and the wasm
 * parser only parses (it holds no JS value). One pass: the end of the
 * stream, or an error in it, ends the source.
 */
export function startStream(c) {
  if (c.readyState === CLOSED) return;
  c.parser = new StreamParser();
  opened(c, 'null');
  pump(c);
}

function pump(c) {
  c.reader.read().then(({ done, value }) => {
    if (c.readyState === CLOSED) return;
    if (done) {
      // A clean end: iterators end rather than throw.
      c.fail({ kind: 'end' });
    } else if (value instanceof Uint8Array) {
      const skipped = c.parser.oversized;
      dispatchBatch(c, c.parser.feed(value));
      if (c.parser && c.parser.oversized > skipped) warnOversized(c);
      if (c.readyState === OPEN) pump(c);
    } else {
      c.fail({ kind: 'stream', message: 'the stream must carry Uint8Array chunks (pipe text through a TextEncoderStream)' });
      c.reader.cancel().catch(() => {});
    }
  }, (error) => {
    if (c.readyState !== CLOSED) c.fail({ kind: 'stream', message: `${error?.message ?? error}` });
  });
}
