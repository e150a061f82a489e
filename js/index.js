// The npm package's entry: a drop-in `EventSource` that is a real
// `EventTarget`, plus async iteration and JSON.
//
// Why hand-written JS and not a wasm-bindgen class: every JS value a wasm
// object holds is a root that the JS collector cannot trace through, so a page
// listener that closes over the source (`es.onmessage = () => es.close()`)
// would form a cycle through wasm memory that nothing ever frees. Here the
// page's object, the browser's object and every listener live in the JS heap,
// where the collector sees the whole graph. wasm-bindgen also cannot extend
// `EventTarget` (wasm-bindgen#210). The wasm module runs the fetch transport
// (fetch, parse, reconnect); the native transport does not call into it.

import initWasm, { FetchTransport, StreamParser } from './web_sse.js';
import { SharedConnection, canShare } from './shared.js';

let wasmReady = null;

/**
 * Loads the wasm module (once), which the fetch transport needs; the native
 * transport does not. A source on `transport: 'fetch'` loads it by itself,
 * so calling this is optional: it starts the download early, or takes the
 * module's location (`init({ module_or_path })`) when a bundler moves it.
 */
export default function init(options) {
  wasmReady ??= options === undefined ? initWasm() : initWasm(options);
  return wasmReady;
}

// Captured once, at load: `globalThis.EventSource = EventSource` must not make
// our constructor construct itself.
const Native = globalThis.EventSource;
const { addEventListener: addListener, removeEventListener: removeListener, dispatchEvent: dispatch } = EventTarget.prototype;
// Module-private keys: only `events()` and `jsonEvents()` make iterators, only
// `fromReadableStream()` makes a source from a stream.
const internal = Symbol('web-sse internal');
const fromStream = Symbol('web-sse fromReadableStream');
/** Before the server sends `retry:`, as in Chromium. */
const DEFAULT_RECONNECTION_TIME = 3000;
// Set in EventSource's static block: iterators register there so that
// `close()` ends them.
let track;
let untrack;

/**
 * Whether this global scope has the browser's `EventSource`: windows and
 * dedicated workers do. Read when the package loaded, so it stays true after
 * this class is installed as the global.
 */
export function isSupported() {
  return typeof Native === 'function';
}

/** A connection to a server that sends events (`text/event-stream`). */
export class EventSource extends EventTarget {
  /**
   * The connection, owned here in the JS heap: the browser's object, or a
   * FetchConnection. Both answer readyState, url, withCredentials, close().
   */
  #connection;
  /** The same connection when the wasm parser reads it (fetch, a stream); null on native. */
  #parsed = null;
  /** Event types forwarded from the browser's object so far. */
  #forwarded = new Set();
  /** `on*` handlers: type -> { value, listener }. */
  #handlers = new Map();
  /** On the native transport: the lastEventId of the last event forwarded. */
  #lastEventId = '';
  /** Live iterators, ended by `close()`. */
  #iterators = new Set();
  /** `addJsonListener`: type -> Map(callback -> listener). */
  #jsonListeners = new Map();

  // The arguments reach the browser's constructor as given, in the same
  // number, so that it applies its own conversions and throws its own
  // exceptions (SyntaxError, TypeError) for whatever the page passes. One
  // named parameter: `EventSource.length` is 1, as native.
  // eslint-disable-next-line no-unused-vars
  constructor(url) {
    // eslint-disable-next-line prefer-rest-params
    const init = arguments[1];
    if (url === fromStream) {
      super();
      this.#parsed = new StreamConnection(init, (event) => dispatch.call(this, event));
      this.#connection = this.#parsed;
      return;
    }
    // One connection for every tab of the origin (js/shared.js); where Web
    // Locks or BroadcastChannel are missing, an unshared source as below.
    if (isObject(init) && init.shared && canShare()) {
      super();
      this.#parsed = new SharedConnection(url, init, EventSource, (event) => dispatch.call(this, event));
      this.#connection = this.#parsed;
      return;
    }
    if (isObject(init) && init.transport === 'fetch') {
      const request = fetchRequest(url, init);
      super();
      this.#parsed = new FetchConnection(request, (event) => dispatch.call(this, event));
      this.#connection = this.#parsed;
      return;
    }
    if (!isSupported()) {
      throw new Error('EventSource is not available in this environment: check isSupported() first');
    }
    // eslint-disable-next-line prefer-rest-params
    const native = Reflect.construct(Native, arguments);
    super();
    this.#connection = native;
  }

