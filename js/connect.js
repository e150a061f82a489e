// Which connection an unshared source gets from its options: the page's
// object (eventsource.js) and a shared leader (shared.js) both open theirs here.

import { BrowserConnection, NativeConnection, isSupported } from './native.js';
import { fetchRequest, isObject, nativeOptions, resolveUrl } from './options.js';
import { FetchConnection } from './parsed.js';

/**
 * Whether a native source's options need the page's object to outlive one
 * browser object (a facade over it, NativeConnection): the reconnect policy,
 * the idle timeout and `lastEventIdParam` each open a new browser object.
 * Without them the page's object is the browser's own (OwnConnection): its
 * events are the browser's, trusted and never copied. Options that need the
 * facade are added here, and only here.
 */
export function needsFacade(options) {
  return options.policy !== null || options.idleTimeout > 0 || options.param != null;
}

/**
 * The connection of an unshared source of `url`: the fetch transport, or the
 * native one under a policy or an idle timeout; or null where the browser's
 * object as it is does (see needsFacade): the page's object is then the
 * browser's own, which the caller constructs from `args`. Events go to
 * `dispatchEvent`.
 */
export function facadeConnection(url, init, dispatchEvent) {
  if (isObject(init) && init.transport === 'fetch') return new FetchConnection(fetchRequest(url, init), dispatchEvent);
  if (isObject(init) && init.endOn != null) {
    // The browser's object cannot be stopped at an event, nor tell a clean end from a drop.
    throw new TypeError("EventSource: 'endOn' needs transport: 'fetch'");
  }
  if (!isSupported()) {
    throw new Error('EventSource is not available in this environment: check isSupported() first');
  }
  const options = isObject(init) ? nativeOptions(init) : null;
  if (!options || !needsFacade(options)) return null;
  // Resolved only here, so that a page's `toString` runs once, in the
  // browser's constructor, when the browser's object is the page's.
  options.url = resolveUrl(url);
  options.param = options.param == null ? null : `${options.param}`;
  options.lastEventId = options.lastEventId == null ? '' : `${options.lastEventId}`;
  return new NativeConnection(options, init, dispatchEvent);
}

/**
 * A connection for `url` in every case: the shared leader's (shared-host.js)
 * holds the browser's object as it is in a BrowserConnection, constructed
 * from `args`, the constructor's arguments.
 */
export function connect(url, init, args, dispatchEvent) {
  return facadeConnection(url, init, dispatchEvent) ?? new BrowserConnection(args, dispatchEvent);
}
