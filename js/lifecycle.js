// The page's lifecycle for unshared sources: the back/forward cache,
// `whenHidden`, `resume`. src/lifecycle.rs has the same rules;
// tests/data/lifecycle.json pins both. One set of page listeners reaches the
// connections through WeakRefs: they never keep one alive.

import { CLOSED, CONNECTING, isObject } from './options.js';

/** One source's rules: (input, live) -> actions, as in the table. */
export function rules(pause, hidden) {
  let armed = false;
  let suspended = false;
  return (input, live) => {
    const out = [];
    const arm = () => {
      if (pause && !armed) out.push('arm');
      armed ||= pause;
    };
    const disarm = () => {
      if (armed) out.push('disarm');
      armed = false;
    };
    const suspend = () => {
      if (live && !suspended) out.push('suspend');
      suspended ||= live;
    };
    const reopen = () => {
      if (suspended) out.push('reconnect');
      suspended = false;
    };
    if (!live) suspended = false;
    if (input === 'pagehide') {
      disarm();
      suspend();
    } else if (input === 'pageshow') {
      reopen();
      if (hidden && live) arm();
    } else if (input === 'hidden') {
      hidden = true;
      if (live && !suspended) arm();
    } else if (input === 'visible') {
      hidden = false;
      disarm();
      reopen();
    } else if (input === 'grace') {
      armed = false;
      if (hidden) suspend();
    } else if (input === 'resume' && live && !suspended) {
      out.push('reconnect');
    }
    return out;
  };
}

/** The grace period of `whenHidden` in ms, or null to stay connected. */
function grace(whenHidden) {
  if (whenHidden == null || whenHidden === 'stay') return null;
  const ms = isObject(whenHidden) ? Number(whenHidden.pause) : NaN;
  if (!(ms >= 0)) throw new TypeError("EventSource: 'whenHidden' must be 'stay' or { pause: milliseconds }");
  return ms;
}

/** Connection -> its entry. */
const entries = new WeakMap();
/** WeakRefs to the entries' connections, for the page listeners. */
let watched = null;
/**
 * Drops a collected connection's WeakRef from `watched`: the page listeners
 * prune only when they fire, and a page that opens sources and never hides
 * would keep one WeakRef per source it ever opened.
 */
let forget = null;

const hiddenNow = () => document.visibilityState === 'hidden';

function feed(entry, input) {
  const connection = entry.ref.deref();
  if (!connection) return;
  const live = entry.paused || connection.readyState !== CLOSED;
  for (const action of entry.step(input, live)) {
    if (action === 'arm') entry.timer = setTimeout(() => feed(entry, 'grace'), entry.grace);
    else if (action === 'disarm') clearTimeout(entry.timer);
    else if (action === 'suspend') {
      // Not the page's close: CONNECTING, no error, iterators go on.
      connection.close();
      entry.paused = true;
      if (connection.notify) {
        connection.readyState = CONNECTING;
        connection.notify();
      }
    } else {
      entry.paused = false;
      connection.reconnect();
    }
  }
}

function listen() {
  watched = new Set();
  forget = new FinalizationRegistry((ref) => watched.delete(ref));
  const each = (input) => {
    for (const ref of watched) {
      const entry = ref.deref() && entries.get(ref.deref());
      if (entry) feed(entry, input);
      else watched.delete(ref);
    }
  };
  addEventListener('pagehide', (event) => event.persisted && each('pagehide'));
  addEventListener('pageshow', (event) => event.persisted && each('pageshow'));
  document.addEventListener('resume', () => each('resume'));
  document.addEventListener('visibilitychange', () => each(hiddenNow() ? 'hidden' : 'visible'));
}

/** Puts `connection` under the page's lifecycle (in a window) and returns it. */
export function watch(connection, init) {
  let pause;
  try {
    pause = grace(isObject(init) ? init.whenHidden : undefined);
  } catch (error) {
    connection.close();
    throw error;
  }
  if (typeof document !== 'object' || typeof WeakRef !== 'function' || typeof FinalizationRegistry !== 'function') return connection;
  if (!watched) listen();
  const hidden = hiddenNow();
  const ref = new WeakRef(connection);
  const entry = { ref, step: rules(pause !== null, hidden), grace: pause, timer: 0, paused: false };
  entries.set(connection, entry);
  watched.add(ref);
  forget.register(connection, ref);
  if (hidden) feed(entry, 'hidden');
  return connection;
}

/** The page closed the source: a suspended one stays closed. */
export function closed(connection) {
  const entry = entries.get(connection);
  if (entry) entry.paused = false;
}
