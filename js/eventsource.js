// The page's `EventSource` class: it extends the browser's, plus async
// iteration and JSON. A source whose options the browser's object serves as
// it is (connect.js's needsFacade) is the browser's own object: its events
// are the browser's, trusted and never copied (OwnConnection). Any other is
// a facade: a real `EventTarget` of this class that owns one connection
// (connect.js picks it; shared sources and streams have their own) and
// dispatches its events on itself.
//
// Why hand-written JS and not a wasm-bindgen class: every JS value a wasm
// object holds is a root that the JS collector cannot trace through, so a page
// listener that closes over the source (`es.onmessage = () => es.close()`)
// would form a cycle through wasm memory that nothing ever frees. Here the
// page's object, the browser's object and every listener live in the JS heap,
// where the collector sees the whole graph. wasm-bindgen also cannot extend
// `EventTarget` (wasm-bindgen#210).

import { facadeConnection } from './connect.js';
import { endIterators, iterate } from './iterator.js';
import { SKIPPED, parseJson } from './json.js';
import { closed, watch } from './lifecycle.js';
import { Native, OwnConnection } from './native.js';
import { capacity, eventTypes, isObject } from './options.js';
import { StreamConnection } from './parsed.js';
import { hasRequestFunctions } from './request.js';
import { SharedConnection, canShare } from './shared-connection.js';

const { addEventListener: addListener, removeEventListener: removeListener, dispatchEvent: dispatch } = EventTarget.prototype;
// Module-private: only `fromReadableStream()` makes a source from a stream.
const fromStream = Symbol('web-sse fromReadableStream');
/** The browser's `on*` attributes, for sources that are the browser's own object. */
const nativeHandlers = Native && Object.getOwnPropertyDescriptors(Native.prototype);

/**
 * Each source's state, by the page's object: a facade is an `EventTarget`
 * that this class's constructor did not initialize (it returns it in place
 * of `this`), so it cannot carry private fields; a WeakMap serves both kinds.
 *   connection    its connection: state, `listen(type)`, `close()`, `reconnect()`
 *   forwarded     the types the connection delivers (or tracks) so far
 *   handlers      `on*` handlers: type -> { value, listener }; null where
 *                 the browser's own attributes serve (the browser's object)
 *   json          `addJsonListener`: type -> Map(callback -> listener)
 */
const sources = new WeakMap();

/** The state of the browser's object `self`, which is the page's object. */
function own(self) {
  const source = { connection: new OwnConnection(self, (event) => dispatch.call(self, event)), forwarded: new Set(), handlers: null, json: new Map() };
  sources.set(self, source);
  return source;
}

/**
 * The state of `self`. A browser object that the browser's own constructor
 * made is served as the browser's methods would serve it; any other
 * receiver is a TypeError, as native.
 */
function state(self) {
  const source = sources.get(self);
  if (source !== undefined) return source;
  if (!nativeHandlers) throw new TypeError('Illegal invocation');
  // The browser's brand check: a TypeError for anything but its object.
  nativeHandlers.readyState.get.call(self);
  return own(self);
}

// The connection delivers a type's events once the page listens to it: on
// the native transport, only then does the browser's object get a listener
// for it (see BrowserConnection and OwnConnection).
function forward(source, type) {
  if (source.forwarded.has(type)) return;
  source.forwarded.add(type);
  source.connection.listen(type);
}

/** A connection to a server that sends events (`text/event-stream`). */
export class EventSource extends (Native ?? EventTarget) {
  // The arguments reach the browser's constructor as given, in the same
  // number, so that it applies its own conversions and throws its own
  // exceptions (SyntaxError, TypeError) for whatever the page passes. One
  // named parameter: `EventSource.length` is 1, as native.
  // eslint-disable-next-line no-unused-vars
  constructor(url) {
    // eslint-disable-next-line prefer-rest-params
    const init = arguments[1];
    // Set before any connection dispatches: none does in its constructor.
    let target = null;
    const here = (event) => dispatch.call(target, event);
    let connection;
    if (url === fromStream) {
      connection = new StreamConnection(init, here);
    } else if (isObject(init) && init.shared && canShare() && !hasRequestFunctions(init)) {
      // One connection for every tab of the origin (shared-connection.js);
      // where Web Locks or BroadcastChannel are missing, an unshared source.
      connection = new SharedConnection(url, init, here);
    } else {
      connection = facadeConnection(url, init, here);
      if (connection !== null) watch(connection, init);
    }
    if (connection === null) {
      // The browser's own object, of this class. Under the page's lifecycle
      // too: suspended, it closes the browser's object, and its reopening
      // forwards copies, as `reconnect()` does.
      // eslint-disable-next-line prefer-rest-params
      super(...arguments);
      watch(own(this).connection, init);
      return;
    }
    // A real EventTarget whose prototype is this class's (or the page's subclass's).
    target = Reflect.construct(EventTarget, [], new.target);
    sources.set(target, { connection, forwarded: new Set(), handlers: new Map(), json: new Map() });
    // eslint-disable-next-line no-constructor-return
    return target;
  }

  get readyState() {
    return state(this).connection.readyState;
  }

  get url() {
    return state(this).connection.url;
  }

  get withCredentials() {
    return state(this).connection.withCredentials;
  }

  /**
   * `'pending'`, then `'leader'` or `'follower'`, on a source opened with
   * `shared: true`: the role is not known yet, this tab runs the
   * connection, or it receives the leader's events (`rolechange` says when
   * it changes); `'unshared'` otherwise, and where Web Locks or
   * BroadcastChannel are missing.
   */
  get shared() {
    return state(this).connection.shared;
  }

