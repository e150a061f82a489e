// Types for the web-sse npm package: a drop-in for the DOM's EventSource.

/**
 * Loads the wasm module once. The fetch transport needs it and loads it by
 * itself; call this to start the download early, or to say where the module
 * is (`init({ module_or_path })`) when a bundler moved it. In Node, where
 * `fetch` cannot read the package's `file:` URL, it reads the file instead.
 */
export default function init(options?: { module_or_path?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module }): Promise<unknown>;

/** `new EventSource(url, init)`'s second argument: the DOM's, plus the transport. */
export interface WebSseInit extends EventSourceInit {
  /** `'native'` (the default): the browser's EventSource. `'fetch'`: fetch() read by the wasm parser. */
  transport?: 'native' | 'fetch';
  /** Fetch transport: the request method (default `GET`). */
  method?: string;
  /**
   * Fetch transport: request headers, anything `new Headers()` accepts; or a
   * function, sync or async, called before each attempt (a token that
   * expires goes out fresh on every reconnect).
   */
  headers?: HeadersInit | ((attempt: RequestAttempt) => HeadersInit | Promise<HeadersInit>);
  /**
   * Fetch transport: the request body, sent again on each reconnect that
   * `replay` allows; or a function called before each attempt.
   */
  body?: string | ((attempt: RequestAttempt) => string | undefined | Promise<string | undefined>);
  /**
   * Fetch transport: a function, called before each attempt, that returns the
   * URL to request this time (a re-signed URL, say); resolved against the
   * page. `source.url` and the errors keep the constructor's URL.
   */
  url?: (attempt: RequestAttempt) => string | URL | Promise<string | URL>;
  /**
   * Fetch transport: statuses (401, say) that call the `url`, `headers` and
   * `body` functions again, with `refresh` set, and retry once at once: no
   * backoff and no `error` event. If the fresh request is refused too, the
   * usual rules apply. Default none.
   */
  refreshOn?: readonly number[];
  /**
   * Fetch transport: when the request may be sent again after a connection
   * ended. `'always'`; `'resume'`: only once the server has sent an event
   * ID, so that the new request resumes with `Last-Event-ID`; `'never'`.
   * Default `'always'` for GET and HEAD, `'resume'` for other methods (a chat
   * prompt is not asked twice). Where it forbids a reconnect, the source ends
   * with an error of kind `'not-replayed'`.
   */
  replay?: 'always' | 'resume' | 'never';
  /**
   * Fetch transport: statuses that reconnect instead of ending the source.
   * Default `[502, 503, 504]`; `[]` retries none.
   */
  retryOn?: readonly number[];
  /**
   * The reconnect policy: exponential backoff with full jitter. `true` takes
   * the defaults, an object overrides some; `false` keeps the spec's fixed
   * reconnection time. On by default on the fetch transport; opt-in on the
   * native one, where it acts when the browser gives up.
   */
  reconnect?: boolean | ReconnectOptions | null;
  /**
   * Milliseconds without anything arriving after which the connection counts
   * as half-open and is reopened (0 = off). Fetch: default 45000, and a
   * comment counts. Native: default 0; only events of the types that have
   * listeners count (the browser hides comments), and the emulation closes
   * and reopens the browser's object.
   */
  idleTimeout?: number;
  /**
   * The query parameter that carries the last event ID instead of the
   * `Last-Event-ID` header. Native: how a new browser object (opened by the
   * policy or the idle timeout) resumes, since it cannot send the header.
   * Fetch: avoids the CORS preflight that the header needs cross-origin, for
   * servers set up for the browser's EventSource (which answer no
   * preflight). The server must read the parameter.
   */
  lastEventIdParam?: string;
  /**
   * While the page is hidden: `'stay'` connected (the default), or
   * `{ pause: ms }`: close the connection once the page has been hidden that
   * long, and reopen it from the last event ID when it is visible again (no
   * `error`; `readyState` is CONNECTING meanwhile, listeners and iterators
   * stay). Whatever it says, the connection closes when the page enters the
   * back/forward cache and reopens when it comes back, and a page resumed
   * from frozen reconnects at once. Shared sources leave this to the leader.
   */
  whenHidden?: 'stay' | { pause: number };
  /**
   * Fetch transport: the largest event (and line) in bytes; default 32 MiB,
   * `Infinity` for no limit (the browser's own EventSource has none). A
   * larger event is skipped with a console warning; the source goes on.
   */
  maxEventSize?: number;
  /**
   * The event ID to resume from on the first request: the `Last-Event-ID`
   * header on fetch; on native, the `lastEventIdParam` query parameter.
   */
  lastEventId?: string;
  /**
   * One connection for every tab, window and worker of the origin that opens
   * the same URL, transport, method, headers, body and credentials: a leader
   * elected with Web Locks connects and relays its events over a
   * BroadcastChannel. Where either is missing the source is unshared. See
   * `EventSource.shared`.
   */
  shared?: boolean;
  /**
   * Fetch transport: the event that ends the source cleanly, as a chat
   * model's `data: [DONE]`. A string matches the data (`'[DONE]'`); `{ event }`
   * matches the type; a function (or `{ when }`) is called with each event.
   * The source then closes without reconnecting, even if the server keeps the
   * connection open, and fires `close` (`reason: 'end'`); iterators end. The
   * sentinel is not dispatched unless `delivered: true`. A response that ends
   * or drops before it is truncated: an `error` of kind `'truncated'`, then
   * the usual reconnect. Throws `TypeError` on the native transport.
   */
  endOn?: string | EndOnPredicate | { data: string; delivered?: boolean } | { event: string; delivered?: boolean } | { when: EndOnPredicate; delivered?: boolean };
}