  get readyState() {
    return this.#connection.readyState;
  }

  get url() {
    return this.#connection.url;
  }

  get withCredentials() {
    return this.#connection.withCredentials;
  }

  /**
   * `'leader'` or `'follower'` on a source opened with `shared: true`: this
   * tab runs the connection, or receives the leader's events; `'unshared'`
   * otherwise, and where Web Locks or BroadcastChannel are missing.
   */
  get shared() {
    return this.#parsed?.shared ?? 'unshared';
  }

  /**
   * The last event ID the source saw (the proposal for `fromReadableStream`
   * adds it). On the native transport it follows the events of the types
   * that have listeners: the browser does not expose it.
   */
  get lastEventId() {
    return this.#parsed ? this.#parsed.lastEventId : this.#lastEventId;
  }

  /**
   * Milliseconds before a reconnection, as the server's `retry:` set it. On
   * the native transport the browser hides `retry:`; this is then its
   * starting value, 3000.
   */
  get reconnectionTime() {
    return this.#parsed ? this.#parsed.reconnectionTime : DEFAULT_RECONNECTION_TIME;
  }

  /**
   * A source that reads `stream` (bytes of `text/event-stream`) once, as the
   * proposed `EventSource.fromReadableStream()`: for a response the page
   * fetched itself. `url` is `about:event-stream`, events come from origin
   * `"null"`, and the end of the stream (or an error in it) fires one `error`
   * and closes the source, with no reconnection; iterators end there.
   * Throws `TypeError` when the stream is locked.
   */
  static fromReadableStream(stream) {
    if (!(stream instanceof ReadableStream)) {
      throw new TypeError('EventSource.fromReadableStream: the argument must be a ReadableStream');
    }
    if (stream.locked) {
      throw new TypeError('EventSource.fromReadableStream: the stream is locked; pass one nobody else reads');
    }
    return new EventSource(fromStream, stream);
  }

  get onopen() {
    return this.#handler('open');
  }

  set onopen(value) {
    this.#setHandler('open', value);
  }

  get onmessage() {
    return this.#handler('message');
  }

  set onmessage(value) {
    this.#setHandler('message', value);
  }

  get onerror() {
    return this.#handler('error');
  }

  set onerror(value) {
    this.#setHandler('error', value);
  }

