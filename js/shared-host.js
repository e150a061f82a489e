// The npm package's host of the cross-tab protocol (shared.js's header lists
// what a host does): loaded with shared.js on the first shared source, so a
// page that shares nothing loads neither. It leads with an unshared
// connection of the package (connect.js), relays it to the protocol, and
// delivers what the protocol hands it on the source (shared-connection.js).

import { connect } from './connect.js';
import { errorEvent, facts, restore } from './facts.js';
import { CLOSED, CONNECTING, OPEN } from './options.js';
import { Member } from './shared.js';

/** One shared source's host: its Member, and while it leads, the connection. */
export class Host {
  #source;
  /** What the leader of this source opens: the page's options, unshared. */
  #init;
  #member;
  /** The leader's own unshared connection. */
  #inner = null;

  constructor(source, seat, init, resumable, id) {
    this.#source = source;
    this.#init = init;
    this.#member = new Member(seat, (what, a, b, c, d) => this.#call(what, a, b, c, d), resumable, id);
    seat.attach(this.#member);
  }

  /** The page listens to `type` from now on: the leader's connection too. */
  listen(type) {
    this.#inner?.listen(type);
  }

  /** The source closes: the leader's connection with it. */
  stop() {
    this.#inner?.close();
    this.#inner = null;
  }

  #call(what, a, b, c, d) {
    const source = this.#source;
    switch (what) {
      case 'state':
        return source.readyState;
      case 'role':
        source.shared = a;
        source.dispatch(new Event('rolechange'));
        break;
      case 'lead':
        this.#lead(a);
        break;
      case 'listen':
        this.listen(a);
        break;
      case 'unlead':
        this.stop();
        break;
      case 'handover':
        source.readyState = CONNECTING;
        source.notify();
        break;
      case 'resume':
        source.readyState = OPEN;
        source.notify();
        break;
      case 'open':
        source.readyState = OPEN;
        source.dispatch(new Event('open'));
        source.notify();
        break;
      case 'error':
        source.readyState = CONNECTING;
        source.dispatch(errorEvent(b, true));
        source.notify();
        break;
      case 'fatal':
        source.failed = true;
        source.close();
        source.dispatch(errorEvent(a, false));
        source.notify();
        break;
      case 'policy':
        source.attempt = a;
        source.retryDelay = b;
        source.nextAttemptAt = c;
        source.lastError = d && restore(d);
        source.notify();
        break;
      case 'advance':
        source.lastEventId = a;
        source.reconnectionTime = b;
        break;
      case 'event':
        if (source.wanted.has(a)) source.dispatch(new MessageEvent(a, { data: b, lastEventId: c, origin: d }));
        break;
      default:
    }
    return undefined;
  }

  // This tab leads: its own unshared connection, resumed after `id` unless
  // it is empty, relayed to every tab.
  #lead(id) {
    const { url } = this.#source;
    const init = id === '' ? this.#init : { ...this.#init, lastEventId: id };
    let inner;
    try {
      inner = connect(url, init, [url, init], (event) => {
        if (this.#source.readyState !== CLOSED && inner === this.#inner) this.#relay(inner, event);
      });
    } catch (error) {
      this.#member.refuse({ kind: 'request', message: error.message });
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