/** An `endOn` predicate: `true` for the event that ends the source. */
export type EndOnPredicate = (event: MessageEvent<string>) => boolean;

/** `close`: the source met its `endOn` sentinel and is over, cleanly. */
export interface EventSourceCloseEvent extends Event {
  readonly reason: 'end';
}

/** What the `url`, `headers` and `body` functions are told of the attempt they build. */
export interface RequestAttempt {
  /** Requests this source sent before: 0 for the first connection. */
  readonly attempt: number;
  /** The last event ID the request carries; `''` for none. */
  readonly lastEventId: string;
  /** The `refreshOn` status that refused the previous request, when this is its retry. */
  readonly refresh?: number;
}

/**
 * The `reconnect` policy, in milliseconds: the n-th consecutive attempt
 * (counting from 0) waits a random time in `[0, min(cap, base × 2^n))`.
 */
export interface ReconnectOptions {
  /** The first ceiling (default 1000); the server's `retry:` replaces it (fetch only). */
  base?: number;
  /** The largest ceiling (default 30000). */
  cap?: number;
  /** Consecutive attempts before the source gives up for good (default `Infinity`). */
  maxAttempts?: number;
  /** How long a connection must stay open for the count to start again (default 60000). */
  resetAfter?: number;
}

/** The options of `events()` and `jsonEvents()`. */
export interface EventsOptions {
  /**
   * The most events the iterator holds for a loop that lags (default 16384;
   * `Infinity` for no bound). Past it the oldest are dropped, and the
   * iterator's `lagged` counts them.
   */
  capacity?: number;
}

/**
 * An `error` event. `willRetry` says whether the source reconnects. On the
 * fetch transport it also carries what went wrong.
 */
export interface EventSourceErrorEvent extends Event {
  readonly willRetry: boolean;
  /**
   * `'http'`, `'content-type'`, `'network'`, `'cors'` (the server answered
   * but the browser refused to share the response: fatal, as on native;
   * `headers` names the request headers the server must allow), `'request'` (the
   * request could not be made) (fetch transport); `'attempts'` (the policy gave
   * up after `attempts` attempts; `lastKind` says why the last one failed) and
   * `'timeout'` (the idle timeout, with `idleTimeout`) (both transports);
   * `'request-hook'` (a `url`, `headers` or `body` function threw or rejected:
   * fatal, `cause` is what it threw); `'not-replayed'` (the `replay` rule
   * forbade a reconnect: fatal, `replay` names the rule, `lastKind` the
   * failure, if any); `'truncated'` (the response ended before the `endOn`
   * sentinel; `lastEventId`, and `lastKind` when it dropped) (fetch transport);
   * `'end'`, `'stream'` (fromReadableStream);
   * `'wasm'` (the wasm module did not load). None on the native transport
   * without a policy: the browser does not say why.
   */
  readonly kind?: string;
  /** On a reconnect under a policy: the attempt it starts (1 for the first). */
  readonly attempt?: number;
  /** The HTTP status of a refused response (fetch transport). */
  readonly status?: number;
  readonly statusText?: string;
  readonly contentType?: string | null;
  /** Up to 1 KiB of a refused response's body (fetch transport). */
  readonly body?: string;
  /** A `'cors'` refusal: the request's headers that need a preflight, comma-separated. */
  readonly headers?: string;
  /** A `'not-replayed'` end: the rule that forbade the reconnect. */
  readonly replay?: 'resume' | 'never';
  /** `'attempts'`, `'not-replayed'` and `'truncated'`: the kind of the failure behind it. */
  readonly lastKind?: string;
  /** A `'request-hook'` failure: what the function threw. */
  readonly cause?: unknown;
  /** A `'truncated'` response: the last event ID when it ended. */
  readonly lastEventId?: string;
  readonly message?: string;
}

