// The connections whose events the wasm parser reads: over fetch() (the
// fetch transport), or from a stream the page owns (fromReadableStream).
// Only their state lives here, which the page's object reads at once; what
// they run (parsing.js) loads with the wasm, so that a page on the native
// transport loads neither.

import { Connection } from './connection.js';
import { errorEvent } from './facts.js';
import { CLOSED } from './options.js';
import { parsing, readyParsing } from './wasm.js';

/** Why a source could not start: the wasm did not load. */
const unloaded = (error) => ({ kind: 'wasm', message: `web-sse could not load its wasm module: ${error.message}` });

/** A connection whose events the wasm parser reads (parsing.js dispatches them). */
class ParsedConnection extends Connection {
  origin = '';
  /** The page's `endOn` predicate (fetch), called with each event; null without one. */
  endWhen = null;
  /** Whether the sentinel `endWhen` matches is dispatched before the end. */
  endDelivered = false;
  /**
   * Whether the server set `reconnectionTime` with `retry:`: a new transport
   * (`reconnect()`, a reopen after the page's lifecycle) starts from it.
   */
  retrySet = false;

  /** Ends the source for good and says why on an `error` event. */
  fail(details) {
    this.failed = true;
    this.close();
    this.dispatch(errorEvent(details, false));
  }
}

/**
 * The fetch transport: the wasm module fetches, parses and reconnects
 * (parsing.js, `openFetch`).
 */
export class FetchConnection extends ParsedConnection {
  /** The wasm side's `FetchTransport` while the connection runs, else null. */
  transport = null;
  /** The page's request functions (request.js), or null. */
  hook = null;
  /** Counts the transports started: a reconnect leaves the earlier ones' loads behind. */
  started = 0;
  #request;

  constructor(request, dispatchEvent) {
    super(request.url, request.withCredentials, dispatchEvent);
    this.#request = request;
    this.lastEventId = request.lastEventId;
    this.endWhen = request.endOn?.when ?? null;
    this.endDelivered = Boolean(request.endOn?.delivered);
    this.#start(request);
  }

  #start(request) {
    const started = ++this.started;
    // With the module ready (the page called init(), or a source loaded
    // it), the transport starts now rather than a few promise turns later.
    const run = readyParsing();
    if (run) {
      run.openFetch(this, request, started);
      return;
    }
    parsing().then((loaded) => loaded.openFetch(this, request, started), (error) => {
      if (started === this.started) this.fail(unloaded(error));
    });
  }

  listen(type) {
    super.listen(type);
    if (type === 'comment') this.transport?.comments(true);
  }

  /** A new request now, from the last event ID, whatever the state. */
  reconnect() {
    this.transport?.free();
    this.transport = null;
    this.restart();
    this.#start({ ...this.#request, lastEventId: this.lastEventId });
    this.notify();
  }

  close() {
    super.close();
    // A start still waiting for the module must not open: the lifecycle
    // suspends with close() and then reads CONNECTING.
    this.started += 1;
    this.transport?.free();
    this.transport = null;
    this.hook = null;
  }
}

/**
 * `EventSource.fromReadableStream()`: parsing.js reads the stream into the
 * wasm parser (`startStream`), once the module is loaded.
 */
export class StreamConnection extends ParsedConnection {
  reader;
  /** The wasm side's `StreamParser`, once loaded and until closed. */
  parser = null;

  constructor(stream, dispatchEvent) {
    super('about:event-stream', false, dispatchEvent);
    this.reader = stream.getReader();
    parsing().then((run) => run.startStream(this), (error) => this.fail(unloaded(error)));
  }

  close() {
    if (this.readyState === CLOSED) return;
    super.close();
    this.reader.cancel().catch(() => {});
    this.parser?.free();
    this.parser = null;
  }
}
