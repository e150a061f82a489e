// The connections whose events the wasm parser reads: over fetch() (the
// fetch transport), or from a stream the page owns (fromReadableStream).

import { Connection } from './connection.js';
import { errorEvent, failure } from './facts.js';
import { CLOSED, OPEN } from './options.js';
import { bindings, readyBindings } from './wasm.js';

/** Why a source could not start: the wasm did not load. */
const unloaded = (error) => ({ kind: 'wasm', message: `web-sse could not load its wasm module: ${error.message}` });

/**
 * A connection whose events the wasm parser reads. It dispatches each chunk's
 * batch (see src/js/mod.rs: `type\rdata\rid\r` per event, then the source's
 * last event ID and reconnection time) on the page's object.
 */
class ParsedConnection extends Connection {
  origin = '';

  open(origin) {
    this.readyState = OPEN;
    this.origin = origin;
    this.dispatch(new Event('open'));
  }

  /** Ends the source for good and says why on an `error` event. */
  fail(details) {
    this.failed = true;
    this.close();
    this.dispatch(errorEvent(details, false));
  }

  /** The page's `endOn` predicate (fetch), called with each event; null without one. */
  endWhen = null;
  /** Whether the sentinel `endWhen` matches is dispatched before the end. */
  endDelivered = false;

  dispatchBatch(payload) {
    const fields = payload.split('\r');
    const state = fields.length - 2;
    const retry = fields[state + 1];
    if (retry) this.reconnectionTime = Number(retry);
    const when = this.endWhen;
    for (let i = 0; i + 3 <= state; i += 3) {
      if (this.readyState !== OPEN) return; // closed by a listener
      const type = fields[i];
      if (type === '') {
        // A comment: the batch holds them only while the page listens.
        this.dispatch(new MessageEvent('comment', { data: fields[i + 1], lastEventId: this.lastEventId, origin: this.origin }));
        continue;
      }
      this.lastEventId = fields[i + 2];
      if (when) {
        // The predicate sees every event, wanted or not.
        const event = new MessageEvent(type, { data: fields[i + 1], lastEventId: fields[i + 2], origin: this.origin });
        if (when(event)) {
          if (this.endDelivered && this.wanted.has(type)) this.dispatch(event);
          if (this.readyState === OPEN) this.end();
          return;
        }
        if (this.wanted.has(type)) this.dispatch(event);
      } else if (this.wanted.has(type)) {
        this.dispatch(new MessageEvent(type, { data: fields[i + 1], lastEventId: fields[i + 2], origin: this.origin }));
      }
    }
    if (this.readyState === OPEN) this.lastEventId = fields[state];
  }

  /**
   * The `endOn` sentinel: closed for good, cleanly. A `close` event says so
   * (`reason: 'end'`), and iterators end; no `error` fires.
   */
  end() {
    this.close();
    this.ended = true;
    this.dispatch(Object.assign(new Event('close'), { reason: 'end' }));
    this.notify();
  }

