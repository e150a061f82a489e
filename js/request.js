// The fetch transport's request per attempt and its replay rule, as the page
// sets them: `url`, `headers` and `body` may each be a function, called
// before every attempt; `refreshOn` and `replay`. The wasm side decides when
// to call (src/transport/request.rs) and whether to send again
// (src/transport/replay.rs); this module only reads the options.

/** The replay rules, in the order of their index on the wasm side (src/js/request.rs). */
const REPLAY = ['always', 'resume', 'never'];

const isFunction = (value) => typeof value === 'function';

/** Whether `init` builds its request per attempt (such a source is never shared). */
export function hasRequestFunctions(init) {
  return isFunction(init.url) || isFunction(init.headers) || isFunction(init.body);
}

/** A function option's body: a string or nothing, as the static one. */
function text(value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new TypeError("EventSource: the 'body' function must return a string (JSON.stringify it)");
  }
  return value;
}

/**
 * The hook the wasm side calls before each attempt, or null when no option
 * is a function: `call(attempt, lastEventId, refresh)` resolves to `[url,
 * headers, body]` (undefined: as the options say; headers as
 * `name\rvalue\r…`). What a function throws is kept as `thrown`, for the
 * failure's `cause`.
 */
function requestHook(init) {
  if (!hasRequestFunctions(init)) return null;
  const { url, headers, body } = init;
  const hook = {
    thrown: undefined,
    async call(attempt, lastEventId, refresh) {
      const context = { attempt, lastEventId, refresh };
      try {
        const [u, h, b] = await Promise.all([
          isFunction(url) ? url(context) : undefined,
          isFunction(headers) ? headers(context) : undefined,
          isFunction(body) ? body(context) : undefined,
        ]);
        const fields = [];
        if (isFunction(headers)) for (const [name, value] of new Headers(h ?? undefined)) fields.push(name, value);
        return [u == null ? undefined : `${u}`, isFunction(headers) ? fields.join('\r') : undefined, text(b)];
      } catch (error) {
        hook.thrown = error;
        throw error;
      }
    },
  };
  return hook;
}

/** The statuses of `refreshOn`, or undefined for none. */
function statuses(value) {
  return value == null ? undefined : Array.from(value, (status) => Number(status) & 0xffff);
}

/** The `replay` option as its index in REPLAY (what the wasm side takes), or undefined for the method's default. */
function replay(value) {
  if (value === undefined) return undefined;
  const index = REPLAY.indexOf(value);
  if (index < 0) throw new TypeError("EventSource: 'replay' must be 'always', 'resume' or 'never'");
  return index;
}

/**
 * What a fetch-transport init says of the request per attempt: `request`
 * (the hook, or null), `refreshOn` and `replay`. The static `headers` and
 * `body` are read as before, unless they are functions.
 */
export function perAttempt(init) {
  return { request: requestHook(init), refreshOn: statuses(init.refreshOn), replay: replay(init.replay) };
}
