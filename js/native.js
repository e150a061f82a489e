// The native transport: the browser's own EventSource, as the page's object
// itself (OwnConnection), held and forwarded (BrowserConnection), or under a
// reconnect policy or an idle timeout (NativeConnection). No wasm here.

import { AtRest, Connection } from './connection.js';
import { errorEvent, failure } from './facts.js';
import { CLOSED, CONNECTING, DEFAULT_RECONNECTION_TIME, OPEN, withQueryParam } from './options.js';

// Captured once, at load: `globalThis.EventSource = EventSource` must not make
// the package's constructor construct itself. The page's class extends it.
export const Native = globalThis.EventSource;
const nativeState = Native && Object.getOwnPropertyDescriptors(Native.prototype);
const addListener = EventTarget.prototype.addEventListener;

/**
 * Whether this global scope has the browser's `EventSource`: windows and
 * dedicated workers do. Read when the package loaded, so it stays true after
 * the package's class is installed as the global.
 */
export function isSupported() {
  return typeof Native === 'function';
}

/**
 * A source without options that need more than the browser's object: the
 * page's object IS the browser's (an instance of the page's class, which
 * extends the browser's), so its events are the browser's own: trusted,
 * never copied, dispatched by the browser on the page's object. This class
 * keeps only what the browser hides: the last event ID and each `error`
 * event's `willRetry`, read by a capturing listener per type that the page
 * listens to (capture listeners run first at the target, so the page's
 * listeners see them current).
 *
 * A browser object cannot open again, so `reconnect()` closes it and hands
 * over to a BrowserConnection, whose copies are dispatched on the page's
 * object from then on.
 */
export class OwnConnection extends AtRest {
  #source;
  #dispatch;
  /** After `reconnect()`: the browser's new object, forwarded. */
  #inner = null;
  #lastEventId = '';
  /** The types the page listens to: a BrowserConnection takes them over. */
  #types = new Set();

  constructor(source, dispatchEvent) {
    super();
    this.#source = source;
    this.#dispatch = dispatchEvent;
  }

  get readyState() {
    return this.#inner ? this.#inner.readyState : nativeState.readyState.get.call(this.#source);
  }

