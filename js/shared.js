// `new EventSource(url, { shared: true })`: one connection for every tab,
// window and worker of an origin that opens the same source.
//
// Why: on HTTP/1.1 a browser opens at most 6 connections per host, and each
// tab holding a stream takes one, so the seventh tab's requests hang.
//
// How: the tabs that open the same key (URL, transport, method, headers,
// body, credentials) elect a leader with a Web Lock; only the leader
// connects, with the package's own unshared EventSource, and relays each
// event over a BroadcastChannel named after the key. The lock is held until
// the leader closes its source or its page dies (the browser releases the
// locks of a crashed page), and the next tab in the lock's queue takes over.
//
// The hand-over is lossless where the server honours the last event ID: the
// new leader resumes from the last event it delivered (fetch: the
// Last-Event-ID header through the `lastEventId` option; native: the query
// parameter named by `lastEventIdParam`). Each relayed event carries a
// sequence number that continues across leaders, so a tab that is ahead of
// the new leader (it heard of events the new leader had not yet) drops the
// server's replay of them: no tab delivers an event twice.
//
// Messages on the channel (`e` is the sending leader's token):
//   hello {types}           a new tab, with the event types it listens to
//   want {types}            a tab listens to more types
//   state {e, s, id, readyState, resume, types}   the leader's answer to hello
//   elected {e, s, resume}  a new leader; `s` is its sequence base
//   open {e}, error {e, readyState, details}      the leader's connection
//   event {e, s, type, data, id, origin, r}       one event; `r` is the reconnection time
// An `error` with readyState 2 (CLOSED) is fatal: the server refused the
// stream for good, and every tab closes.
//
// Locks (`key` is the JSON key above):
//   web-sse:<key>                  the leadership, requested by every source
//   web-sse-member:<key>:<token>   held by each source from its start to its
//                                  close (or its page's end)
//
// A fatal refusal makes exactly one request, whatever the number of tabs.
// The lock manager and the channel are two paths with no order between them:
// were the leader to release the leadership as it posts `error`, the next
// tab in the queue could get the lock before the message and ask the server
// again. So the leader keeps the lock through a hand-off (#refuse): it lists
// the member locks held (locks.query()), then posts the fatal `error`, then
// requests each listed member lock and releases the leadership once every
// one was granted, that is once each of those sources has closed (it
// releases its member lock in close(), after it set CLOSED, which makes its
// lock callback a no-op) or its page has gone. This is deterministic: a
// listed member opened its channel before it asked for its lock, so before
// the post, and the channel delivers the post to it; when the leadership
// moves on, every listed source has taken the refusal. No timing decides
// who connects. A source that opens after the list was taken is a later
// source: it leads once the hand-off ends and asks the server again, as a
// new source would. A backstop (FATAL_HANDOFF_MS) ends the hand-off if a
// listed source never answers (a hung page, or a browser that registered
// its channel after the post), so no lock outlives it. Message shapes are
// unchanged; a source without a member lock (an older version) is not
// waited for, and may ask once more, as before.

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
const DEFAULT_RECONNECTION_TIME = 3000;
/**
 * The longest a fatal hand-off holds the leadership (see the header). It ends
 * long before, as soon as the listed sources have closed; this only bounds
 * the wait of a source that opened after the refusal when a listed one is
 * stuck.
 */
const FATAL_HANDOFF_MS = 5000;

/**
 * Whether this global scope can share a connection: Web Locks elect the
 * leader and a BroadcastChannel carries the events, in windows and workers
 * (locks need a secure context: https or localhost).
 */
export function canShare() {
  return typeof BroadcastChannel === 'function' && typeof globalThis.navigator?.locks?.request === 'function';
}

/**
 * The set of wanted event types the page's object fills (see `#forward` in
 * index.js); adding one tells the other tabs, so that the leader listens to
 * it. On the native transport the leader sees only the types it listens to.
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

/** What makes two sources one stream: different keys never share. */
function sharedKey(url, init, fetchTransport) {
  if (!fetchTransport) return JSON.stringify([url, 'native', Boolean(init.withCredentials)]);
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string') {
    throw new TypeError("EventSource: on the fetch transport, 'body' must be a string (JSON.stringify it)");
  }
  // Headers lower-cases and sorts the names, so equal header sets give one key.
  const headers = [...new Headers(init.headers ?? undefined)];
  const method = init.method === undefined ? 'GET' : `${init.method}`.toUpperCase();
  return JSON.stringify([url, 'fetch', method, headers, body ?? null, Boolean(init.withCredentials)]);
}

