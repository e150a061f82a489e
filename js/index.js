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
/** The reconnect policy's defaults (ms), LaunchDarkly's: see `reconnectPolicy()`. */
const DEFAULT_POLICY = { base: 1000, cap: 30000, maxAttempts: Infinity, resetAfter: 60000 };
/**
 * The fetch transport's idle timeout: three missed keep-alives of a server
 * that sends a comment every 15 s, and still one missed of one every 30 s.
 */
const DEFAULT_FETCH_IDLE_TIMEOUT = 45000;
/** How many events an iterator holds for a consumer that lags. */
const DEFAULT_CAPACITY = 16384;
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
  /**
   * The same connection when it keeps the reconnect state (attempt, delay,
   * last error): fetch, streams, and native with a policy; null on plain native.
   */
  #observed = null;
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
      this.#observed = this.#parsed;
      return;
    }
    // One connection for every tab of the origin (js/shared.js); where Web
    // Locks or BroadcastChannel are missing, an unshared source as below.
    if (isObject(init) && init.shared && canShare()) {
      super();
      this.#parsed = new SharedConnection(url, init, EventSource, (event) => dispatch.call(this, event));
      this.#connection = this.#parsed;
      this.#observed = this.#parsed;
      return;
    }
    if (isObject(init) && init.transport === 'fetch') {
      const request = fetchRequest(url, init);
      super();
      this.#parsed = new FetchConnection(request, (event) => dispatch.call(this, event));
      this.#connection = this.#parsed;
      this.#observed = this.#parsed;
      return;
    }
    if (!isSupported()) {
      throw new Error('EventSource is not available in this environment: check isSupported() first');
    }
    // Only the options of a policy make a NativeConnection: without them the
    // browser's object is used as it is, so the defaults stay exactly native.
    const options = isObject(init) ? nativeOptions(url, init) : null;
    if (options) {
      super();
      this.#observed = new NativeConnection(options, init, (event) => dispatch.call(this, event));
      this.#connection = this.#observed;
      return;
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
    return this.#observed ? this.#observed.lastEventId : this.#lastEventId;
  }

  /**
   * Consecutive connection attempts that have not led to a stable
   * connection; 0 again once one stayed open for the policy's `resetAfter`.
   */
  get attempt() {
    return this.#observed ? this.#observed.attempt : 0;
  }

  /** Milliseconds of the current wait before the next attempt, or null. */
  get retryDelay() {
    return this.#observed ? this.#observed.retryDelay : null;
  }

  /** When the next attempt starts (ms since the epoch, as `Date.now()`), or null. */
  get nextAttemptAt() {
    return this.#observed ? this.#observed.nextAttemptAt : null;
  }

  /** The last failure, as an Error with its facts (`kind`, `status`, ...), or null. */
  get lastError() {
    return this.#observed ? this.#observed.lastError : null;
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
   * browser gives up, and unsubscribes when the loop is left. It holds at
   * most `capacity` events (default 16384): past that the oldest are
   * dropped, and the iterator's `lagged` counts them.
   */
  events(types, options) {
    return new EventIterator(internal, this, eventTypes(types), false, capacity(options));
  }

  /**
   * Like `events()`, with each event's `data` parsed as JSON. An event whose
   * data is not JSON is skipped and reported as a `jsonerror` event.
   */
  jsonEvents(types, options) {
    return new EventIterator(internal, this, eventTypes(types), true, capacity(options));
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
      dispatch.call(this, copyEvent(event, this.readyState));
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
  const resolved = resolveUrl(url);
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
    // Undefined lets the wasm side apply its default, 502, 503 and 504.
    retryOn: init.retryOn == null ? undefined : Array.from(init.retryOn, (status) => Number(status) & 0xffff),
    policy: reconnectPolicy(init.reconnect === undefined ? true : init.reconnect),
    idleTimeout: milliseconds(init.idleTimeout ?? DEFAULT_FETCH_IDLE_TIMEOUT, 'idleTimeout'),
    lastEventId: init.lastEventId == null ? '' : `${init.lastEventId}`,
  };
}

