// Async iteration over a source's events: `events()` and `jsonEvents()`.

import { failure } from './facts.js';
import { SKIPPED, parseJson } from './json.js';
import { CLOSED } from './options.js';

// Module-private: only `iterate()` makes iterators.
const internal = Symbol('web-sse internal');
/** Live iterators by source: `close()` ends them (`endIterators`). */
const live = new WeakMap();

/** A new iterator over `source`'s events of `types` (JSON data when `json`). */
export function iterate(source, types, json, capacity) {
  return new EventIterator(internal, source, types, json, capacity);
}

/** Ends every live iterator of `source`, after the events each one holds. */
export function endIterators(source) {
  const ends = live.get(source);
  if (ends) for (const end of [...ends]) end();
}

/**
 * An async iterator over a source's events, made by `events()` or
 * `jsonEvents()`. `for await` uses it; leaving the loop calls `return()`,
 * which unsubscribes.
 */
export class EventIterator {
  #source;
  #types;
  /** Events not yet taken by `next()`. */
  #queue = [];
  /** `next()` calls waiting for an event: their resolve/reject pairs. */
  #waiting = [];
  /** The connection failure to throw once the queue is drained. */
  #failure = null;
  /** The most events `#queue` holds. */
  #capacity;
  #lagged = 0;
  #ended = false;
  #onEvent;
  #onError;
  #end;

  constructor(key, source, types, json, capacity) {
    if (key !== internal) throw new TypeError('EventIterator is made by EventSource.events() or jsonEvents()');
    this.#source = source;
    this.#capacity = capacity;
    this.#types = types;
    this.#end = () => this.#finish(null);
    if (source.readyState === CLOSED) {
      this.#ended = true;
      return;
    }
    let ends = live.get(source);
    if (!ends) {
      ends = new Set();
      live.set(source, ends);
    }
    ends.add(this.#end);
    this.#onEvent = (event) => {
      if (!json) {
        this.#push(event);
        return;
      }
      const data = parseJson(source, event);
      if (data === SKIPPED) return;
      this.#push(new MessageEvent(event.type, { data, lastEventId: event.lastEventId, origin: event.origin }));
    };
    this.#onError = (event) => {
      if (source.readyState !== CLOSED) return; // reconnecting
      // The end of a stream from fromReadableStream() is the end, no failure.
      this.#finish(event.kind === 'end' ? null : failure(source.url, event));
    };
    for (const type of types) source.addEventListener(type, this.#onEvent);
    source.addEventListener('error', this.#onError);
    // The clean end at the `endOn` sentinel.
    source.addEventListener('close', this.#end);
  }

  /** The next event, `{ done: true }` once the source is closed; rejects when the browser gives up. */
  next() {
    if (this.#queue.length > 0) return Promise.resolve({ value: this.#queue.shift(), done: false });
    if (this.#failure) {
      const failure = this.#failure;
      this.#failure = null;
      return Promise.reject(failure);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Stops the iteration and unsubscribes; a pending `next()` settles with `{ done: true }`. */
  return() {
    this.#queue.length = 0;
    this.#failure = null;
    this.#finish(null);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  /**
   * How many events were dropped so far, in total, because the loop lagged:
   * with `capacity` events waiting, each new one pushes out the oldest, as
   * Rust's stream does after its `Err(Lagged { skipped })`.
   */
  get lagged() {
    return this.#lagged;
  }

  #push(event) {
    const waiter = this.#waiting.shift();
    if (waiter) {
      waiter.resolve({ value: event, done: false });
      return;
    }
    // Keep the newest: a consumer that lags is better served by what is
    // current than by a backlog that grows without end.
    if (this.#queue.length >= this.#capacity) {
      this.#queue.shift();
      this.#lagged += 1;
    }
    this.#queue.push(event);
  }

  // Unsubscribes and settles the waiting calls. Buffered events stay for
  // `next()`; the failure, if any, comes after them.
  #finish(failure) {
    if (this.#ended) return;
    this.#ended = true;
    const source = this.#source;
    live.get(source)?.delete(this.#end);
    for (const type of this.#types) source.removeEventListener(type, this.#onEvent);
    source.removeEventListener('error', this.#onError);
    source.removeEventListener('close', this.#end);
    const waiting = this.#waiting.splice(0);
    if (failure && waiting.length > 0) {
      waiting.shift().reject(failure);
    } else {
      this.#failure = failure;
    }
    for (const waiter of waiting) waiter.resolve({ value: undefined, done: true });
  }
}