/**
 * Whether this global scope has the browser's `EventSource` (windows and
 * dedicated workers do). Check it before constructing one on the native
 * transport (the default).
 */
export function isSupported(): boolean;

/**
 * Whether the fetch transport (`transport: 'fetch'`) and
 * `EventSource.fromReadableStream()` can run in this global scope: they need
 * `fetch`, `ReadableStream` and WebAssembly, which browsers, workers and
 * Node 18+ have.
 */
export function isFetchSupported(): boolean;

/** The events an `EventSource` dispatches, by type. */
export interface EventSourceEventMap {
  open: Event;
  message: MessageEvent<string>;
  error: EventSourceErrorEvent;
  /**
   * `readyState`, `attempt`, `retryDelay`, `nextAttemptAt` or `lastError`
   * changed (fetch, and native with a policy or an idle timeout).
   */
  statechange: Event;
  /** `shared` changed (a source opened with `shared: true`). */
  rolechange: Event;
  /** `addJsonListener` or `jsonEvents()` met data that is not JSON. */
  jsonerror: JsonErrorEvent;
  /** The `endOn` sentinel ended the source (fetch transport). */
  close: EventSourceCloseEvent;
  /**
   * A comment line (`: keep-alive`), fetch transport only (the browser hides
   * them): `data` is the text after the colon, one leading space stripped.
   * Comments cross from the parser only once a listener for them exists.
   */
  comment: MessageEvent<string>;
}

/** The `error` of a `jsonerror` event. */
export interface JsonSyntaxError extends SyntaxError {
  /** The type of the event whose data did not parse. */
  eventType: string;
  /** The text that was received. */
  data: string;
  /** The exception `JSON.parse` threw. */
  cause: unknown;
}

/** Dispatched, cancelable, when event data is not valid JSON. */
export interface JsonErrorEvent extends ErrorEvent {
  readonly error: JsonSyntaxError;
}

/** `addJsonListener`'s listener: the parsed data, then the event. */
export type JsonListener<T = unknown> = (this: EventSource, data: T, event: MessageEvent<string>) => unknown;

/**
 * An `on*` handler. `this` is the page's object at run time; it is typed as
 * the DOM's `EventSource` (which this class extends structurally) so that this
 * class stays assignable to the DOM's type: `globalThis.EventSource =
 * EventSource` type-checks.
 */
export type EventHandler<E extends Event> = (this: globalThis.EventSource, ev: E) => any;

/**
 * A connection to a server that sends events (`text/event-stream`): the
 * browser's `EventSource`, as a real `EventTarget` whose listeners see this
 * object as `this`, `target` and `currentTarget`, plus async iteration
 * (`events()`) and JSON (`jsonEvents()`, `addJsonListener()`).
 *
 * At run time the class extends the browser's `EventSource`: on the native
 * transport without a reconnect policy, idle timeout, `lastEventIdParam` or
 * `shared`, an instance is the browser's own object, whose events are the
 * browser's (`isTrusted`); with them, or on fetch, it is a facade that
 * dispatches copies. Every instance is `instanceof` both classes.
 *
 * Installable as the page's or worker's global: the browser's constructor is
 * captured when the package loads.
 */
export declare class EventSource extends EventTarget {
  /**
   * Opens a connection to `url`, resolved against the page. Throws
   * `SyntaxError` for a URL that cannot be parsed, as the native constructor.
   */
  constructor(url: string | URL, eventSourceInitDict?: WebSseInit);

  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;