  get url() {
    return nativeState.url.get.call(this.#source);
  }

  get withCredentials() {
    return nativeState.withCredentials.get.call(this.#source);
  }

  get lastEventId() {
    return this.#inner ? this.#inner.lastEventId : this.#lastEventId;
  }

  listen(type) {
    this.#types.add(type);
    if (this.#inner) this.#inner.listen(type);
    else addListener.call(this.#source, type, this.#track, true);
  }

  // Per event, so it does the least: only the browser's events count (the
  // page may dispatch its own on the object).
  #track = (event) => {
    if (!event.isTrusted) return;
    if (event instanceof MessageEvent) {
      this.#lastEventId = event.lastEventId;
    } else if (event.type === 'error') {
      // As a forwarded error would say (facts.js's errorEvent).
      event.willRetry = this.readyState === CONNECTING;
    }
  };

  close() {
    if (this.#inner) this.#inner.close();
    else nativeState.close.value.call(this.#source);
  }

  /** A new browser object now (see the class comment), with the same listeners. */
  reconnect() {
    if (this.#inner) {
      this.#inner.reconnect();
      return;
    }
    nativeState.close.value.call(this.#source);
    const inner = new BrowserConnection([this.url, { withCredentials: this.withCredentials }], this.#dispatch);
    inner.lastEventId = this.#lastEventId;
    for (const type of this.#types) inner.listen(type);
    this.#inner = inner;
  }
}

/**
 * The browser's object as it is, held and forwarded: a shared leader's
 * connection (shared-host.js), and an OwnConnection's after `reconnect()`.
 * Without a policy the defaults stay exactly native. `args` are the
 * constructor's arguments, which reach
 * the browser's constructor as given, in the same number, so that it
 * applies its own conversions and throws its own exceptions. The state the
 * page reads stays at rest: the browser hides it.
 */
export class BrowserConnection extends AtRest {
  #native;
  #dispatch;
  /** The lastEventId of the last event forwarded: the browser does not expose it. */
  lastEventId = '';

  #args;
  /** Forwarded types: type -> the listener each new browser object gets. */
  #listeners = new Map();

  constructor(args, dispatchEvent) {
    super();
    this.#native = Reflect.construct(Native, args);
    this.#args = [this.#native.url, { withCredentials: this.#native.withCredentials }];
    this.#dispatch = dispatchEvent;
  }

  get readyState() {
    return this.#native.readyState;
  }

  get url() {
    return this.#native.url;
  }

  get withCredentials() {
    return this.#native.withCredentials;
  }

  // One listener per type on the browser's object re-dispatches its events on
  // the page's object, synchronously, so that order and readyState are the
  // browser's. The browser keeps its open object alive, and through this
  // listener the page's object, exactly as long as it would keep itself.
  listen(type) {
    const forward = (event) => {
      if (event.target !== this.#native) return;
      if (event instanceof MessageEvent) this.lastEventId = event.lastEventId;
      this.#dispatch(copyEvent(event, this.readyState));
    };
    this.#listeners.set(type, forward);
    this.#native.addEventListener(type, forward);
  }

  close() {
    this.#native.close();
  }

  /**
   * A new browser object now, with the same listeners. It cannot send the
   * last event ID: a page that needs it sets `lastEventIdParam` (which makes
   * a NativeConnection).
   */
  reconnect() {
    this.#native.close();
    this.#native = Reflect.construct(Native, this.#args);
    for (const [type, forward] of this.#listeners) this.#native.addEventListener(type, forward);
  }
}

/**
 * The native transport with a reconnect policy or an idle timeout: the
 * browser's object does the connecting, and this class takes over where the
 * browser would give up (an error that leaves it CLOSED) or wait forever (a
 * silent connection): it closes that object, waits the policy's delay on a
 * timer it owns, and opens a new one with the same listeners. A new native
 * object cannot send `Last-Event-ID`, so the last event ID goes in the query
 * parameter the page names.
 */
export class NativeConnection extends Connection {
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
  /** The current browser object has delivered an event with an `id:`. */
  #idSet = false;
  /** The current connection delivered an event. */
  #delivered = false;
  /** The connection that just dropped had delivered one: it worked. */
  #worked = false;

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

  /** Forwards a type; `open`, `error` and `statechange` are this class's own. */
  listen(type) {
    if (type === 'open' || type === 'error' || type === 'statechange') return;
    const forward = (event) => {
      if (event.target !== this.#native) return;
      this.#deliver(event);
    };
    this.#listeners.set(type, forward);
    this.#native.addEventListener(type, forward);
  }

  close() {
    super.close();
    this.#stopWaiting();
    this.#stopIdleTimer();
    this.#native.close();
  }

  /** A new browser object now, from the last event ID (in the query parameter, when named). */
  reconnect() {
    this.#stopWaiting();
    this.#stopIdleTimer();
    this.#native.close();
    this.restart();
    this.#openedAt = null;
    this.#delivered = false;
    this.#worked = false;
    this.#connect();
    this.notify();
  }

  #connect(init) {
    const url = this.#param && this.lastEventId ? withQueryParam(this.url, this.#param, this.lastEventId) : this.url;
    const native = Reflect.construct(Native, [url, init ?? { withCredentials: this.withCredentials }]);
    this.#native = native;
    this.#idSet = false;
    native.addEventListener('open', this.#onOpen);
    native.addEventListener('error', this.#onError);
    for (const [type, forward] of this.#listeners) native.addEventListener(type, forward);
  }

  /** Forwards an event of the current browser object, a copy dispatched on the page's. */
  #deliver(event) {
    if (event instanceof MessageEvent) {
      // A new browser object's own last event ID starts empty, though this
      // source resumes from ours (in the query): its events carry '' until
      // the server sends an `id:`. Taking that '' would lose our ID, and the
      // next attempt would start the stream afresh. A server that resets
      // the ID with an empty `id:` before any other is read as not yet set.
      if (event.lastEventId !== '') this.#idSet = true;
      if (this.#idSet) this.lastEventId = event.lastEventId;
    }
    this.#seen();
    this.#delivered = this.#openedAt !== null;
    this.dispatch(copyEvent(event, this.readyState, this.lastEventId));
  }

  #onOpen = (event) => {
    if (event.target !== this.#native || this.readyState === CLOSED) return;
    this.readyState = OPEN;
    this.#openedAt = Date.now();
    this.#delivered = false;
    this.#seen();
    this.dispatch(new Event('open'));
    this.notify();
  };

  #onError = (event) => {
    const native = this.#native;
    if (event.target !== native || this.readyState === CLOSED) return;
    if (event instanceof MessageEvent) {
      // A server event named "error": forwarded as such.
      this.#deliver(event);
      return;
    }
    this.#dropped();
    if (native.readyState === CONNECTING && !(this.#policy && offline())) {
      // A drop the browser retries itself, at its fixed delay and with the
      // Last-Event-ID header; the policy takes over only where it would give up.
      this.readyState = CONNECTING;
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

  /**
   * Bookkeeping for a connection that failed or dropped. One that delivered
   * an event worked, as does one open for `resetAfter`: the count starts
   * again (src/reconnect.rs holds the same rule for Rust sources).
   */
  #dropped() {
    this.#stopIdleTimer();
    this.#worked = this.#delivered;
    this.#delivered = false;
    // Without a policy (an idle timeout alone), as on the fetch transport,
    // attempts count from the last connection that opened.
    if (this.#openedAt !== null
      && (!this.#policy || this.#worked || Date.now() - this.#openedAt >= this.#policy.resetAfter)) {
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
        // The facts of Error::AttemptsExhausted (src/facts.rs): the last
        // failure's, under the kind that says the policy gave up.
        const { kind, ...last } = details;
        this.#giveUp({
          ...last,
          kind: 'attempts',
          attempts: this.attempt,
          ...(kind === undefined ? {} : { lastKind: kind }),
          message: `gave up after ${this.attempt} reconnection attempts`,
        });
        return;
      }
      // After a connection that worked, the reconnection time less a small
      // jitter; otherwise any share of the ceiling (full jitter).
      delay = this.#worked
        ? Math.min(policy.cap, policy.base) * (1 - Math.random() / 5)
        : Math.random() * Math.min(policy.cap, policy.base * 2 ** this.attempt);
    }
    this.#worked = false;
    this.attempt += 1;
    this.readyState = CONNECTING;
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
    if (this.#idleTimeout > 0 && this.#idleTimer === null && this.readyState === OPEN) {
      this.#idleTimer = setTimeout(this.#checkIdle, this.#idleTimeout);
    }
  }

  #checkIdle = () => {
    this.#idleTimer = null;
    if (this.readyState !== OPEN) return;
    const quiet = performance.now() - this.#lastSeen;
    if (quiet < this.#idleTimeout) {
      this.#idleTimer = setTimeout(this.#checkIdle, this.#idleTimeout - quiet);
      return;
    }
    // Half-open: the connection looks alive but nothing comes.
    this.#dropped();
    this.#native.close();
    this.#retry({ kind: 'timeout', idleTimeout: this.#idleTimeout, message: `no event for ${this.#idleTimeout} ms` });
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
function copyEvent(event, readyState, lastEventId = event.lastEventId) {
  if (event.type === 'error' && !(event instanceof MessageEvent)) {
    return errorEvent({}, readyState === CONNECTING);
  }
  if (event instanceof MessageEvent) {
    return new MessageEvent(event.type, {
      data: event.data,
      lastEventId,
      origin: event.origin,
    });
  }
  return new Event(event.type);
}