  // EventTarget's own method does the work (once, signal, capture,
  // de-duplication); this one also starts forwarding the type.
  addEventListener(type, callback) {
    if (arguments.length < 2) {
      // Let EventTarget throw its own "2 arguments required" TypeError.
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(addListener, this, arguments);
    }
    // Converted once, here, as WebIDL would: a Symbol throws TypeError.
    const eventType = `${type}`;
    // eslint-disable-next-line prefer-rest-params
    addListener.call(this, eventType, callback, arguments[2]);
    // EventSource.prototype.addEventListener.call(anyTarget, ...) works natively.
    if (callback != null && #connection in this) this.#forward(eventType);
    return undefined;
  }

  /**
   * Closes the connection for good: no reconnection, `readyState` becomes
   * CLOSED, no further events, and every iterator ends after the events it
   * already holds.
   */
  close() {
    this.#connection.close();
    for (const end of [...this.#iterators]) end();
  }

  /**
   * The events of `types` (one type or an array; default `'message'`) as an
   * async iterator, in arrival order. Ends on `close()`, throws when the
   * browser gives up, and unsubscribes when the loop is left.
   */
  events(types) {
    return new EventIterator(internal, this, eventTypes(types), false);
  }

  /**
   * Like `events()`, with each event's `data` parsed as JSON. An event whose
   * data is not JSON is skipped and reported as a `jsonerror` event.
   */
  jsonEvents(types) {
    return new EventIterator(internal, this, eventTypes(types), true);
  }

  /**
   * Calls `listener(data, event)` with the parsed JSON data of each event of
   * `type`; data that is not JSON dispatches a cancelable `jsonerror` instead.
   */
  addJsonListener(type, listener, options) {
    if (typeof listener !== 'function') {
      throw new TypeError('addJsonListener: the listener must be a function');
    }
    const eventType = `${type}`;
    const once = Boolean(options?.once);
    let byCallback = this.#jsonListeners.get(eventType);
    if (!byCallback) {
      byCallback = new Map();
      this.#jsonListeners.set(eventType, byCallback);
    }
    if (byCallback.has(listener)) return;
    const wrapper = (event) => {
      const parsed = parseJson(this, event);
      if (parsed === SKIPPED) return;
      if (once) this.removeJsonListener(eventType, listener);
      listener.call(this, parsed, event);
    };
    byCallback.set(listener, wrapper);
    this.addEventListener(eventType, wrapper);
  }

  /** Removes a listener added with `addJsonListener`. */
  removeJsonListener(type, listener) {
    const eventType = `${type}`;
    const byCallback = this.#jsonListeners.get(eventType);
    const wrapper = byCallback?.get(listener);
    if (!wrapper) return;
    byCallback.delete(listener);
    if (byCallback.size === 0) this.#jsonListeners.delete(eventType);
    removeListener.call(this, eventType, wrapper);
  }

  static {
    track = (source, end) => {
      if (source.readyState === 2) return false;
      source.#iterators.add(end);
      return true;
    };
    untrack = (source, end) => source.#iterators.delete(end);
  }

  #handler(type) {
    return this.#handlers.get(type)?.value ?? null;
  }

  // The DOM's event handler rules: the first non-null value registers a
  // listener, a new value keeps its place among the other listeners, null
  // removes it. Non-objects count as null ([LegacyTreatNonObjectAsNull]).
  #setHandler(type, value) {
    const handler = this.#handlers.get(type);
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
      if (handler) {
        this.#handlers.delete(type);
        removeListener.call(this, type, handler.listener);
      }
      return;
    }
    if (handler) {
      handler.value = value;
      return;
    }
    const entry = {
      value,
      listener: (event) => {
        const callback = entry.value;
        // A non-callable object is kept but never called, as in the DOM.
        if (typeof callback !== 'function') return;
        if (callback.call(event.currentTarget, event) === false) event.preventDefault();
      },
    };
    this.#handlers.set(type, entry);
    addListener.call(this, type, entry.listener);
    this.#forward(type);
  }

  // One listener per type on the browser's object re-dispatches its events on
  // this object, synchronously, so that order and readyState are the
  // browser's. The browser keeps its open object alive, and through this
  // listener the page's object, exactly as long as it would keep itself.
  #forward(type) {
    if (this.#forwarded.has(type)) return;
    this.#forwarded.add(type);
    if (this.#parsed) {
      this.#parsed.wanted.add(type);
      return;
    }
    this.#connection.addEventListener(type, (event) => {
      if (event instanceof MessageEvent) this.#lastEventId = event.lastEventId;
      dispatch.call(this, copyEvent(event));
    });
  }
}

// The DOM's constants: on the class and its instances, read-only.
for (const [name, value] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSED', 2]]) {
  const constant = { value, enumerable: true, writable: false, configurable: false };
  Object.defineProperty(EventSource, name, constant);
  Object.defineProperty(EventSource.prototype, name, constant);
}
// As on the browser's interface: members enumerable, `[object EventSource]`.
// The addEventListener override stays hidden: natively it is EventTarget's.
for (const name of Object.getOwnPropertyNames(EventSource.prototype)) {
  if (name !== 'constructor' && name !== 'addEventListener') {
    const descriptor = Object.getOwnPropertyDescriptor(EventSource.prototype, name);
    if (descriptor.configurable) {
      Object.defineProperty(EventSource.prototype, name, { ...descriptor, enumerable: true });
    }
  }
}
Object.defineProperty(EventSource.prototype, Symbol.toStringTag, { value: 'EventSource', configurable: true });

