// `new EventSource(url, { shared: true })`: the part of a shared source that
// cannot wait for the protocol (shared.js, loaded on the first shared
// source). The source takes its places at once, in the order the protocol
// needs: it opens the channel, says hello, asks for its member lock, then
// for the leadership. Tabs queue for the leadership in the order their
// sources opened, and a leader that lists this source's member lock knows
// that it hears the channel. Messages that arrive before the protocol has
// loaded wait for it, as does a leadership granted by then.

import { Connection } from './connection.js';
import { errorEvent } from './facts.js';
import { CLOSED, resolveUrl, sharedKey } from './options.js';

/**
 * Whether this global scope can share a connection: Web Locks elect the
 * leader and a BroadcastChannel carries the events, in windows and workers
 * (locks need a secure context: https or localhost).
 */
export function canShare() {
  return typeof BroadcastChannel === 'function' && typeof globalThis.navigator?.locks?.request === 'function';
}

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
  #channel;
  #abort = new AbortController();
  /** Ends the leadership's hold (resolves the promise its lock callback returned). */
  #release = null;
  /** Ends the member lock's hold. */
  #leave = null;
  /** A fatal hand-off owns the leadership and the channel (`detach`). */
  #handingOff = false;
  /** The event types any tab of this key listens to. */
  #types = new Set();
  /** The protocol (shared.js's Member) once it has loaded, and the messages that came before. */
  #member = null;
  #early = [];
  #loaded;

  constructor(url, init, dispatchEvent) {
    const resolved = resolveUrl(url);
    const key = sharedKey(resolved, init);
    super(resolved, Boolean(init.withCredentials), dispatchEvent);
    const name = `web-sse:${key}`;
    const members = `web-sse-member:${key}:`;
    const token = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    // What the leader of this source will open: the page's options as they are now.
    const setup = {
      init: { ...init, shared: false },
      fetch: init.transport === 'fetch',
      param: init.lastEventIdParam == null ? undefined : `${init.lastEventIdParam}`,
      // A page's own starting point, as on an unshared source.
      id: init.lastEventId == null ? '' : `${init.lastEventId}`,
      token,
      members,
      types: this.#types,
      post: (message) => this.#post(message),
    };
    this.wanted.onAdd = (type) => this.#want([type]);

    this.#channel = new BroadcastChannel(name);
    this.#channel.onmessage = (message) => this.#receive(message.data);
    this.#post({ t: 'hello', types: [...this.#types] });
    const { locks } = globalThis.navigator;
    const { signal } = this.#abort;
    locks.request(`${members}${token}`, { signal }, () => this.#hold())
      .catch(() => {});
    locks.request(name, { signal }, () => this.#lead())
      // AbortError: closed while waiting for the lock.
      .catch(() => {});
    this.#loaded = import('./shared.js').then(({ Member }) => {
      if (this.readyState === CLOSED) return null;
      this.#member = new Member(this, setup);
      for (const message of this.#early.splice(0)) this.#member.receive(message);
      return this.#member;
    }, (error) => {
      if (this.readyState === CLOSED) return null;
      this.failed = true;
      this.close();
      this.dispatch(errorEvent({ kind: 'module', message: `web-sse could not load its shared.js: ${error.message}` }, false));
      this.notify();
      return null;
    });
  }

  /**
   * Stops this tab's part: a follower leaves, a leader closes its connection
   * and releases the lock, and the next tab in line takes over.
   */
  close() {
    if (this.readyState === CLOSED) return;
    // First: a lock callback that runs from now on does nothing.
    this.readyState = CLOSED;
    this.#abort.abort();
    this.#member?.stop();
    this.#release?.();
    this.#release = null;
    this.#leave?.();
    this.#leave = null;
    this.#channel.onmessage = null;
    if (!this.#handingOff) this.#channel.close();
  }

  /**
   * For a fatal refusal (shared.js): closes this source, but hands its
   * channel and its leadership to the caller, which releases them when the
   * other sources have heard.
   */
  detach() {
    const release = this.#release;
    this.#release = null;
    this.#handingOff = true;
    this.close();
    return { channel: this.#channel, release };
  }

  // The member lock's callback: held until close().
  #hold() {
    if (this.readyState === CLOSED) return undefined;
    return new Promise((resolve) => {
      this.#leave = resolve;
    });
  }

  // The lock's callback: this tab leads until the promise it returns settles.
  #lead() {
    if (this.readyState === CLOSED) return undefined;
    const held = new Promise((resolve) => {
      this.#release = resolve;
    });
    if (this.#member) this.#member.lead();
    else this.#loaded.then((member) => member?.lead());
    return held;
  }

  #receive(message) {
    if (this.#member) this.#member.receive(message);
    else this.#early.push(message);
  }

  #post(message) {
    if (this.readyState !== CLOSED) this.#channel.postMessage(message);
  }

  #want(types) {
    const added = types.filter((type) => !this.#types.has(type));
    if (added.length === 0) return;
    for (const type of added) {
      this.#types.add(type);
      this.#member?.subscribe(type);
    }
    this.#post({ t: 'want', types: added });
  }
}
