// `new EventSource(url, { shared: true })`: one connection for every tab,
// window and worker of an origin that opens the same source.
//
// Why: on HTTP/1.1 a browser opens at most 6 connections per host, and each
// tab holding a stream takes one, so the seventh tab's requests hang.
//
// How: the tabs that open the same key (URL, transport, method, headers,
// body, credentials) elect a leader with a Web Lock; only the leader
// connects, with an unshared connection of its host, and relays each
// event over a BroadcastChannel named after the key. The lock is held until
// the leader closes its source or its page dies (the browser releases the
// locks of a crashed page), and the next tab in the lock's queue takes over.
//
// A leader's page that goes away (pagehide) closes the leader's connection
// at once and keeps the leadership until the browser drops it with the page
// (shared-seat.js), so that the next leader's request does not reach the
// server while the old one is open. A crashed page cannot: the browser ends
// its requests and releases its locks.
//
// The hand-over is quiet where it resumes: a source that was OPEN becomes
// CONNECTING without an `error`, and OPEN again without an `open` when the
// new leader's connection opens (each a `statechange`). The new leader's
// errors, if its connection fails, are told as usual. A hand-over that
// cannot resume (no ID yet, or native without `lastEventIdParam`) may lose
// events, and is told as a reconnection: `error`, then `open`.
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
// again. So the leader keeps the lock through a hand-off (refuse): it lists
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
// listed source never answers (a hung page).
//
// shared-seat.js holds the part of a source that cannot wait for this
// module, loaded with the first shared source. The seat takes its places at
// once, in the order the protocol needs: it opens the channel, says hello,
// asks for its member lock, then for the leadership. Sources queue for the
// leadership in the order they opened, and a leader that lists a source's
// member lock knows that it hears the channel. Messages that arrive before
// the protocol is attached wait for it, as does a leadership granted by then.
// A seat's `closed` is set first on close, so a lock callback that runs later
// does nothing; `detach` closes it but leaves the channel and the leadership
// to the fatal hand-off.
//
// Both files import nothing: the npm package (shared-connection.js and its
// host, shared-host.js) and the Rust crate's `shared` feature
// (src/transport/shared.rs) run them as they are, and wasm-bindgen copies
// only the files it is named. Each is the host of a Member:
//
//   host(what, ...args)    what the protocol asks of the source
//     'state'                     its readyState (the return value)
//     'role', role                its part from now on: 'leader', 'follower'
//                                 or 'pending' (it starts so, until it leads
//                                 or hears of a leader; again once it resigned)
//     'lead', lastEventId         it leads: open the unshared connection
//                                 (resuming after lastEventId unless '') and
//                                 report it through relay*() and refuse()
//     'unlead'                    close that connection now (the page leaves)
//     'listen', type              the leader's connection listens to type
//     'open'                      deliver open (the source is CONNECTING)
//     'handover'                  become CONNECTING, no error: a hand-over
//                                 that resumes (the source was OPEN)
//     'resume'                    become OPEN again, no open: it ended
//     'error', readyState, facts  deliver the leader's error; it goes on
//     'fatal', facts              deliver the end (the seat is closed)
//     'policy', attempt, retryDelay, nextAttemptAt, lastError (facts or null)
//     'advance', id, reconnectionTime   an event is coming: its ID
//     'event', type, data, id, origin   deliver it
//
// Facts are plain objects of the error facts (js/facts.js, src/facts.rs).

/** `EventSource`'s readyState values. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

/**
 * The longest a fatal hand-off holds the leadership (see the header). It ends
 * long before, as soon as the listed sources have closed; this only bounds
 * the wait of a source that opened after the refusal when a listed one is
 * stuck.
 */
const FATAL_HANDOFF_MS = 5000;

/**
 * One source's part in the protocol, on its seat (shared-seat.js): as a
 * follower it takes the leader's messages, as the leader it relays what its
 * host's connection reports. `resumable`: a new leader can resume from an ID
 * (fetch sends the header; native needs `lastEventIdParam`); `id`: the
 * page's own starting point, as on an unshared source.
 */
export class Member {
  #seat;
  #host;
  #resumable;
  #leading = false;
  /** The sequence number and event ID of the last event this source took. */
  #seq = 0;
  #id;
  /** The leader's counter and the ID of its last relayed event. */
  #relaySeq = 0;
  #relayId = '';
  /** The leader this source last heard of: { e, resume }. */
  #term = null;
  /** 'pending' until this source leads or hears of a leader, then 'leader' or 'follower'. */
  #role = 'pending';
  /** A resumable hand-over is under way: the new leader's open continues the stream. */
  #quiet = false;

  constructor(seat, host, resumable, id) {
    this.#seat = seat;
    this.#host = host;
    this.#resumable = resumable;
    this.#id = id;
  }

  /** The source holds the leadership: its host connects, and it relays. */
  lead() {
    const seat = this.#seat;
    if (seat.closed) return;
    this.#leading = true;
    this.#become('leader');
    // Resume after the last event this source took; sources that are ahead
    // drop the server's replay by sequence number.
    const id = this.#id;
    const resume = id !== '' && this.#resumable;
    this.#relaySeq = this.#seq;
    this.#relayId = id;
    this.#broadcast({ t: 'elected', e: seat.token, s: this.#seq, resume });
    // An error listener may have closed the source (and released the lock).
    if (seat.closed) return;
    this.#host('lead', resume ? id : '');
    if (!seat.closed) for (const type of seat.types) this.#host('listen', type);
  }