/** An Error's message and facts (`kind`, `status`, ...), which a channel can carry. */
function facts(error) {
  const out = { message: `${error.message}` };
  for (const [name, value] of Object.entries(error)) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) out[name] = value;
  }
  return out;
}

/** An `error` event as the package makes them: the details, and whether the source reconnects. */
function errorEvent(details, willRetry) {
  return Object.assign(new Event('error'), details, { willRetry });
}

/**
 * The connection of a shared source: what the page's object asks of a
 * connection (readyState, url, withCredentials, lastEventId,
 * reconnectionTime, wanted, close()), fed by the leader's relay. `shared`
 * says this tab's part: `'follower'` until it holds the lock, then `'leader'`.
 */
export class SharedConnection {
  readyState = CONNECTING;
  url;
  withCredentials;
  lastEventId = '';
  reconnectionTime = DEFAULT_RECONNECTION_TIME;
  wanted = new Wanted(['open', 'error']);
  dispatch;
  shared = 'follower';
  /** The leader's reconnect state (see `statechange` in index.js), relayed. */
  attempt = 0;
  retryDelay = null;
  nextAttemptAt = null;
  lastError = null;

  /** The package's EventSource class, passed in to avoid a circular import. */
  #EventSource;
  /** The init dictionary for the leader's own connection. */
  #init;
  #fetch;
  /** Native: the query parameter that carries the last event ID to a new leader's server. */
  #param;
  #channel;
  #abort = new AbortController();
  /** Ends the lock's hold (resolves the promise the lock callback returned). */
  #release = null;
  /** The member locks' common prefix, and this source's own member lock. */
  #members;
  #member;
  /** Ends the member lock's hold. */
  #leave = null;
  /** A fatal hand-off owns the leadership and the channel (#refuse). */
  #handingOff = false;
  /** The leader's unshared source. */
  #inner = null;
  /** The event types any tab of this key listens to. */
  #types = new Set();
  /** The sequence number and event ID of the last event this tab took. */
  #seq = 0;
  #id = '';
  /** The leader's counter and the ID of its last relayed event. */
  #relaySeq = 0;
  #relayId = '';
  /** The leader this tab last heard of: { e, resume }. */
  #term = null;
  /** The state the last `statechange` reported. */
  #reported = [CONNECTING, 0, null, null, null];
  #token = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

