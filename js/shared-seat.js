// A shared source's seat: the part of the protocol (shared.js's header) that
// cannot wait for it to load. Imports nothing, so that Rust runs it as is.

/** Whether this scope can share: Web Locks and BroadcastChannel (a secure context). */
export function canShare() {
  return typeof BroadcastChannel === 'function' && typeof globalThis.navigator?.locks?.request === 'function';
}

/** One source's channel and places in the lock queues of `key`. */
export class Seat {
  closed = false;
  name;
  members;
  token = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  /** The event types any source of the key listens to. */
  types = new Set();
  channel;
  #abort = new AbortController();
  #release = null;
  #leave = null;
  #handingOff = false;
  #member = null;
  #early = [];
  #granted = false;
  /** The page's pagehide and pageshow, while the seat is open (windows only). */
  #onPage = null;

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
    // AbortError: closed while waiting.
    locks.request(this.members + this.token, { signal }, () => this.#hold()).catch(() => {});
    this.#queue();
    // A leaving page's connection must close before the lock moves on, or
    // the next leader's request can reach the server first: the browser
    // ends the page's requests and releases its locks in no set order.
    if (typeof globalThis.addEventListener === 'function' && typeof globalThis.document === 'object') {
      this.#onPage = (event) => {
        if (event.type === 'pagehide') this.#resign(event.persisted);
        else if (event.persisted && !this.closed && this.#release === null) this.#rejoin();
      };
      globalThis.addEventListener('pagehide', this.#onPage);
      globalThis.addEventListener('pageshow', this.#onPage);
    }
  }

  /** Queues for the leadership. */
  #queue() {
    const { locks } = globalThis.navigator;
    locks.request(this.name, { signal: this.#abort.signal }, () => this.#lead()).catch(() => {});
  }

  /**
   * The page is going away: a leader closes its connection now, and keeps
   * the leadership until the browser drops it with the page. Released here,
   * it moved on before the close took effect: in Chromium the next leader's
   * request reached the server up to 200 ms before the old connection
   * closed, while a release with the page came 18 ms or more after it. A
   * page that goes into the back/forward cache (`persisted`) stays alive,
   * so it lets the next source in line lead now. A follower keeps its
   * places; the browser drops them with the page.
   */
  #resign(persisted) {
    const release = this.#release;
    if (this.closed || release === null) return;
    this.#member?.resign();
    if (!persisted) return;
    this.#release = null;
    this.#granted = false;
    release();
  }

  /** Back from the back/forward cache: this source asks who leads, and queues again. */
  #rejoin() {
    this.post({ t: 'hello', types: [...this.types] });
    this.#queue();
  }

  /** Hands the seat to the protocol, with what waited for it. */
  attach(member) {
    if (this.closed) return;
    this.#member = member;
    for (const message of this.#early.splice(0)) member.receive(message);
    if (this.#granted) member.lead();
  }

  post(message) {
    if (!this.closed) this.channel.postMessage(message);
  }

  /** The page listens to `type`; whether it is new to the key. */
  want(type) {
    if (type === 'open' || type === 'error' || this.types.has(type)) return false;
    this.types.add(type);
    this.post({ t: 'want', types: [type] });
    return true;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.#abort.abort();
    this.#release?.();
    this.#release = null;
    this.#leave?.();
    this.#leave = null;
    if (this.#onPage) {
      globalThis.removeEventListener('pagehide', this.#onPage);
      globalThis.removeEventListener('pageshow', this.#onPage);
      this.#onPage = null;
    }
    this.channel.onmessage = null;
    if (!this.#handingOff) this.channel.close();
  }

  /** Closes, but leaves the channel and the leadership to a fatal hand-off. */
  detach() {
    const release = this.#release;
    this.#release = null;
    this.#handingOff = true;
    this.close();
    return { channel: this.channel, release };
  }

  #hold() {
    if (this.closed) return undefined;
    return new Promise((resolve) => {
      this.#leave = resolve;
    });
  }

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
