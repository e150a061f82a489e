// `new EventSource(url, { shared: true })`: one connection for every tab,
// window and worker of an origin that opens the same source.
//
// Why: on HTTP/1.1 a browser opens at most 6 connections per host, and each
// tab holding a stream takes one, so the seventh tab's requests hang.
//
// How: the tabs that open the same key (URL, transport, method, headers,
// body, credentials) elect a leader with a Web Lock; only the leader
// connects, with an unshared connection of the package (connect.js), and relays each
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
//   policy {e, attempt, retryDelay, nextAttemptAt, lastError}   its reconnect state
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
//
// shared-connection.js holds the part of a source that cannot wait for this
// module (the channel and the lock requests); this module, loaded with the
// first shared source, holds the rest.

import { connect } from './connect.js';
import { errorEvent, facts, restore } from './facts.js';
import { CLOSED, CONNECTING, OPEN } from './options.js';

/**
 * The longest a fatal hand-off holds the leadership (see the header). It ends
 * long before, as soon as the listed sources have closed; this only bounds
 * the wait of a source that opened after the refusal when a listed one is
 * stuck.
 */
const FATAL_HANDOFF_MS = 5000;

/**
 * One source's part in the protocol: as a follower it takes the leader's
 * messages, as the leader it runs the connection and relays it. `source` is
 * the SharedConnection whose state it sets and on which it dispatches.
 */
export class Member {
  #source;
  /** What the source was opened with (see SharedConnection). */
  #init;
  #fetch;
  /** Native: the query parameter that carries the last event ID to a new leader's server. */
  #param;
  #token;
  /** The member locks' common prefix. */
  #members;
  /** Posts on the channel while the source is open. */
  #post;
  /** The event types any tab of this key listens to (the source's set). */
  #types;
  /** The leader's own unshared connection. */
  #inner = null;
  /** The sequence number and event ID of the last event this tab took. */
  #seq = 0;
  #id;
  /** The leader's counter and the ID of its last relayed event. */
  #relaySeq = 0;
  #relayId = '';
  /** The leader this tab last heard of: { e, resume }. */
  #term = null;

  constructor(source, { init, fetch, param, id, token, members, types, post }) {
    this.#source = source;
    this.#init = init;
    this.#fetch = fetch;
    this.#param = param;
    this.#id = id;
    this.#token = token;
    this.#members = members;
    this.#types = types;
    this.#post = post;
  }

  /** A type the page listens to from now on. */
  subscribe(type) {
    this.#inner?.listen(type);
  }

  /** Closes the leader's connection (the source is closing). */
  stop() {
    this.#inner?.close();
    this.#inner = null;
  }

  /** The source holds the leadership: it connects, and relays. */
  lead() {
    const source = this.#source;
    if (source.readyState === CLOSED) return;
    source.shared = 'leader';
    // Resume after the last event this tab took; tabs that are ahead drop
    // the server's replay by sequence number.
    const id = this.#id;
    const resume = id !== '' && (this.#fetch || this.#param !== undefined);
    const init = resume ? { ...this.#init, lastEventId: id } : this.#init;
    this.#relaySeq = this.#seq;
    this.#relayId = id;
    this.#broadcast({ t: 'elected', e: this.#token, s: this.#seq, resume });
    let inner;
    try {
      inner = connect(source.url, init, [source.url, init], (event) => this.#relay(inner, event));
    } catch (error) {
      this.#refuse({ kind: 'request', message: error.message });
      return;
    }
    this.#inner = inner;
    for (const type of ['open', 'error', ...this.#types]) inner.listen(type);
  }

  /** Sends a message to the other tabs and takes it here too, by the same path. */
  #broadcast(message) {
    this.#post(message);
    this.receive(message);
  }

  // The leader's listener on its own connection: every event goes to the
  // other tabs and to this one.
  #relay(inner, event) {
    if (this.#source.readyState === CLOSED || inner !== this.#inner) return;
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
      const details = facts(event);
      if (inner.readyState === CLOSED) this.#refuse(details);
      else this.#broadcast({ t: 'error', e: this.#token, readyState: inner.readyState, details });
    } else if (event.type === 'statechange') {
      const { attempt, retryDelay, nextAttemptAt, lastError } = inner;
      this.#broadcast({ t: 'policy', e: this.#token, attempt, retryDelay, nextAttemptAt, lastError: lastError && facts(lastError) });
    }
  }

  /**
   * The leader's connection failed for good: this source closes at once, and
   * the other sources hear of it before anyone else may lead (see the
   * header for why this order holds).
   */
  #refuse(details) {
    const source = this.#source;
    const own = `${this.#members}${this.#token}`;
    const prefix = this.#members;
    const message = { t: 'error', e: this.#token, readyState: CLOSED, details };
    // The source closes, but the hand-off below owns the leadership and the channel.
    const { channel, release } = source.detach();
    source.failed = true;
    source.dispatch(errorEvent(details, false));
    source.notify();
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

  /** Whether `message` comes from the leader this tab knows (any, before it knows one). */
  #current(message) {
    return this.#term === null || message.e === this.#term.e;
  }

  /** A message from the channel, or this tab's own broadcast. */
  receive(message) {
    const source = this.#source;
    if (source.readyState === CLOSED || message === null || typeof message !== 'object') return;
    switch (message.t) {
      case 'hello':
        this.#adopt(message.types);
        if (source.shared === 'leader') {
          this.#post({
            t: 'state', e: this.#token, s: this.#relaySeq, id: this.#relayId, readyState: source.readyState,
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
        if (source.readyState === OPEN) {
          source.readyState = CONNECTING;
          source.dispatch(errorEvent({}, true));
          source.notify();
        }
        return;
      case 'open':
        if (this.#current(message)) this.#open();
        return;
      case 'error':
        if (!this.#current(message)) return;
        if (message.readyState === CLOSED) {
          source.failed = true;
          source.close();
          source.dispatch(errorEvent(message.details, false));
        } else {
          source.readyState = CONNECTING;
          source.dispatch(errorEvent(message.details, true));
        }
        source.notify();
        return;
      case 'policy':
        if (!this.#current(message)) return;
        ({ attempt: source.attempt, retryDelay: source.retryDelay, nextAttemptAt: source.nextAttemptAt } = message);
        source.lastError = message.lastError && restore(message.lastError);
        source.notify();
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
        this.#inner?.listen(type);
      }
    }
  }

  #open() {
    const source = this.#source;
    if (source.readyState !== CONNECTING) return;
    source.readyState = OPEN;
    source.dispatch(new Event('open'));
    source.notify();
  }

  #event(message) {
    const source = this.#source;
    // A leader that could not resume (no ID yet, or native without
    // `lastEventIdParam`) starts a fresh stream: its events are all new.
    const fresh = this.#term !== null && message.e === this.#term.e && !this.#term.resume;
    if (!fresh && message.s <= this.#seq) return; // already taken: a replay after a hand-over
    this.#seq = message.s;
    this.#id = message.id;
    source.lastEventId = message.id;
    source.reconnectionTime = message.r;
    // The leader's events come after its `open`; one from an earlier leader
    // can arrive after the new one's `elected`, and is delivered in order.
    this.#open();
    if (source.wanted.has(message.type)) {
      source.dispatch(new MessageEvent(message.type, { data: message.data, lastEventId: message.id, origin: message.origin }));
    }
  }
}
