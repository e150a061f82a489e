// A shared source's seat: the part of the cross-tab protocol (shared.js)
// that cannot wait for it. The seat takes its places at once, in the order
// the protocol needs: it opens the channel, says hello, asks for its member
// lock, then for the leadership. Sources queue for the leadership in the
// order they opened, and a leader that lists this source's member lock
// knows that it hears the channel. Messages that arrive before the protocol
// is attached wait for it, as does a leadership granted by then.
//
// Imports nothing: the npm package (shared-connection.js) and the Rust
// crate's `shared` feature (src/transport/shared.rs) both load this file as
// it is, and wasm-bindgen copies only the files it is named.

/**
 * Whether this global scope can share a connection: Web Locks elect the
 * leader and a BroadcastChannel carries the events, in windows and workers
 * (locks need a secure context: https or localhost).
 */
export function canShare() {
  return typeof BroadcastChannel === 'function' && typeof globalThis.navigator?.locks?.request === 'function';
}

/**
 * One source's channel and places in the lock queues, for the key `key`
 * (the JSON of what makes two sources one stream). `closed` is set first
 * on close, so a lock callback that runs later does nothing.
 */
export class Seat {
  closed = false;
  /** The leadership's lock, and the prefix of every member lock of the key. */
  name;
  members;
  /** Tells this source's messages, while it leads, from earlier leaders'. */
  token = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  /** The event types any source of this key listens to. */
  types = new Set();
  channel;
  #abort = new AbortController();
  /** Ends the leadership's hold (resolves the promise its lock callback returned). */
  #release = null;
  /** Ends the member lock's hold. */
  #leave = null;
  /** A fatal hand-off owns the leadership and the channel (`detach`). */
  #handingOff = false;
  /** The protocol (shared.js's Member) once attached, and what came before. */
  #member = null;
  #early = [];
  #granted = false;

  constructor(key) {
    this.name = `web-sse:${key}`;
    this.members = `web-sse-member:${key}:`;
    this.channel = new BroadcastChannel(this.name);
    this.channel.onmessage = ({ data }) => {
      if (this.#member) this.#member.receive(data);
      else this.#early.push(data);
    };
    this.post({ t: 'hello', types: [] });
    const { locks } = globalThis.navigator;
    const { signal } = this.#abort;
    // Both rejections are AbortError (closed while waiting): not the page's.
    locks.request(`${this.members}${this.token}`, { signal }, () => this.#hold()).catch(() => {});
    locks.request(this.name, { signal }, () => this.#lead()).catch(() => {});
  }

  /** Hands the seat to the protocol: it takes what waited for it. */
  attach(member) {
    if (this.closed) return;
    this.#member = member;
    for (const message of this.#early.splice(0)) member.receive(message);
    if (this.#granted) member.lead();
  }

  /** Posts on the channel while the source is open. */
  post(message) {
    if (!this.closed) this.channel.postMessage(message);
  }

  /** The page listens to `type` from now on; whether it is new to the key. */
  want(type) {
    if (type === 'open' || type === 'error' || this.types.has(type)) return false;
    this.types.add(type);
    this.post({ t: 'want', types: [type] });
    return true;
  }

  /**
   * Leaves: a follower leaves the queue, a leader releases the lock, and the
   * next source in line takes over.
   */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.#abort.abort();
    this.#release?.();
    this.#release = null;
    this.#leave?.();
    this.#leave = null;
    this.channel.onmessage = null;
    if (!this.#handingOff) this.channel.close();
  }

  /**
   * For a fatal refusal (shared.js): closes, but hands the channel and the
   * leadership to the caller, which releases them when the other sources
   * have heard.
   */
  detach() {
    const release = this.#release;
    this.#release = null;
    this.#handingOff = true;
    this.close();
    return { channel: this.channel, release };
  }

  // The member lock's callback: held until close().
  #hold() {
    if (this.closed) return undefined;
    return new Promise((resolve) => {
      this.#leave = resolve;
    });
  }

  // The leadership's callback: this source leads until the promise settles.
  #lead() {
    if (this.closed) return undefined;
    const held = new Promise((resolve) => {
      this.#release = resolve;
    });
    this.#granted = true;
    this.#member?.lead();
    return held;
  }
}