function isObject(value) {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** The global's base URL, in a window or a worker. */
function baseUrl() {
  return globalThis.location?.href;
}

/**
 * Reads a fetch-transport init dictionary into what the wasm connection takes,
 * converting as the DOM would: `url` as a string (a URL object works), the
 * URL resolved against the page (SyntaxError when it cannot be), `headers` as
 * anything `new Headers()` accepts.
 */
function fetchRequest(url, init) {
  const text = `${url}`;
  let resolved;
  try {
    resolved = new URL(text, baseUrl()).href;
  } catch {
    throw new DOMException(`Failed to construct 'EventSource': The URL '${text}' is invalid.`, 'SyntaxError');
  }
  const headers = [];
  for (const [name, value] of new Headers(init.headers ?? undefined)) headers.push(name, value);
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string') {
    throw new TypeError("EventSource: on the fetch transport, 'body' must be a string (JSON.stringify it)");
  }
  return {
    url: resolved,
    withCredentials: Boolean(init.withCredentials),
    method: init.method === undefined ? 'GET' : `${init.method}`,
    headers,
    body,
    retryOn: Array.from(init.retryOn ?? [], (status) => Number(status) & 0xffff),
  };
}

/** The `error` event, with what the transport knows of the failure. */
function errorEvent(details, willRetry) {
  return Object.assign(new Event('error'), details, { willRetry });
}

/**
 * A connection whose events the wasm parser reads: over fetch(), or from a
 * stream the page owns. It dispatches each chunk's batch (see
 * src/js/mod.rs: `type\rdata\rid\r` per event, then the source's last event
 * ID and reconnection time) on the page's object.
 */
class ParsedConnection {
  readyState = 0;
  url;
  withCredentials;
  lastEventId = '';
  /** Milliseconds; the server's `retry:` sets it. */
  reconnectionTime = DEFAULT_RECONNECTION_TIME;
  /** Event types with listeners: events of other types are not built. */
  wanted = new Set(['open', 'error']);
  origin = '';
  dispatch;

  constructor(url, withCredentials, dispatchEvent) {
    this.url = url;
    this.withCredentials = withCredentials;
    this.dispatch = dispatchEvent;
  }

  close() {
    this.readyState = 2;
  }

  open(origin) {
    this.readyState = 1;
    this.origin = origin;
    this.dispatch(new Event('open'));
  }

  /** Ends the source for good and says why on an `error` event. */
  fail(details) {
    this.close();
    this.dispatch(errorEvent(details, false));
  }

  dispatchBatch(payload) {
    const fields = payload.split('\r');
    const state = fields.length - 2;
    const retry = fields[state + 1];
    if (retry) this.reconnectionTime = Number(retry);
    for (let i = 0; i + 3 <= state; i += 3) {
      if (this.readyState !== 1) return; // closed by a listener
      const type = fields[i];
      this.lastEventId = fields[i + 2];
      if (this.wanted.has(type)) {
        this.dispatch(new MessageEvent(type, { data: fields[i + 1], lastEventId: fields[i + 2], origin: this.origin }));
      }
    }
    if (this.readyState === 1) this.lastEventId = fields[state];
  }

  warnOversized(limit) {
    console.warn(`web-sse: the event source at ${this.url} sent an event over the ${limit}-byte limit; it was skipped`);
  }
}

/**
 * The fetch transport: the wasm module fetches, parses and reconnects. It
 * holds `receive` (and through it the page's object) only while the
 * connection runs; `close()` and a fatal error free it.
 */
class FetchConnection extends ParsedConnection {
  #transport = null;