  constructor(url, init, EventSourceClass, dispatchEvent) {
    const text = `${url}`;
    let resolved;
    try {
      resolved = new URL(text, globalThis.location?.href).href;
    } catch {
      throw new DOMException(`Failed to construct 'EventSource': The URL '${text}' is invalid.`, 'SyntaxError');
    }
    this.#fetch = init.transport === 'fetch';
    const name = `web-sse:${sharedKey(resolved, init, this.#fetch)}`;
    this.url = resolved;
    this.withCredentials = Boolean(init.withCredentials);
    this.dispatch = dispatchEvent;
    this.#EventSource = EventSourceClass;
    this.#init = { ...init, shared: false };
    this.#param = init.lastEventIdParam == null ? undefined : `${init.lastEventIdParam}`;
    this.wanted.onAdd = (type) => this.#want([type]);
    // A page's own starting point, as on an unshared source.
    if (init.lastEventId != null) this.#id = `${init.lastEventId}`;

    this.#channel = new BroadcastChannel(name);
    this.#channel.onmessage = (message) => this.#receive(message.data);
    this.#post({ t: 'hello', types: [...this.#types] });
    // The member lock is requested after the channel opened, and before the
    // leadership: a leader that lists it knows this source hears its posts
    // (see the header).
    const { locks } = globalThis.navigator;
    this.#members = `web-sse-member:${name.slice('web-sse:'.length)}:`;
    this.#member = `${this.#members}${this.#token}`;
    locks.request(this.#member, { signal: this.#abort.signal }, () => this.#hold())
      .catch(() => {});
    locks.request(name, { signal: this.#abort.signal }, () => this.#lead())
      // AbortError: closed while waiting for the lock.
      .catch(() => {});
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
    this.#inner?.close();
    this.#inner = null;
    this.#release?.();
    this.#release = null;
    this.#leave?.();
    this.#leave = null;
    this.#channel.onmessage = null;
    if (!this.#handingOff) this.#channel.close();
  }

  // The member lock's callback: held until close().
  #hold() {
    if (this.readyState === CLOSED) return undefined;
    return new Promise((resolve) => {
      this.#leave = resolve;
    });
  }

  #post(message) {
    if (this.readyState !== CLOSED) this.#channel.postMessage(message);
  }

  /** Sends a message to the other tabs and takes it here too, by the same path. */
  #broadcast(message) {
    this.#post(message);
    this.#receive(message);
  }

  #want(types) {
    const added = types.filter((type) => !this.#types.has(type));
    if (added.length === 0) return;
    for (const type of added) {
      this.#types.add(type);
      this.#inner?.addEventListener(type, this.#relay);
    }
    this.#post({ t: 'want', types: added });
  }

  // The lock's callback: this tab leads until the promise it returns settles.
  #lead() {
    if (this.readyState === CLOSED) return undefined;
    this.shared = 'leader';
    const held = new Promise((resolve) => {
      this.#release = resolve;
    });
    // Resume after the last event this tab took; tabs that are ahead drop
    // the server's replay by sequence number.
    const id = this.#id;
    const resume = id !== '' && (this.#fetch || this.#param !== undefined);
    const init = resume ? { ...this.#init, lastEventId: id } : this.#init;
    this.#relaySeq = this.#seq;
    this.#relayId = id;
    this.#broadcast({ t: 'elected', e: this.#token, s: this.#seq, resume });
    try {
      this.#inner = new this.#EventSource(this.url, init);
    } catch (error) {
      this.#refuse({ kind: 'request', message: error.message });
      return held;
    }
    for (const type of ['open', 'error', 'statechange', ...this.#types]) this.#inner.addEventListener(type, this.#relay);
    return held;
  }

  // The leader's listener on its own connection: every event goes to the
  // other tabs and to this one.
  #relay = (event) => {
    const inner = this.#inner;
    if (this.readyState === CLOSED || event.target !== inner) return;
    if (event instanceof MessageEvent) {
      this.#relaySeq += 1;
      this.#relayId = event.lastEventId;
      this.#broadcast({
        t: 'event', e: this.#token, s: this.#relaySeq, type: event.type, data: event.data,
        id: event.lastEventId, origin: event.origin, r: inner.reconnectionTime,
      });
    } else if (event.type === 'open') {
      this.#broadcast({ t: 'open', e: this.#token });
    } else if (event.type === 'error') {
      const details = {};
      for (const [name, value] of Object.entries(event)) {
        // `isTrusted` is an own property of every event, and read-only.
        if (name !== 'willRetry' && name !== 'isTrusted' && (value === null || typeof value !== 'object') && typeof value !== 'function') {
          details[name] = value;
        }
      }
      if (inner.readyState === CLOSED) this.#refuse(details);
      else this.#broadcast({ t: 'error', e: this.#token, readyState: inner.readyState, details });
    } else if (event.type === 'statechange') {
      const { attempt, retryDelay, nextAttemptAt, lastError } = inner;
      this.#broadcast({ t: 'policy', e: this.#token, attempt, retryDelay, nextAttemptAt, lastError: lastError && facts(lastError) });
    }
  };

  /**
   * The leader's connection failed for good: this source closes at once, and
   * the other sources hear of it before anyone else may lead (see the
   * header for why this order holds).
   */
  #refuse(details) {
    const release = this.#release;
    const channel = this.#channel;
    const own = this.#member;
    const prefix = this.#members;
    const message = { t: 'error', e: this.#token, readyState: CLOSED, details };
    // close() must neither release the leadership nor close the channel:
    // the hand-off below owns both now.
    this.#release = null;
    this.#handingOff = true;
    this.close();
    this.dispatch(errorEvent(details, false));
    this.#notify();
    const { locks } = globalThis.navigator;
    const stop = new AbortController();
    const backstop = setTimeout(() => stop.abort(), FATAL_HANDOFF_MS);
    locks.query()
      .then(({ held = [] }) => held.map(({ name }) => name).filter((name) => typeof name === 'string' && name.startsWith(prefix) && name !== own))
      .catch(() => [])
      .then((listed) => {
        channel.postMessage(message);
        // Granted once the member has released it: closed, or gone.
        return Promise.all(listed.map((name) => locks.request(name, { signal: stop.signal }, () => {}).catch(() => {})));
      })
      .finally(() => {
        clearTimeout(backstop);
        channel.close();
        release?.();
      });
  }

  /** Dispatches `statechange` when the state differs from the last one reported. */
  #notify() {
    const state = [this.readyState, this.attempt, this.retryDelay, this.nextAttemptAt, this.lastError];
    if (state.every((value, i) => value === this.#reported[i])) return;
    this.#reported = state;
    this.dispatch(new Event('statechange'));
  }

  /** Whether `message` comes from the leader this tab knows (any, before it knows one). */
  #current(message) {
    return this.#term === null || message.e === this.#term.e;
  }

  #receive(message) {
    if (this.readyState === CLOSED || message === null || typeof message !== 'object') return;
    switch (message.t) {
      case 'hello':
        this.#adopt(message.types);
        if (this.shared === 'leader') {
          this.#post({
            t: 'state', e: this.#token, s: this.#relaySeq, id: this.#relayId, readyState: this.readyState,
            resume: this.#term?.resume ?? true, types: [...this.#types],
          });
        }
        return;
      case 'want':
        this.#adopt(message.types);
        return;
      case 'state':
        this.#adopt(message.types);
        // A tab that has taken no event yet joins the leader's stream where it is.
        if (this.#term === null) {
          this.#term = { e: message.e, resume: message.resume };
          if (this.#seq === 0) {
            this.#seq = message.s;
            this.#id = message.id;
          }
        }
        if (this.#current(message) && message.readyState === OPEN) this.#open();
        return;
      case 'elected':
        this.#term = { e: message.e, resume: message.resume };
        // Followers see the hand-over as a reconnection, never as an end.
        if (this.readyState === OPEN) {
          this.readyState = CONNECTING;
          this.dispatch(errorEvent({}, true));
          this.#notify();
        }
        return;
      case 'open':
        if (this.#current(message)) this.#open();
        return;
      case 'error':
        if (!this.#current(message)) return;
        if (message.readyState === CLOSED) {
          this.close();
          this.dispatch(errorEvent(message.details, false));
        } else {
          this.readyState = CONNECTING;
          this.dispatch(errorEvent(message.details, true));
        }
        this.#notify();
        return;
      case 'policy':
        if (!this.#current(message)) return;
        ({ attempt: this.attempt, retryDelay: this.retryDelay, nextAttemptAt: this.nextAttemptAt } = message);
        this.lastError = message.lastError && Object.assign(new Error(message.lastError.message), message.lastError);
        this.#notify();
        return;
      case 'event':
        this.#event(message);
        return;
      default:
    }
  }

  #adopt(types) {
    if (!Array.isArray(types)) return;
    for (const type of types) {
      if (typeof type === 'string' && !this.#types.has(type)) {
        this.#types.add(type);
        this.#inner?.addEventListener(type, this.#relay);
      }
    }
  }

  #open() {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.dispatch(new Event('open'));
    this.#notify();
  }

  #event(message) {
    // A leader that could not resume (no ID yet, or native without
    // `lastEventIdParam`) starts a fresh stream: its events are all new.
    const fresh = this.#term !== null && message.e === this.#term.e && !this.#term.resume;
    if (!fresh && message.s <= this.#seq) return; // already taken: a replay after a hand-over
    this.#seq = message.s;
    this.#id = message.id;
    this.lastEventId = message.id;
    this.reconnectionTime = message.r;
    // The leader's events come after its `open`; one from an earlier leader
    // can arrive after the new one's `elected`, and is delivered in order.
    this.#open();
    if (this.wanted.has(message.type)) {
      this.dispatch(new MessageEvent(message.type, { data: message.data, lastEventId: message.id, origin: message.origin }));
    }
  }
}
