// `new EventSource(url, { shared: true })`: a shared source of the npm
// package. Its seat (shared-seat.js) takes its places in the lock queues at
// once; the protocol (shared.js) loads with the first shared source, and this
// connection is its host: it leads with an unshared connection of the
// package (connect.js) and delivers what the protocol hands it on the page's
// object.

import { connect } from './connect.js';
import { Connection } from './connection.js';
import { errorEvent, facts, restore } from './facts.js';
import { CLOSED, CONNECTING, OPEN, resolveUrl, sharedKey } from './options.js';
import { Seat } from './shared-seat.js';

export { canShare } from './shared-seat.js';

/**
 * The set of wanted event types the page's object fills (`listen`); adding
 * one tells the other tabs, so that the leader listens to it. On the native
 * transport the leader sees only the types it listens to.
 */
class Wanted extends Set {
  onAdd = null;

  add(type) {
    if (!this.has(type)) {
      super.add(type);
      this.onAdd?.(type);
    }
    return this;
  }
}

/**
 * The connection of a shared source, fed by the leader's relay. `shared`
 * says this tab's part: `'follower'` until it holds the lock, then `'leader'`.
 */
export class SharedConnection extends Connection {
  shared = 'follower';
  wanted = new Wanted(['open', 'error']);
  #seat;
  /** What the leader of this source opens: the page's options as they were. */
  #init;
  /** The leader's own unshared connection. */
  #inner = null;
  /** The protocol (shared.js's Member) once it has loaded. */
  #member = null;

  constructor(url, init, dispatchEvent) {
    const resolved = resolveUrl(url);
    const key = sharedKey(resolved, init);
    super(resolved, Boolean(init.withCredentials), dispatchEvent);
    this.#init = { ...init, shared: false };
    const resumable = init.transport === 'fetch' || init.lastEventIdParam != null;
    // A page's own starting point, as on an unshared source.
    const id = init.lastEventId == null ? '' : `${init.lastEventId}`;
    const seat = new Seat(key);
    this.#seat = seat;
    this.wanted.onAdd = (type) => {
      if (seat.want(type)) this.#inner?.listen(type);
    };
    const host = (what, ...args) => this.#host(what, ...args);
    import('./shared.js').then(({ Member }) => {
      if (this.readyState === CLOSED) return;
      this.#member = new Member(seat, host, resumable, id);
      seat.attach(this.#member);
    }, (error) => {
      if (this.readyState === CLOSED) return;
      this.failed = true;
      this.close();
      this.dispatch(errorEvent({ kind: 'module', message: `web-sse could not load its shared.js: ${error.message}` }, false));
      this.notify();
    });
  }

  /**
   * Stops this tab's part: a follower leaves, a leader closes its connection
   * and releases the lock, and the next tab in line takes over.
   */
  close() {
    if (this.readyState === CLOSED) return;
    // First: a lock callback that runs from now on does nothing.
    super.close();
    // The connection closes before the lock moves on: never two at once.
    this.#inner?.close();
    this.#inner = null;
    this.#seat.close();
  }

  // What the protocol asks of this source (shared.js's header lists it).
  #host(what, a, b, c, d) {
    switch (what) {
      case 'state':
        return this.readyState;
      case 'leader':
        this.shared = 'leader';
        break;
      case 'lead':
        this.#lead(a);
        break;
      case 'listen':
        this.#inner?.listen(a);
        break;
      case 'open':
        this.readyState = OPEN;
        this.dispatch(new Event('open'));
        this.notify();
        break;
      case 'error':
        this.readyState = CONNECTING;
        this.dispatch(errorEvent(b, true));
        this.notify();
        break;
      case 'fatal':
        this.failed = true;
        this.close();
        this.dispatch(errorEvent(a, false));
        this.notify();
        break;
      case 'policy':
        this.attempt = a;
        this.retryDelay = b;
        this.nextAttemptAt = c;
        this.lastError = d && restore(d);
        this.notify();
        break;
      case 'advance':
        this.lastEventId = a;
        this.reconnectionTime = b;
        break;
      case 'event':
        if (this.wanted.has(a)) this.dispatch(new MessageEvent(a, { data: b, lastEventId: c, origin: d }));
        break;
      default:
    }
    return undefined;
  }

  // This tab leads: its own unshared connection, relayed to every tab.
  #lead(id) {
    const member = this.#member;
    const init = id === '' ? this.#init : { ...this.#init, lastEventId: id };
    let inner;
    try {
      inner = connect(this.url, init, [this.url, init], (event) => {
        if (this.readyState !== CLOSED && inner === this.#inner) this.#relay(inner, event);
      });
    } catch (error) {
      member.refuse({ kind: 'request', message: error.message });
      return;
    }
    this.#inner = inner;
    inner.listen('open');
    inner.listen('error');
  }

  #relay(inner, event) {
    const member = this.#member;
    if (event instanceof MessageEvent) {
      member.relayEvent(event.type, event.data, event.lastEventId, event.origin, inner.reconnectionTime);
    } else if (event.type === 'open') {
      member.relayOpen();
    } else if (event.type === 'error') {
      if (inner.readyState === CLOSED) member.refuse(facts(event));
      else member.relayError(inner.readyState, facts(event));
    } else if (event.type === 'statechange') {
      const { attempt, retryDelay, nextAttemptAt, lastError } = inner;
      member.relayPolicy(attempt, retryDelay, nextAttemptAt, lastError && facts(lastError));
    }
  }
}
