// The page's options, read and checked as the DOM reads a dictionary: each
// connection takes them already converted, and a bad one throws in the
// constructor, where the page can see it.

import { perAttempt } from './request.js';

/** `EventSource.CONNECTING`, `OPEN` and `CLOSED`. */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;
/** Before the server sends `retry:`, as in Chromium. */
export const DEFAULT_RECONNECTION_TIME = 3000;
/** The reconnect policy's defaults (ms), LaunchDarkly's: see `reconnectPolicy()`. */
const DEFAULT_POLICY = { base: 1000, cap: 30000, maxAttempts: Infinity, resetAfter: 60000 };
/**
 * The fetch transport's idle timeout: three missed keep-alives of a server
 * that sends a comment every 15 s, and still one missed of one every 30 s.
 */
const DEFAULT_FETCH_IDLE_TIMEOUT = 45000;
/** How many events an iterator holds for a consumer that lags. */
const DEFAULT_CAPACITY = 16384;

export function isObject(value) {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** `url` converted and resolved against the page (or worker), as the DOM does. */
export function resolveUrl(url) {
  const text = `${url}`;
  try {
    return new URL(text, globalThis.location?.href).href;
  } catch {
    throw new DOMException(`Failed to construct 'EventSource': The URL '${text}' is invalid.`, 'SyntaxError');
  }
}

/** The fetch transport's `body`: a string or nothing. */
function body(init) {
  const value = init.body ?? undefined;
  if (value !== undefined && typeof value !== 'string') {
    throw new TypeError("EventSource: on the fetch transport, 'body' must be a string (JSON.stringify it)");
  }
  return value;
}

/**
 * Reads a fetch-transport init dictionary into what the wasm connection takes,
 * converting as the DOM would: `url` as a string (a URL object works), the
 * URL resolved against the page (SyntaxError when it cannot be), `headers` as
 * anything `new Headers()` accepts; `url`, `headers` and `body` may also be
 * functions, called before each attempt (request.js).
 */
export function fetchRequest(url, init) {
  const resolved = resolveUrl(url);
  const headers = [];
  // A function is called per attempt (request.js), instead.
  const each = (value) => (typeof value === 'function' ? undefined : value ?? undefined);
  for (const [name, value] of new Headers(each(init.headers))) headers.push(name, value);
  const text = body({ body: each(init.body) });
  return {
    url: resolved,
    withCredentials: Boolean(init.withCredentials),
    method: init.method === undefined ? 'GET' : `${init.method}`,
    headers,
    body: text,
    // Undefined lets the wasm side apply its default, 502, 503 and 504.
    retryOn: init.retryOn == null ? undefined : Array.from(init.retryOn, (status) => Number(status) & 0xffff),
    policy: reconnectPolicy(init.reconnect === undefined ? true : init.reconnect),
    idleTimeout: milliseconds(init.idleTimeout ?? DEFAULT_FETCH_IDLE_TIMEOUT, 'idleTimeout'),
    lastEventId: init.lastEventId == null ? '' : `${init.lastEventId}`,
    lastEventIdParam: init.lastEventIdParam == null ? undefined : `${init.lastEventIdParam}`,
    maxEventSize: maxEventSize(init.maxEventSize),
    ...perAttempt(init),
    endOn: endOn(init.endOn),
  };
}

/**
 * The fetch transport's `endOn`: null, or `{ kind, value, when, delivered }`,
 * where `kind` is `'data'` or `'event'` (the wasm side matches `value`) or
 * `'js'` (`when` is the page's predicate, which parsing.js calls).
 */
export function endOn(option) {
  if (option == null) return null;
  const is = (kind, value, when = null, delivered = false) => ({ kind, value, when, delivered });
  if (typeof option === 'string') return is('data', option);
  if (typeof option === 'function') return is('js', '', option);
  if (isObject(option)) {
    const delivered = Boolean(option.delivered);
    if (typeof option.when === 'function') return is('js', '', option.when, delivered);
    if (option.data != null) return is('data', `${option.data}`, null, delivered);
    if (option.event != null) return is('event', `${option.event}`, null, delivered);
  }
  throw new TypeError("EventSource: 'endOn' must be a data string, a predicate, or { data }, { event } or { when } (with an optional delivered: true)");
}

/**
 * The `maxEventSize` option in bytes: undefined for the default (32 MiB),
 * -1 for `Infinity` (no limit, as the browser's own EventSource has none).
 */
function maxEventSize(value) {
  if (value === undefined) return undefined;
  const bytes = Number(value);
  if (bytes === Infinity) return -1;
  if (!(bytes >= 0)) {
    throw new RangeError("EventSource: 'maxEventSize' must be a number of bytes, 0 or more, or Infinity");
  }
  return Math.floor(bytes);
}

/** A non-negative, finite number of milliseconds from an option. */
function milliseconds(value, name) {
  const ms = Number(value);
  if (!(ms >= 0 && ms < Infinity)) {
    throw new RangeError(`EventSource: '${name}' must be a number of milliseconds, 0 or more`);
  }
  return ms;
}

/**
 * The `reconnect` option as the policy's numbers (ms), or null for the
 * spec's fixed reconnection time: `true` takes the defaults, an object
 * overrides some of them.
 */
function reconnectPolicy(value) {
  if (value === undefined || value === null || value === false) return null;
  if (value === true) return { ...DEFAULT_POLICY };
  if (!isObject(value)) {
    throw new TypeError("EventSource: 'reconnect' must be a boolean or { base, cap, maxAttempts, resetAfter }");
  }
  const policy = {};
  for (const name of ['base', 'cap', 'resetAfter']) {
    policy[name] = milliseconds(value[name] ?? DEFAULT_POLICY[name], `reconnect.${name}`);
  }
  const maxAttempts = Number(value.maxAttempts ?? Infinity);
  if (!(maxAttempts >= 0)) throw new RangeError("EventSource: 'reconnect.maxAttempts' must be 0 or more");
  policy.maxAttempts = Math.floor(maxAttempts);
  return policy;
}

/**
 * The native transport's options, read once: the policy and the idle
 * timeout converted and checked; `param` and `lastEventId` as given
 * (connect.js converts them when the source needs them; see needsFacade).
 */
export function nativeOptions(init) {
  const { reconnect, idleTimeout, lastEventIdParam, lastEventId } = init;
  return {
    policy: reconnectPolicy(reconnect),
    idleTimeout: milliseconds(idleTimeout ?? 0, 'idleTimeout'),
    param: lastEventIdParam,
    lastEventId,
  };
}

/**
 * What makes two shared sources one stream (`url` resolved): different keys
 * never share.
 */
export function sharedKey(url, init) {
  if (init.transport !== 'fetch') return JSON.stringify([url, 'native', Boolean(init.withCredentials)]);
  const text = body(init);
  // Headers lower-cases and sorts the names, so equal header sets give one key.
  const headers = [...new Headers(init.headers ?? undefined)];
  const method = init.method === undefined ? 'GET' : `${init.method}`.toUpperCase();
  return JSON.stringify([url, 'fetch', method, headers, text ?? null, Boolean(init.withCredentials)]);
}

/** `url` with `name=id` added to its query (before any fragment). */
export function withQueryParam(url, name, id) {
  const hash = url.indexOf('#');
  const [path, fragment] = hash < 0 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  const separator = path.includes('?') ? '&' : '?';
  return `${path}${separator}${encodeURIComponent(name)}=${encodeURIComponent(id)}${fragment}`;
}

/** The event types of `events()` and `jsonEvents()`. */
export function eventTypes(types) {
  if (types === undefined) return ['message'];
  if (typeof types === 'string') return [types];
  if (Array.isArray(types) && types.every((type) => typeof type === 'string')) return [...types];
  throw new TypeError('event types must be a string or an array of strings');
}

/** The `capacity` option of `events()` and `jsonEvents()`. */
export function capacity(options) {
  const value = Number(options?.capacity ?? DEFAULT_CAPACITY);
  if (!(value >= 1)) throw new RangeError('events(): capacity must be 1 or more (Infinity for no bound)');
  return Math.floor(value);
}
