// The base of every connection that the page's object owns in place of the
// browser's own (fetch, a stream, native under a policy, shared): the state
// the page reads and the one `statechange` event per transition.

import { CLOSED, CONNECTING, DEFAULT_RECONNECTION_TIME } from './options.js';

/**
 * The state every connection reports, at rest: the reconnect state the page
 * reads, and this tab's `shared` part. A connection's driver keeps it live;
 * where the browser's own object hides it (native.js's OwnConnection and
 * BrowserConnection), it stays at rest.
 */
export class AtRest {
  /** Milliseconds; the server's `retry:` sets it where the transport sees it. */
  reconnectionTime = DEFAULT_RECONNECTION_TIME;
  shared = 'unshared';
  attempt = 0;
  retryDelay = null;
  nextAttemptAt = null;
  lastError = null;
}

/**
 * A connection: its state (`readyState`, `url`, `withCredentials`,
 * `lastEventId`, `reconnectionTime`, this tab's `shared` part), the reconnect
 * state the page reads (`attempt`, `retryDelay`, `nextAttemptAt`,
 * `lastError`), the event types it delivers (`listen`), and `statechange`.
 * It dispatches through `dispatch`, on the page's object.
 */
export class Connection extends AtRest {
  readyState = CONNECTING;
  url;
  withCredentials;
  lastEventId = '';
  /** Event types with listeners: events of other types are not built. */
  wanted = new Set(['open', 'error']);
  dispatch;
  /** Whether the source failed for good (not closed by the page): its CLOSED is reported. */
  failed = false;
  /** Whether the source met its `endOn` sentinel: its CLOSED is reported too. */
  ended = false;
  /** The state the last `statechange` reported. */
  #reported = [CONNECTING, 0, null, null, null];
  #pending = false;

  constructor(url, withCredentials, dispatchEvent) {
    super();
    this.url = url;
    this.withCredentials = withCredentials;
    this.dispatch = dispatchEvent;
  }

  /** The page listens to `type` (the first listener of it). */
  listen(type) {
    this.wanted.add(type);
  }

  close() {
    this.readyState = CLOSED;
    this.retryDelay = null;
    this.nextAttemptAt = null;
  }

  /** The state of a connection starting again (`reconnect()`), whatever it was. */
  restart() {
    this.readyState = CONNECTING;
    this.failed = false;
    this.ended = false;
    this.attempt = 0;
    this.retryDelay = null;
    this.nextAttemptAt = null;
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
      if (this.readyState === CLOSED && !this.failed && !this.ended) return;
      const state = [this.readyState, this.attempt, this.retryDelay, this.nextAttemptAt, this.lastError];
      if (state.every((value, i) => value === this.#reported[i])) return;
      this.#reported = state;
      this.dispatch(new Event('statechange'));
    });
  }
}