  /**
   * The last event ID the source saw (the proposal for `fromReadableStream`
   * adds it). On the native transport it follows the events of the types
   * that have listeners: the browser does not expose it.
   */
  get lastEventId() {
    return state(this).connection.lastEventId;
  }

  /**
   * Consecutive connection attempts that have not led to a stable
   * connection; 0 again once one stayed open for the policy's `resetAfter`.
   */
  get attempt() {
    return state(this).connection.attempt;
  }

  /** Milliseconds of the current wait before the next attempt, or null. */
  get retryDelay() {
    return state(this).connection.retryDelay;
  }

  /** When the next attempt starts (ms since the epoch, as `Date.now()`), or null. */
  get nextAttemptAt() {
    return state(this).connection.nextAttemptAt;
  }

  /** The last failure, as an Error with its facts (`kind`, `status`, ...), or null. */
  get lastError() {
    return state(this).connection.lastError;
  }

  /**
   * Milliseconds before a reconnection, as the server's `retry:` set it. On
   * the native transport the browser hides `retry:`; this is then its
   * starting value, 3000.
   */
  get reconnectionTime() {
    return state(this).connection.reconnectionTime;
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
    return handler(this, 'open');
  }

  set onopen(value) {
    setHandler(this, 'open', value);
  }

  get onmessage() {
    return handler(this, 'message');
  }

  set onmessage(value) {
    setHandler(this, 'message', value);
  }

  get onerror() {
    return handler(this, 'error');
  }

  set onerror(value) {
    setHandler(this, 'error', value);
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
    // EventSource.prototype.addEventListener.call(anyTarget, ...) works natively.
    const source = sources.get(this);
    // Before the page's listener: OwnConnection's capturing one goes first.
    if (callback != null && source) forward(source, eventType);
    // eslint-disable-next-line prefer-rest-params
    addListener.call(this, eventType, callback, arguments[2]);
    return undefined;
  }

  /**
   * Closes the connection for good: no reconnection, `readyState` becomes
   * CLOSED, no further events, and every iterator ends after the events it
   * already holds.
   */
  close() {
    const { connection } = state(this);
    closed(connection);
    connection.close();
    endIterators(this);
  }

  /**
   * Closes the current connection, if any, and opens a new one now, from the
   * last event ID (the `Last-Event-ID` header on fetch; on native, the
   * `lastEventIdParam` query parameter when set). Works in every state,
   * also on a CLOSED source, whether it failed, met its `endOn` sentinel, or
   * the page closed it. Listeners stay attached and running iterators go on;
   * an iterator that already ended stays ended. `readyState` becomes
   * CONNECTING (a `statechange`, no `error`), then OPEN. Sources from
   * `fromReadableStream()` and shared sources ignore it.
   */
  reconnect() {
    state(this).connection.reconnect?.();
  }

  /**
   * The events of `types` (one type or an array; default `'message'`) as an
   * async iterator, in arrival order. Ends on `close()`, throws when the
   * browser gives up, and unsubscribes when the loop is left. It holds at
   * most `capacity` events (default 16384): past that the oldest are
   * dropped, and the iterator's `lagged` counts them.
   */
  events(types, options) {
    return iterate(this, eventTypes(types), false, capacity(options));
  }

  /**
   * Like `events()`, with each event's `data` parsed as JSON. An event whose
   * data is not JSON is skipped and reported as a `jsonerror` event.
   */
  jsonEvents(types, options) {
    return iterate(this, eventTypes(types), true, capacity(options));
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
    const { json } = state(this);
    let byCallback = json.get(eventType);
    if (!byCallback) {
      byCallback = new Map();
      json.set(eventType, byCallback);
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
    const { json } = state(this);
    const byCallback = json.get(eventType);
    const wrapper = byCallback?.get(listener);
    if (!wrapper) return;
    byCallback.delete(listener);
    if (byCallback.size === 0) json.delete(eventType);
    removeListener.call(this, eventType, wrapper);
  }
}

function handler(self, type) {
  const { handlers } = state(self);
  if (handlers === null) return nativeHandlers[`on${type}`].get.call(self);
  return handlers.get(type)?.value ?? null;
}

// The DOM's event handler rules: the first non-null value registers a
// listener, a new value keeps its place among the other listeners, null
// removes it. Non-objects count as null ([LegacyTreatNonObjectAsNull]).
// The browser's object has the browser's own attributes.
function setHandler(self, type, value) {
  const source = state(self);
  const { handlers } = source;
  const set = (typeof value === 'object' || typeof value === 'function') && value !== null;
  if (set) forward(source, type);
  if (handlers === null) {
    nativeHandlers[`on${type}`].set.call(self, value);
    return;
  }
  const entry = handlers.get(type);
  if (!set) {
    if (entry) {
      handlers.delete(type);
      removeListener.call(self, type, entry.listener);
    }
    return;
  }
  if (entry) {
    entry.value = value;
    return;
  }
  const added = {
    value,
    listener: (event) => {
      const callback = added.value;
      // A non-callable object is kept but never called, as in the DOM.
      if (typeof callback !== 'function') return;
      if (callback.call(event.currentTarget, event) === false) event.preventDefault();
    },
  };
  handlers.set(type, added);
  addListener.call(self, type, added.listener);
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
