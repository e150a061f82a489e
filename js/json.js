// JSON event data: what `addJsonListener` and `jsonEvents()` share.

const dispatch = EventTarget.prototype.dispatchEvent;

/** What `parseJson` returns for data that is not JSON. */
export const SKIPPED = Symbol('skipped');

/**
 * The event's data parsed as JSON, or SKIPPED after dispatching a cancelable
 * `jsonerror` on `source` (logged to the console unless a listener cancels it,
 * like the window's `error` event).
 */
export function parseJson(source, event) {
  try {
    return JSON.parse(event.data);
  } catch (cause) {
    const message = `web-sse: the data of a "${event.type}" event is not valid JSON (${cause.message}); `
      + 'the event was skipped. Send JSON for this type, or read it as text with addEventListener';
    const error = new SyntaxError(message, { cause });
    error.eventType = event.type;
    error.data = event.data;
    const failure = new ErrorEvent('jsonerror', { message, error, cancelable: true });
    if (dispatch.call(source, failure)) console.error(error);
    return SKIPPED;
  }
}