  /**
   * The page is leaving (the seat's pagehide): the connection closes now,
   * and the leadership goes with the page (see the seat for why).
   */
  resign() {
    if (!this.#leading || this.#seat.closed) return;
    this.#leading = false;
    this.#host('unlead');
    this.#become('pending');
  }

  #become(role) {
    if (this.#role === role) return;
    this.#role = role;
    this.#host('role', role);
  }

  /** Sends a message to the other sources and takes it here too, by the same path. */
  #broadcast(message) {
    this.#seat.post(message);
    this.receive(message);
  }

  // What the leader's connection reports, relayed to every source.

  relayEvent(type, data, id, origin, r) {
    if (this.#seat.closed) return;
    this.#relaySeq += 1;
    this.#relayId = id;
    this.#broadcast({ t: 'event', e: this.#seat.token, s: this.#relaySeq, type, data, id, origin, r });
  }

  relayOpen() {
    if (!this.#seat.closed) this.#broadcast({ t: 'open', e: this.#seat.token });
  }

  /** An error the connection goes on from. */
  relayError(readyState, details) {
    if (!this.#seat.closed) this.#broadcast({ t: 'error', e: this.#seat.token, readyState, details });
  }

  relayPolicy(attempt, retryDelay, nextAttemptAt, lastError) {
    if (!this.#seat.closed) this.#broadcast({ t: 'policy', e: this.#seat.token, attempt, retryDelay, nextAttemptAt, lastError });
  }

  /**
   * The leader's connection failed for good: this source closes at once, and
   * the other sources hear of it before anyone else may lead (see the
   * header for why this order holds).
   */
  refuse(details) {
    const seat = this.#seat;
    if (seat.closed) return;
    const own = `${seat.members}${seat.token}`;
    const prefix = seat.members;
    const message = { t: 'error', e: seat.token, readyState: CLOSED, details };
    // The source closes, but the hand-off below owns the leadership and the channel.
    const { channel, release } = seat.detach();
    this.#host('fatal', details);
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

  /** Whether `message` comes from the leader this source knows (any, before it knows one). */
  #current(message) {
    return this.#term === null || message.e === this.#term.e;
  }

  /** A message from the channel, or this source's own broadcast. */
  receive(message) {
    const seat = this.#seat;
    const host = this.#host;
    if (seat.closed || message === null || typeof message !== 'object') return;
    switch (message.t) {
      case 'hello':
        this.#adopt(message.types);
        if (this.#leading) {
          seat.post({
            t: 'state', e: seat.token, s: this.#relaySeq, id: this.#relayId, readyState: host('state'),
            resume: this.#term?.resume ?? true, types: [...seat.types],
          });
        }
        return;
      case 'want':
        this.#adopt(message.types);
        return;
      case 'state':
        this.#adopt(message.types);
        if (!this.#leading) this.#become('follower');
        // A source that has taken no event yet joins the leader's stream where it is.
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
        if (message.e !== seat.token) this.#become('follower');
        if (host('state') !== OPEN) return;
        // A hand-over that resumes loses nothing: the stream goes on, so
        // the source waits (CONNECTING) without an error, and the new
        // leader's open is no new open. One that cannot resume may have
        // lost events: a reconnection, as the browser's own.
        this.#quiet = message.resume === true;
        if (this.#quiet) host('handover');
        else host('error', CONNECTING, {});
        return;
      case 'open':
        if (this.#current(message)) this.#open();
        return;
      case 'error':
        if (!this.#current(message)) return;
        if (message.readyState === CLOSED) {
          seat.close();
          host('fatal', message.details);
        } else {
          // Told as an error: the open that ends it is announced too.
          if (message.readyState === CONNECTING) this.#quiet = false;
          host('error', message.readyState, message.details);
        }
        return;
      case 'policy':
        if (this.#current(message)) host('policy', message.attempt, message.retryDelay, message.nextAttemptAt, message.lastError);
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
      if (typeof type === 'string' && type !== 'open' && type !== 'error' && !this.#seat.types.has(type)) {
        this.#seat.types.add(type);
        if (this.#leading) this.#host('listen', type);
      }
    }
  }

  #open() {
    if (this.#host('state') !== CONNECTING) return;
    this.#host(this.#quiet ? 'resume' : 'open');
    this.#quiet = false;
  }

  #event(message) {
    // A leader that could not resume (no ID yet, or native without
    // `lastEventIdParam`) starts a fresh stream: its events are all new.
    const fresh = this.#term !== null && message.e === this.#term.e && !this.#term.resume;
    if (!fresh && message.s <= this.#seq) return; // already taken: a replay after a hand-over
    this.#seq = message.s;
    this.#id = message.id;
    this.#host('advance', message.id, message.r);
    // The leader's events come after its `open`; one from an earlier leader
    // can arrive after the new one's `elected`, and is delivered in order.
    this.#open();
    this.#host('event', message.type, message.data, message.id, message.origin);
  }
}
