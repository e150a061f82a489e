// The facts of a failure that a page sees, on an `error` event and on
// `lastError`: `kind`, `status`, `statusText`, `contentType`, `body`,
// `message`, `attempt`, the kind's own (`headers`; `idleTimeout`; `attempts` and
// `lastKind`; `limit`), and the event's `willRetry`. The wasm side writes
// them (src/facts.rs, one mapping for every Rust error) and this module is
// the only JS that reads or copies them: it passes on whatever facts it is
// given, so no list here can drift from that mapping.

/** The `error` event: the failure's facts, and whether the source reconnects. */
export function errorEvent(details, willRetry) {
  return Object.assign(new Event('error'), details, { willRetry });
}

/**
 * The facts an `error` event or an Error carries, as a plain object that a
 * channel can carry: its own plain values, and an Error's message. Not
 * `willRetry`, which belongs to one event, nor an event's `isTrusted`.
 */
export function facts(from) {
  const out = from instanceof Error ? { message: `${from.message}` } : {};
  for (const [name, value] of Object.entries(from)) {
    if (name !== 'willRetry' && name !== 'isTrusted' && (value === null || (typeof value !== 'object' && typeof value !== 'function'))) {
      out[name] = value;
    }
  }
  return out;
}

/** The Error that `facts()` described. */
export function restore(plain) {
  return Object.assign(new Error(plain.message), plain);
}

/**
 * Why a connection failed, as an Error carrying the error event's facts:
 * what an iterator throws when the source gives up (`final`), and
 * `lastError`. Its message says what happened and what to do; the event's
 * own `message`, if any, is part of it.
 */
export function failure(url, event, final = true) {
  let reason;
  if (event.kind === 'http') {
    reason = `the server answered HTTP ${event.status} ${event.statusText}`.trimEnd();
  } else if (event.kind === 'content-type') {
    reason = `the server answered with Content-Type ${event.contentType ?? '(none)'}, not text/event-stream`;
  } else if (event.kind === 'cors') {
    reason = 'the server answered, but the browser refused to share the response with this page (CORS): '
      + 'the server must send Access-Control-Allow-Origin for this origin'
      + (event.headers ? ` and allow the request headers (Access-Control-Allow-Headers: ${event.headers})` : '')
      + (/last-event-id/i.test(event.headers ?? '') ? ', or set lastEventIdParam to send the ID in the query' : '');
  } else if (event.kind === 'request-hook') {
    reason = `a url, headers or body function failed: ${event.message}; make it succeed (fetch the token again, say)`;
  } else if (event.kind === 'not-replayed') {
    reason = event.replay === 'never'
      ? "the connection ended, and replay is 'never', so the request was not sent again"
      : 'the connection ended before the server sent an event ID, so the request was not sent again: '
        + "replaying it from the start could repeat what the server did; make the server send id: lines, or set replay: 'always' if the request is safe to repeat";
  } else if (event.kind === 'truncated') {
    reason = `the response ended before its endOn sentinel, after event ID "${event.lastEventId ?? ''}"`
      + `${event.lastKind ? ` (${event.lastKind}${event.message ? `: ${event.message}` : ''})` : ''}`;
  } else if (event.kind === 'timeout') {
    reason = `nothing arrived for the idle timeout${event.message ? `: ${event.message}` : ''}`;
  } else if (event.message) {
    reason = event.message;
  } else {
    reason = 'a non-200 status, a wrong Content-Type, a CORS refusal or a network error';
  }
  const error = new Error(final
    ? `the event source at ${url} failed and will not reconnect (${reason}); check the server's `
      + 'response in the network panel, then open a new EventSource'
    : `the event source at ${url} failed (${reason}); it reconnects`);
  const { message, ...rest } = facts(event);
  // A thrown value is no plain fact, but the page wants it as it was.
  if (event.cause !== undefined) rest.cause = event.cause;
  return Object.assign(error, rest);
}