  constructor(request, dispatchEvent) {
    super(request.url, request.withCredentials, dispatchEvent);
    init().then(() => {
      if (this.readyState === 2) return;
      const { url, withCredentials, method, headers, body, retryOn } = request;
      try {
        this.#transport = new FetchTransport(url, withCredentials, method, headers.join('\r'), body, new Uint16Array(retryOn),
          (kind, payload) => this.#receive(kind, payload));
      } catch (error) {
        this.fail({ kind: 'request', message: error.message });
      }
    }, (error) => this.fail({ kind: 'wasm', message: `web-sse could not load its wasm module: ${error.message}` }));
  }

  close() {
    super.close();
    this.#transport?.free();
    this.#transport = null;
  }

  #receive(kind, payload) {
    if (this.readyState === 2) return;
    switch (kind) {
      case 0:
        this.dispatchBatch(payload);
        return;
      case 1:
        this.open(payload);
        return;
      case 2:
        this.readyState = 0;
        this.dispatch(errorEvent(payload, true));
        return;
      case 3:
        this.fail(payload);
        return;
      default:
        this.warnOversized(payload.limit);
    }
  }
}

/**
 * `EventSource.fromReadableStream()`: this class reads the stream, and the
 * wasm parser only parses (it holds no JS value). One pass: the end of the
 * stream, or an error in it, ends the source.
 */
class StreamConnection extends ParsedConnection {
  #reader;
  #parser = null;

  constructor(stream, dispatchEvent) {
    super('about:event-stream', false, dispatchEvent);
    this.#reader = stream.getReader();
    init().then(() => {
      if (this.readyState === 2) return;
      this.#parser = new StreamParser();
      this.open('null');
      this.#pump();
    }, (error) => this.fail({ kind: 'wasm', message: `web-sse could not load its wasm module: ${error.message}` }));
  }

  close() {
    if (this.readyState === 2) return;
    super.close();
    this.#reader.cancel().catch(() => {});
    this.#parser?.free();
    this.#parser = null;
  }

  #pump() {
    this.#reader.read().then(({ done, value }) => {
      if (this.readyState === 2) return;
      if (done) {
        // A clean end: iterators end rather than throw.
        this.fail({ kind: 'end' });
      } else if (value instanceof Uint8Array) {
        const skipped = this.#parser.oversized;
        this.dispatchBatch(this.#parser.feed(value));
        if (this.#parser && this.#parser.oversized > skipped) this.warnOversized(1024 * 1024);
        if (this.readyState === 1) this.#pump();
      } else {
        this.fail({ kind: 'stream', message: 'the stream must carry Uint8Array chunks (pipe text through a TextEncoderStream)' });
        this.#reader.cancel().catch(() => {});
      }
    }, (error) => {
      if (this.readyState !== 2) this.fail({ kind: 'stream', message: `${error?.message ?? error}` });
    });
  }
}

/** A copy of the browser's event that can be dispatched on the page's object. */
function copyEvent(event) {
  if (event.type === 'error' && !(event instanceof MessageEvent)) {
    return errorEvent({}, event.target.readyState === 0);
  }
  if (event instanceof MessageEvent) {
    return new MessageEvent(event.type, {
      data: event.data,
      lastEventId: event.lastEventId,
      origin: event.origin,
    });
  }
  return new Event(event.type);
}

const SKIPPED = Symbol('skipped');

/**
 * The event's data parsed as JSON, or SKIPPED after dispatching a cancelable
 * `jsonerror` on `source` (logged to the console unless a listener cancels it,
 * like the window's `error` event).
 */
function parseJson(source, event) {
  try {
    return JSON.parse(event.data);
  } catch (cause) {
    const message = `web-sse: the data of a "${event.type}" event is not valid JSON (${cause.message}); `
      + 'the event was skipped. Send JSON for this type, or read it as text with addEventListener';
    const error = new SyntaxError(message, { cause });
    error.eventType = event.type;
    error.data = event.data;
    const failure = new ErrorEvent('jsonerror', { message, error, cancelable: true });
    if (dispatch.call(source, failure)) console.error(error);
    return SKIPPED;
  }
}