  /** `CONNECTING` (0), `OPEN` (1) or `CLOSED` (2). */
  readonly readyState: number;
  /** The URL, resolved against the page. */
  readonly url: string;
  /** Whether cross-origin requests carry cookies and HTTP authentication. */
  readonly withCredentials: boolean;
  /**
   * The last event ID the source saw. On the native transport it follows the
   * events of the types that have listeners (the browser hides the rest).
   */
  readonly lastEventId: string;
  /**
   * Milliseconds before a reconnection, as `retry:` set it. The native
   * transport cannot see `retry:` and reports its starting value, 3000.
   */
  readonly reconnectionTime: number;
  /**
   * Consecutive attempts that have not led to a stable connection (0 again
   * once one stayed open for `resetAfter`). Stays 0 on native without a policy.
   */
  readonly attempt: number;
  /** Milliseconds of the current wait before the next attempt, or null. */
  readonly retryDelay: number | null;
  /** When the next attempt starts, in ms since the epoch (`Date.now()`), or null. */
  readonly nextAttemptAt: number | null;
  /** The last failure, with its facts (`kind`, `status`, `statusText`, `contentType`, `body`), or null. */
  readonly lastError: (Error & Partial<Pick<EventSourceErrorEvent, 'kind' | 'status' | 'statusText' | 'contentType' | 'body' | 'replay' | 'lastKind' | 'cause'>>) | null;
  /**
   * This tab's part in a source opened with `shared: true`: `'pending'`
   * until the tabs have settled it (a few milliseconds), then `'leader'` (it
   * runs the connection) or `'follower'` (it receives the leader's events);
   * a `rolechange` event tells each change. `'unshared'` for any other
   * source, and where Web Locks or BroadcastChannel are missing.
   */
  readonly shared: 'pending' | 'leader' | 'follower' | 'unshared';

  /**
   * A source that reads `stream` (the bytes of a `text/event-stream`) once, as
   * the proposed `EventSource.fromReadableStream()`: for a response the page
   * fetched itself, a POST with a token, say. `url` is `about:event-stream`
   * and events come from origin `"null"`. The end of the stream, or an error
   * in it, fires one `error` and closes the source; iterators end there.
   * Throws `TypeError` when the stream is locked.
   */
  static fromReadableStream(stream: ReadableStream<Uint8Array>): EventSource;

  onopen: EventHandler<Event> | null;
  onmessage: EventHandler<MessageEvent> | null;
  onerror: EventHandler<Event> | null;

  /** Closes the connection for good; iterators end after what they hold. */
  close(): void;

  /**
   * Closes the current connection and opens a new one now, from the last
   * event ID; also revives a CLOSED source (failed, ended or closed).
   * Listeners stay attached; running iterators go on.
   */
  reconnect(): void;

  /**
   * The events of `types` (default `'message'`) in arrival order. Ends on
   * `close()`, throws when the browser gives up, unsubscribes when left.
   */
  events(types?: string | readonly string[], options?: EventsOptions): EventIterator<MessageEvent<string>>;

  /** Like `events()`, with `data` parsed as JSON; invalid data is skipped and reported as `jsonerror`. */
  jsonEvents<T = unknown>(types?: string | readonly string[], options?: EventsOptions): EventIterator<MessageEvent<T>>;

  /** Calls `listener(data, event)` with the parsed JSON data of each event of `type`. */
  addJsonListener<T = unknown>(type: string, listener: JsonListener<T>, options?: { once?: boolean }): void;

  /** Removes a listener added with `addJsonListener`. */
  removeJsonListener(type: string, listener: JsonListener<any>): void;

  addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource, ev: EventSourceEventMap[K]) => any,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: (this: EventSource, event: MessageEvent) => any,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource, ev: EventSourceEventMap[K]) => any,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: (this: EventSource, event: MessageEvent) => any,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

/**
 * An async iterator over a source's events, made by `events()` or
 * `jsonEvents()`; not constructible by hand.
 */
export declare class EventIterator<T> implements AsyncIterableIterator<T, undefined, undefined> {
  private constructor();
  /** The next event; `{ done: true }` once the source is closed; rejects when the browser gives up. */
  next(): Promise<IteratorResult<T, undefined>>;
  /** Stops and unsubscribes; a pending `next()` settles with `{ done: true }`. */
  return(): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): EventIterator<T>;
  /**
   * Events dropped so far, in total, because the loop lagged behind
   * `capacity`: the oldest go first, and the loop goes on with the newest.
   */
  readonly lagged: number;
}