/** `url` converted and resolved against the page, as the DOM does. */
function resolveUrl(url) {
  const text = `${url}`;
  try {
    return new URL(text, baseUrl()).href;
  } catch {
    throw new DOMException(`Failed to construct 'EventSource': The URL '${text}' is invalid.`, 'SyntaxError');
  }
}

/** A non-negative, finite number of milliseconds from an option. */
function milliseconds(value, name) {
  const ms = Number(value);
  if (!(ms >= 0 && ms < Infinity)) {
    throw new RangeError(`EventSource: '${name}' must be a number of milliseconds, 0 or more`);
  }
  return ms;
}

/**
 * The `reconnect` option as the policy's numbers (ms), or null for the
 * spec's fixed reconnection time: `true` takes the defaults, an object
 * overrides some of them.
 */
function reconnectPolicy(value) {
  if (value === undefined || value === null || value === false) return null;
  if (value === true) return { ...DEFAULT_POLICY };
  if (!isObject(value)) {
    throw new TypeError("EventSource: 'reconnect' must be a boolean or { base, cap, maxAttempts, resetAfter }");
  }
  const policy = {};
  for (const name of ['base', 'cap', 'resetAfter']) {
    policy[name] = milliseconds(value[name] ?? DEFAULT_POLICY[name], `reconnect.${name}`);
  }
  const maxAttempts = Number(value.maxAttempts ?? Infinity);
  if (!(maxAttempts >= 0)) throw new RangeError("EventSource: 'reconnect.maxAttempts' must be 0 or more");
  policy.maxAttempts = Math.floor(maxAttempts);
  return policy;
}

/**
 * The native transport's policy options, or null when none is set (the
 * browser's object is then used as it is). `url` is resolved here because
 * each reopened source may carry the last event ID in its query.
 */
function nativeOptions(url, init) {
  const { reconnect, idleTimeout, lastEventIdParam, lastEventId } = init;
  const policy = reconnectPolicy(reconnect);
  const idle = milliseconds(idleTimeout ?? 0, 'idleTimeout');
  if (!policy && idle === 0 && lastEventIdParam == null) return null;
  return {
    url: resolveUrl(url),
    policy,
    idleTimeout: idle,
    param: lastEventIdParam == null ? null : `${lastEventIdParam}`,
    lastEventId: lastEventId == null ? '' : `${lastEventId}`,
  };
}

/** `url` with `name=id` added to its query (before any fragment). */
function withQueryParam(url, name, id) {
  const hash = url.indexOf('#');
  const [path, fragment] = hash < 0 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  const separator = path.includes('?') ? '&' : '?';
  return `${path}${separator}${encodeURIComponent(name)}=${encodeURIComponent(id)}${fragment}`;
}

/** The `capacity` option of `events()` and `jsonEvents()`. */
function capacity(options) {
  const value = Number(options?.capacity ?? DEFAULT_CAPACITY);
  if (!(value >= 1)) throw new RangeError('events(): capacity must be 1 or more (Infinity for no bound)');
  return Math.floor(value);
}

/** The `error` event, with what the transport knows of the failure. */
function errorEvent(details, willRetry) {
  return Object.assign(new Event('error'), details, { willRetry });
}

/**
 * A connection that the page's object owns in place of the browser's own:
 * its state, the reconnect state the page reads (`attempt`, `retryDelay`,
 * `nextAttemptAt`, `lastError`), and the `statechange` event.
 */
class Connection {
  readyState = 0;
  url;
  withCredentials;
  lastEventId = '';
  attempt = 0;
  retryDelay = null;
  nextAttemptAt = null;
  lastError = null;
  dispatch;
  /** Whether the source failed for good (not closed by the page): its CLOSED is reported. */
  failed = false;
  /** The state the last `statechange` reported. */
  #reported = [0, 0, null, null, null];
  #pending = false;

  constructor(url, withCredentials, dispatchEvent) {
    this.url = url;
    this.withCredentials = withCredentials;
    this.dispatch = dispatchEvent;
  }