/** Why a source gave up, as an Error carrying the error event's facts. */
function failure(source, event) {
  let reason;
  if (event.kind === 'http') {
    reason = `the server answered HTTP ${event.status} ${event.statusText}`.trimEnd();
  } else if (event.kind === 'content-type') {
    reason = `the server answered with Content-Type ${event.contentType ?? '(none)'}, not text/event-stream`;
  } else if (event.message) {
    reason = event.message;
  } else {
    reason = 'a non-200 status, a wrong Content-Type, a CORS refusal or a network error';
  }
  const error = new Error(
    `the event source at ${source.url} failed and will not reconnect (${reason}); check the server's `
    + 'response in the network panel, then open a new EventSource',
  );
  for (const key of ['status', 'statusText', 'contentType', 'body']) {
    if (event[key] !== undefined) error[key] = event[key];
  }
  return error;
}

function eventTypes(types) {
  if (types === undefined) return ['message'];
  if (typeof types === 'string') return [types];
  if (Array.isArray(types) && types.every((type) => typeof type === 'string')) return [...types];
  throw new TypeError('event types must be a string or an array of strings');
}

/**
 * An async iterator over a source's events, made by `events()` or
 * `jsonEvents()`. `for await` uses it; leaving the loop calls `return()`,
 * which unsubscribes.
 */
export class EventIterator {
  #source;
  #types;
  /** Events not yet taken by `next()`. */
  #queue = [];
  /** `next()` calls waiting for an event: their resolve/reject pairs. */
  #waiting = [];
  /** The connection failure to throw once the queue is drained. */
  #failure = null;
  #ended = false;
  #onEvent;
  #onError;
  #end;

  constructor(key, source, types, json) {
    if (key !== internal) throw new TypeError('EventIterator is made by EventSource.events() or jsonEvents()');
    this.#source = source;
    this.#types = types;
    this.#end = () => this.#finish(null);
    if (!track(source, this.#end)) {
      this.#ended = true;
      return;
    }
    this.#onEvent = (event) => {
      if (!json) {
        this.#push(event);
        return;
      }
      const data = parseJson(source, event);
      if (data === SKIPPED) return;
      this.#push(new MessageEvent(event.type, { data, lastEventId: event.lastEventId, origin: event.origin }));
    };
    this.#onError = (event) => {
      if (source.readyState !== EventSource.CLOSED) return; // reconnecting
      // The end of a stream from fromReadableStream() is the end, no failure.
      this.#finish(event.kind === 'end' ? null : failure(source, event));
    };
    for (const type of types) source.addEventListener(type, this.#onEvent);
    source.addEventListener('error', this.#onError);
  }

  /** The next event, `{ done: true }` once the source is closed; rejects when the browser gives up. */
  next() {
    if (this.#queue.length > 0) return Promise.resolve({ value: this.#queue.shift(), done: false });
    if (this.#failure) {
      const failure = this.#failure;
      this.#failure = null;
      return Promise.reject(failure);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Stops the iteration and unsubscribes; a pending `next()` settles with `{ done: true }`. */
  return() {
    this.#queue.length = 0;
    this.#failure = null;
    this.#finish(null);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  #push(event) {
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve({ value: event, done: false });
    else this.#queue.push(event);
  }

  // Unsubscribes and settles the waiting calls. Buffered events stay for
  // `next()`; the failure, if any, comes after them.
  #finish(failure) {
    if (this.#ended) return;
    this.#ended = true;
    const source = this.#source;
    untrack(source, this.#end);
    for (const type of this.#types) source.removeEventListener(type, this.#onEvent);
    source.removeEventListener('error', this.#onError);
    const waiting = this.#waiting.splice(0);
    if (failure && waiting.length > 0) {
      waiting.shift().reject(failure);
    } else {
      this.#failure = failure;
    }
    for (const waiter of waiting) waiter.resolve({ value: undefined, done: true });
  }
}