  warnOversized(limit) {
    console.warn(`web-sse: the event source at ${this.url} sent an event over the ${limit === undefined ? 'size' : `${limit}-byte`} limit; it was skipped`);
  }
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
 * The fetch transport: the wasm module fetches, parses and reconnects. It
 * holds `receive` (and through it the page's object) only while the
 * connection runs; `close()` and a fatal error free it.
 */
export class FetchConnection extends ParsedConnection {
  #transport = null;
  /** The names of what the wasm side sends (`Signal` in src/js/mod.rs). */
  #signal = null;
  /** The page's request functions (request.js), or null. */
  #hook = null;
  #request;
  /** Counts the transports started: a reconnect leaves the earlier ones' loads behind. */
  #started = 0;

  constructor(request, dispatchEvent) {
    super(request.url, request.withCredentials, dispatchEvent);
    this.#request = request;
    this.lastEventId = request.lastEventId;
    this.endWhen = request.endOn?.when ?? null;
    this.endDelivered = Boolean(request.endOn?.delivered);
    this.#start(request);
  }

  #start(request) {
    const started = ++this.#started;
    // With the module ready (the page called init(), or a source loaded
    // it), the transport starts now rather than a few promise turns later.
    const glue = readyBindings();
    if (glue) {
      this.#open(request, glue, started);
      return;
    }
    bindings().then((loaded) => this.#open(request, loaded, started), (error) => {
      if (started === this.#started) this.fail(unloaded(error));
    });
  }

  #open(request, { FetchTransport, Signal }, started) {
    if (this.readyState === CLOSED || started !== this.#started) return;
    this.#signal = Signal;
    const { url, method, headers, retryOn, policy, idleTimeout, lastEventId, lastEventIdParam, maxEventSize, refreshOn, replay, endOn } = request;
    this.#hook = request.request;
    const hook = this.#hook && ((attempt, id, refresh) => this.#hook.call(attempt, id, refresh));
    const limit = policy && (policy.maxAttempts === Infinity ? -1 : policy.maxAttempts);
    try {
      this.#transport = new FetchTransport(url, requestBuilder(request), method, headers.join('\r'),
        retryOn && new Uint16Array(retryOn),
        policy && new Float64Array([policy.base, policy.cap, limit, policy.resetAfter]),
        idleTimeout, lastEventId, lastEventIdParam, maxEventSize,
        (signal, payload) => this.#receive(signal, payload),
        hook, refreshOn && new Uint16Array(refreshOn), replay);
      // Before the task reads anything: it starts on a later turn.
      if (endOn) this.#transport.endOn(endOn.kind, endOn.value, endOn.delivered);
      if (this.wanted.has('comment')) this.#transport.comments(true);
    } catch (error) {
      // After the constructor returns, as when the module loads first: the
      // page adds its listeners before it hears why.
      queueMicrotask(() => {
        if (this.readyState !== CLOSED && started === this.#started) this.fail({ kind: 'request', message: error.message });
      });
    }
  }

  listen(type) {
    super.listen(type);
    if (type === 'comment') this.#transport?.comments(true);
  }

  /** A new request now, from the last event ID, whatever the state. */
  reconnect() {
    this.#transport?.free();
    this.#transport = null;
    this.restart();
    this.#start({ ...this.#request, lastEventId: this.lastEventId });
    this.notify();
  }

  close() {
    super.close();
    this.#transport?.free();
    this.#transport = null;
    this.#hook = null;
  }

  #receive(signal, payload) {
    if (this.readyState === CLOSED) return;
    const Signal = this.#signal;
    switch (signal) {
      case Signal.Events:
        this.dispatchBatch(payload);
        return;
      case Signal.Open:
        this.retryDelay = null;
        this.nextAttemptAt = null;
        this.open(payload);
        break;
      case Signal.Reconnecting:
        this.readyState = 0;
        this.lastError = failure(this.url, payload, false);
        // The attempt it starts, which State has just said.
        this.dispatch(errorEvent({ ...payload, attempt: this.attempt }, true));
        break;
      case Signal.Failed:
        // What a request function threw, as itself.
        if (payload.kind === 'request-hook' && this.#hook?.thrown !== undefined) payload.cause = this.#hook.thrown;
        this.lastError = failure(this.url, payload, true);
        this.fail(payload);
        this.notify();
        return;
      case Signal.Finished:
        this.end();
        return;
      case Signal.Problem:
        this.warnOversized(payload.limit);
        return;
      case Signal.State:
        this.attempt = payload.attempt;
        this.retryDelay = payload.delay;
        this.nextAttemptAt = payload.nextAttemptAt;
        break;
      default:
        return;
    }
    this.notify();
  }
}

/**
 * `EventSource.fromReadableStream()`: this class reads the stream, and the
 * wasm parser only parses (it holds no JS value). One pass: the end of the
 * stream, or an error in it, ends the source.
 */
export class StreamConnection extends ParsedConnection {
  #reader;
  #parser = null;

  constructor(stream, dispatchEvent) {
    super('about:event-stream', false, dispatchEvent);
    this.#reader = stream.getReader();
    bindings().then(({ StreamParser }) => {
      if (this.readyState === CLOSED) return;
      this.#parser = new StreamParser();
      this.open('null');
      this.#pump();
    }, (error) => this.fail(unloaded(error)));
  }

  close() {
    if (this.readyState === CLOSED) return;
    super.close();
    this.#reader.cancel().catch(() => {});
    this.#parser?.free();
    this.#parser = null;
  }

  #pump() {
    this.#reader.read().then(({ done, value }) => {
      if (this.readyState === CLOSED) return;
      if (done) {
        // A clean end: iterators end rather than throw.
        this.fail({ kind: 'end' });
      } else if (value instanceof Uint8Array) {
        const skipped = this.#parser.oversized;
        this.dispatchBatch(this.#parser.feed(value));
        if (this.#parser && this.#parser.oversized > skipped) this.warnOversized();
        if (this.readyState === OPEN) this.#pump();
      } else {
        this.fail({ kind: 'stream', message: 'the stream must carry Uint8Array chunks (pipe text through a TextEncoderStream)' });
        this.#reader.cancel().catch(() => {});
      }
    }, (error) => {
      if (this.readyState !== CLOSED) this.fail({ kind: 'stream', message: `${error?.message ?? error}` });
    });
  }
}