  /**
   * Dispatches one `statechange`, after the current task's other changes,
   * when the state differs from what the last one reported: a transition
   * arrives in parts (fetch reports the wait and the error separately), and
   * the page should see it once. Nothing after the page's close().
   */
  notify() {
    if (this.#pending) return;
    this.#pending = true;
    queueMicrotask(() => {
      this.#pending = false;
      if (this.readyState === 2 && !this.failed) return;
      const state = [this.readyState, this.attempt, this.retryDelay, this.nextAttemptAt, this.lastError];
      if (state.every((value, i) => value === this.#reported[i])) return;
      this.#reported = state;
      this.dispatch(new Event('statechange'));
    });
  }
}

/**
 * A connection whose events the wasm parser reads: over fetch(), or from a
 * stream the page owns. It dispatches each chunk's batch (see
 * src/js/mod.rs: `type\rdata\rid\r` per event, then the source's last event
 * ID and reconnection time) on the page's object.
 */
class ParsedConnection extends Connection {
  /** Milliseconds; the server's `retry:` sets it. */
  reconnectionTime = DEFAULT_RECONNECTION_TIME;
  /** Event types with listeners: events of other types are not built. */
  wanted = new Set(['open', 'error']);
  origin = '';

  close() {
    this.readyState = 2;
    this.retryDelay = null;
    this.nextAttemptAt = null;
  }

  open(origin) {
    this.readyState = 1;
    this.origin = origin;
    this.dispatch(new Event('open'));
  }

  /** Ends the source for good and says why on an `error` event. */
  fail(details) {
    this.failed = true;
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
    this.lastEventId = request.lastEventId;
    init().then(() => {
      if (this.readyState === 2) return;
      const { url, withCredentials, method, headers, body, retryOn, policy, idleTimeout, lastEventId } = request;
      const limit = policy && (policy.maxAttempts === Infinity ? -1 : policy.maxAttempts);
      try {
        this.#transport = new FetchTransport(url, withCredentials, method, headers.join('\r'), body,
          retryOn && new Uint16Array(retryOn),
          policy && new Float64Array([policy.base, policy.cap, limit, policy.resetAfter]),
          idleTimeout, lastEventId,
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
        this.retryDelay = null;
        this.nextAttemptAt = null;
        this.open(payload);
        break;
      case 2:
        this.readyState = 0;
        if (payload.attempt !== undefined) this.attempt = payload.attempt;
        this.lastError = failure(this.url, payload, false);
        this.dispatch(errorEvent(payload, true));
        break;
      case 3:
        this.lastError = failure(this.url, payload, true);
        this.fail(payload);
        this.notify();
        return;
      case 4:
        this.warnOversized(payload.limit);
        return;
      default:
        this.attempt = payload.attempt;
        this.retryDelay = payload.delay ?? null;
        this.nextAttemptAt = payload.nextAttemptAt ?? null;
    }
    this.notify();
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

/**
 * The native transport with a reconnect policy or an idle timeout: the
 * browser's object does the connecting, and this class takes over where the
 * browser would give up (an error that leaves it CLOSED) or wait forever (a
 * silent connection): it closes that object, waits the policy's delay on a
 * timer it owns, and opens a new one with the same listeners. A new native
 * object cannot send `Last-Event-ID`, so the last event ID goes in the query
 * parameter the page names. No wasm here.
 */
class NativeConnection extends Connection {
  /** The policy's numbers (ms); null for the spec's fixed reconnection time. */
  #policy;
  #idleTimeout;
  /** The query parameter that carries the last event ID, or null. */
  #param;
  /** The browser's object of the current attempt. */
  #native = null;
  /** Forwarded types: type -> the listener that each new native object gets. */
  #listeners = new Map();
  /** The wait before the next attempt. */
  #timer = null;
  /** Whether the `online` listener is on: during a wait. */
  #waiting = false;
  #idleTimer = null;
  /** When the last event was seen (performance.now()). */
  #lastSeen = 0;
  /** When the current connection opened (Date.now()), or null. */
  #openedAt = null;

  constructor(options, init, dispatchEvent) {
    super(options.url, false, dispatchEvent);
    this.#policy = options.policy;
    this.#idleTimeout = options.idleTimeout;
    this.#param = options.param;
    this.lastEventId = options.lastEventId;
    // The page's init dictionary reaches the browser's constructor, which
    // converts it (and throws) as it does natively; later attempts reuse the result.
    this.#connect(init);
    this.withCredentials = this.#native.withCredentials;
  }

  /** Registers a forwarded type; `open`, `error` and `statechange` are this class's own. */
  addEventListener(type, listener) {
    if (type === 'open' || type === 'error' || type === 'statechange') return;
    const forward = (event) => {
      if (event.target !== this.#native) return;
      if (event instanceof MessageEvent) this.lastEventId = event.lastEventId;
      this.#seen();
      listener(event);
    };
    this.#listeners.set(type, forward);
    this.#native.addEventListener(type, forward);
  }

  close() {
    this.readyState = 2;
    this.retryDelay = null;
    this.nextAttemptAt = null;
    this.#stopWaiting();
    this.#stopIdleTimer();
    this.#native.close();
  }

  #connect(init) {
    const url = this.#param && this.lastEventId ? withQueryParam(this.url, this.#param, this.lastEventId) : this.url;
    const native = Reflect.construct(Native, [url, init ?? { withCredentials: this.withCredentials }]);
    this.#native = native;
    native.addEventListener('open', this.#onOpen);
    native.addEventListener('error', this.#onError);
    for (const [type, forward] of this.#listeners) native.addEventListener(type, forward);
  }

  #onOpen = (event) => {
    if (event.target !== this.#native || this.readyState === 2) return;
    this.readyState = 1;
    this.#openedAt = Date.now();
    this.#seen();
    this.dispatch(new Event('open'));
    this.notify();
  };

  #onError = (event) => {
    const native = this.#native;
    if (event.target !== native || this.readyState === 2) return;
    if (event instanceof MessageEvent) {
      // A server event named "error": forwarded as such.
      this.lastEventId = event.lastEventId;
      this.#seen();
      this.dispatch(copyEvent(event, this.readyState));
      return;
    }
    this.#dropped();
    if (native.readyState === 0 && !(this.#policy && offline())) {
      // A drop the browser retries itself, at its fixed delay and with the
      // Last-Event-ID header; the policy takes over only where it would give up.
      this.readyState = 0;
      this.dispatch(errorEvent({}, true));
      this.notify();
      return;
    }
    native.close();
    if (this.#policy) {
      this.#retry({});
    } else {
      // The spec's behaviour: the browser gave up, and so does the source.
      this.#giveUp({});
    }
  };

  /** Bookkeeping for a connection that failed or dropped. */
  #dropped() {
    this.#stopIdleTimer();
    if (this.#openedAt !== null && this.#policy && Date.now() - this.#openedAt >= this.#policy.resetAfter) {
      this.attempt = 0;
    }
    this.#openedAt = null;
  }

  /** Waits the policy's delay, then opens a new native object; or gives up. */
  #retry(details) {
    const policy = this.#policy;
    let delay = DEFAULT_RECONNECTION_TIME;
    if (policy) {
      if (this.attempt >= policy.maxAttempts) {
        this.#giveUp({ ...details, message: `gave up after ${this.attempt} reconnection attempts` });
        return;
      }
      delay = Math.random() * Math.min(policy.cap, policy.base * 2 ** this.attempt);
    }
    this.attempt += 1;
    this.readyState = 0;
    this.lastError = failure(this.url, details, false);
    // The timer first: an error listener that calls close() clears it.
    this.#wait(delay);
    this.dispatch(errorEvent({ ...details, attempt: this.attempt }, true));
    this.notify();
  }

  #giveUp(details) {
    this.failed = true;
    this.close();
    this.lastError = failure(this.url, details, true);
    this.dispatch(errorEvent(details, false));
    this.notify();
  }

  // While the browser says it is offline there is no timer: the `online`
  // event starts the next attempt, so a source never spins without a network.
  #wait(delay) {
    if (offline()) {
      this.retryDelay = null;
      this.nextAttemptAt = null;
    } else {
      this.retryDelay = delay;
      this.nextAttemptAt = Date.now() + delay;
      this.#timer = setTimeout(this.#attemptNow, delay);
    }
    if (!this.#waiting) {
      this.#waiting = true;
      globalThis.addEventListener?.('online', this.#onOnline);
    }
  }

  #attemptNow = () => {
    this.#timer = null;
    if (offline()) {
      // Went offline during the wait: the `online` event goes on from here.
      this.retryDelay = null;
      this.nextAttemptAt = null;
      this.notify();
      return;
    }
    this.#stopWaiting();
    this.retryDelay = null;
    this.nextAttemptAt = null;
    this.#connect();
    this.notify();
  };

  // Back online during a wait: the network is what failed, so try at once.
  #onOnline = () => {
    clearTimeout(this.#timer);
    this.#attemptNow();
  };

  #stopWaiting() {
    clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#waiting) {
      this.#waiting = false;
      globalThis.removeEventListener?.('online', this.#onOnline);
    }
  }

  // One timer per idle period, not one per event: each expiry checks how
  // long ago the last event came and sleeps the rest.
  #seen() {
    this.#lastSeen = performance.now();
    if (this.#idleTimeout > 0 && this.#idleTimer === null && this.readyState === 1) {
      this.#idleTimer = setTimeout(this.#checkIdle, this.#idleTimeout);
    }
  }

  #checkIdle = () => {
    this.#idleTimer = null;
    if (this.readyState !== 1) return;
    const quiet = performance.now() - this.#lastSeen;
    if (quiet < this.#idleTimeout) {
      this.#idleTimer = setTimeout(this.#checkIdle, this.#idleTimeout - quiet);
      return;
    }
    // Half-open: the connection looks alive but nothing comes.
    this.#dropped();
    this.#native.close();
    this.#retry({ kind: 'timeout', message: `no event for ${this.#idleTimeout} ms` });
  };

  #stopIdleTimer() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}

/** Whether the browser says there is no network. */
function offline() {
  return globalThis.navigator?.onLine === false;
}

/**
 * A copy of the browser's event that can be dispatched on the page's object,
 * whose `readyState` says whether an error is retried.
 */
function copyEvent(event, readyState) {
  if (event.type === 'error' && !(event instanceof MessageEvent)) {
    return errorEvent({}, readyState === 0);
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

/**
 * Why a connection failed, as an Error carrying the error event's facts:
 * what an iterator throws when the source gives up (`final`), and
 * `lastError`.
 */
function failure(url, event, final = true) {
  let reason;
  if (event.kind === 'http') {
    reason = `the server answered HTTP ${event.status} ${event.statusText}`.trimEnd();
  } else if (event.kind === 'content-type') {
    reason = `the server answered with Content-Type ${event.contentType ?? '(none)'}, not text/event-stream`;
  } else if (event.kind === 'timeout') {
    reason = `nothing arrived for the idle timeout${event.message ? `: ${event.message}` : ''}`;
  } else if (event.message) {
    reason = event.message;
  } else {
    reason = 'a non-200 status, a wrong Content-Type, a CORS refusal or a network error';
  }
  const error = new Error(final
    ? `the event source at ${url} failed and will not reconnect (${reason}); check the server's `
      + 'response in the network panel, then open a new EventSource'
    : `the event source at ${url} failed (${reason}); it reconnects`);
  for (const key of ['kind', 'status', 'statusText', 'contentType', 'body']) {
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
  /** The most events `#queue` holds. */
  #capacity;
  #lagged = 0;
  #ended = false;
  #onEvent;
  #onError;
  #end;

  constructor(key, source, types, json, capacity) {
    if (key !== internal) throw new TypeError('EventIterator is made by EventSource.events() or jsonEvents()');
    this.#source = source;
    this.#capacity = capacity;
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
      this.#finish(event.kind === 'end' ? null : failure(source.url, event));
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

  /**
   * How many events were dropped so far, in total, because the loop lagged:
   * with `capacity` events waiting, each new one pushes out the oldest, as
   * Rust's stream does after its `Err(Lagged { skipped })`.
   */
  get lagged() {
    return this.#lagged;
  }

  #push(event) {
    const waiter = this.#waiting.shift();
    if (waiter) {
      waiter.resolve({ value: event, done: false });
      return;
    }
    // Keep the newest: a consumer that lags is better served by what is
    // current than by a backlog that grows without end.
    if (this.#queue.length >= this.#capacity) {
      this.#queue.shift();
      this.#lagged += 1;
    }
    this.#queue.push(event);
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
