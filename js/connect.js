// Which connection an unshared source gets from its options: the page's
// object (eventsource.js) and a shared leader (shared.js) both open theirs here.

import { BrowserConnection, NativeConnection, isSupported } from './native.js';
import { fetchRequest, isObject, nativeOptions } from './options.js';
import { FetchConnection } from './parsed.js';

/**
 * The connection of an unshared source of `url`: the fetch transport, the
 * native one under a policy or an idle timeout, or the browser's object as
 * it is (only the options of a policy make a NativeConnection, so that the
 * defaults stay exactly native). `args` are the constructor's arguments, for
 * the browser's constructor; events go to `dispatchEvent`.
 */
export function connect(url, init, args, dispatchEvent) {
  if (isObject(init) && init.transport === 'fetch') return new FetchConnection(fetchRequest(url, init), dispatchEvent);
  if (isObject(init) && init.endOn != null) {
    // The browser's object cannot be stopped at an event, nor tell a clean end from a drop.
    throw new TypeError("EventSource: 'endOn' needs transport: 'fetch'");
  }
  if (!isSupported()) {
    throw new Error('EventSource is not available in this environment: check isSupported() first');
  }
  const options = isObject(init) ? nativeOptions(url, init) : null;
  if (options) return new NativeConnection(options, init, dispatchEvent);
  return new BrowserConnection(args, dispatchEvent);
}
