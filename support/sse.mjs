// Server-Sent Events on node:http, for every route set the support server
// mounts (the demo's, the test fixture's, the bench's): event framing, CORS,
// and event streams that clean up after themselves.

// Comments keep proxies and browsers from timing out an idle stream.
export const KEEP_ALIVE_MS = 15_000;

/**
 * Formats one event; multi-line data becomes several `data:` lines, and an
 * empty `id` a bare `id` field, which resets the client's last event id.
 */
export function frame({ event, id, data, retry }) {
  let text = '';
  if (retry !== undefined) text += `retry: ${retry}\n`;
  if (event) text += `event: ${event}\n`;
  if (id !== undefined) text += id === '' ? 'id\n' : `id: ${id}\n`;
  if (data !== undefined) for (const line of String(data).split('\n')) text += `data: ${line}\n`;
  return `${text}\n`;
}

/**
 * Sets the CORS headers of every response: the request's Origin when it has
 * one (required with credentials), else `*`. Cross-Origin-Resource-Policy
 * lets cross-origin isolated pages (the wasm-bindgen test runner's, with
 * COEP require-corp) read the responses too.
 */
export function cors(req, res) {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin || '*');
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('Vary', 'Origin');
}

/** Answers a CORS preflight for `methods`, allowing whatever headers it asks for. */
export function preflight(req, res, methods) {
  res.writeHead(204, {
    'Access-Control-Allow-Methods': methods,
    // Echoed: `*` is no wildcard for requests with credentials.
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || '*',
    'Access-Control-Max-Age': '600',
  });
  res.end();
}

/** A whole response, never cached. */
export function reply(res, status, body, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * A response an EventSource must refuse: a status other than 200, or a 200
 * that is not text/event-stream. The body looks like an event, so a client
 * that wrongly reads it shows it. (Node drops the body of a 204.)
 */
export function refuse(res, status, type = 'text/event-stream') {
  reply(res, status, 'data: should not arrive\n\n', type);
}

/**
 * Opens an event stream, with a keep-alive comment every KEEP_ALIVE_MS unless
 * `options.keepAlive` is false (a stalled server, for heartbeat tests).
 * `onClose` runs once, after the stream's timers stop, whether the client
 * left or the server ended or dropped the stream, so nothing outlives it.
 *
 * - send(events): writes an event (an object for frame(), or raw text) or an
 *   array of them in one write; returns how many, 0 once the stream is over.
 * - write(text): raw text that is no event (a retry line, a partial event).
 * - every(ms, fn): runs fn every ms while the stream lasts.
 * - end(): ends the response cleanly; the client reconnects.
 * - cut(): drops the connection without ending the response, once what was
 *   written has reached the socket: a network error to the client.
 */
export function eventStream(res, options, onClose) {
  if (typeof options === 'function') [options, onClose] = [{}, options];
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // Tells buffering proxies (nginx) to pass events through at once.
    'X-Accel-Buffering': 'no',
  });
  // Firefox fires `open` only once body bytes arrive, so start with a comment.
  res.write(': connected\n\n');
  const timers = [];
  let over = false;
  let closed = false;
  const stop = () => {
    over = true;
    for (const timer of timers) clearInterval(timer);
    timers.length = 0;
  };
  const close = () => {
    stop();
    if (closed) return;
    closed = true;
    onClose?.();
  };
  // 'close' fires whether the client left, we ended the response or the socket was destroyed.
  res.on('close', close);
  const write = (text) => !over && res.write(text);
  const every = (ms, fn) => !over && timers.push(setInterval(fn, ms));
  if (options?.keepAlive !== false) every(KEEP_ALIVE_MS, () => write(': keep-alive\n\n'));
  return {
    write,
    every,
    send(events) {
      if (over) return 0;
      const list = [events].flat();
      res.write(list.map((ev) => (typeof ev === 'string' ? ev : frame(ev))).join(''));
      return list.length;
    },
    end() {
      res.end();
      close();
    },
    cut() {
      if (over) return;
      stop();
      res.write('', () => setTimeout(() => res.socket?.destroy(), 10));
    },
  };
}
