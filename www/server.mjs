// The demo's dev server: static files plus Server-Sent Events, with Node alone.
//
//   node www/server.mjs                 # http://127.0.0.1:8080/
//   PORT=9000 node www/server.mjs       # or: node www/server.mjs --port 9000
//
// Serves www/ at / and the wasm-pack output pkg/ at /pkg/, and:
//   GET /events   text/event-stream: `retry: 1000`, a `connecttime` event, an
//                 `info` event, then the server's clock: every interval a
//                 `message` (id: n, data: the time of tick n) and a `stats`
//                 event (JSON), `info` every 5th tick; like every stream of
//                 support/sse.mjs, with a `: keep-alive` comment every 15 s.
//                 The clock ticks whether anyone listens or not, so a client
//                 that reconnects with a last event ID (the Last-Event-ID
//                 header, or ?lastEventId=n, which a new native EventSource
//                 must use) first gets the ticks it missed: up to 1000.
//   GET /stats    {"open": <open streams>, "events": <open /events streams>,
//                 "total": <streams served>}
//   POST /drop    cuts every open /events stream (a network error to the
//                 clients, which reconnect); with ?refuse=n the next n
//                 /events requests are refused with a 503 first
//   POST /chat    a streamed completion for the fromReadableStream panel: with
//                 `Authorization: Bearer demo-token` and {"prompt": "..."},
//                 a `token` event per word every 60 ms, then `done`
// The server is support/server.mjs with the demo's route set (demoRoutes);
// every response carries CORS headers, so pages on other origins (the
// framework examples, a Vite dev server) can use the streams, with
// credentials too.
//
// Import it to run it inside a test:
//   const server = await startServer({ port: 18080, intervalMs: 100 });
//   ... server.url, server.openStreams() ...
//   await server.close();

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pkgDir } from '../support/paths.mjs';
import { HOST, onlyMethods, startServer as serve } from '../support/server.mjs';
import { reply } from '../support/sse.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const INFO_EVERY = 5;
/** The most missed ticks a resuming client is sent; older ones are gone. */
const REPLAY_LIMIT = 1000;
/** Timers fire this late past a tick, so the tick has surely happened. */
const TICK_SLACK_MS = 5;

/**
 * The demo's route set: /events (a clock that ticks every `intervalMs`),
 * /stats, POST /drop and POST /chat.
 */
export function demoRoutes({ intervalMs = 1000 } = {}) {
  let total = 0;
  let refusals = 0;
  const clocks = new Set();
  // Tick n happens at epoch + n × intervalMs, listened to or not: what a
  // dropped client misses, it can ask for again.
  const epoch = Date.now();
  const ticks = {
    intervalMs,
    latest: () => Math.floor((Date.now() - epoch) / intervalMs),
    time: (n) => new Date(epoch + n * intervalMs).toISOString(),
    nextAt: (n) => epoch + n * intervalMs,
  };
  return {
    ...onlyMethods(['GET', 'HEAD'], {
      '/events': (req, res, ctx) => {
        if (refusals > 0) {
          refusals -= 1;
          reply(res, 503, 'refused by POST /drop?refuse=n\n');
          return;
        }
        total += 1;
        const stream = clock(req, res, ctx, ticks, () => clocks.delete(stream));
        clocks.add(stream);
      },
      '/stats': (req, res, { openStreams }) => {
        reply(res, 200, JSON.stringify({ open: openStreams(), events: clocks.size, total }), 'application/json; charset=utf-8');
      },
    }),
    ...onlyMethods(['POST'], {
      '/drop': (req, res, { query }) => {
        const count = Number.parseInt(query.get('refuse') ?? '0', 10);
        refusals = Number.isInteger(count) && count > 0 ? Math.min(count, 10) : 0;
        const dropped = clocks.size;
        for (const stream of clocks) stream.cut();
        reply(res, 200, JSON.stringify({ dropped, refuse: refusals }), 'application/json; charset=utf-8');
      },
    }),
    '/chat': chat,
  };
}

/**
 * Starts the server. `staticDirs` maps URL prefixes ending in `/` to
 * directories, added to (or replacing) the defaults `/` → www/ and
 * `/pkg/` → pkg/. Resolves once it listens.
 *
 * @returns {Promise<{ url: string, close(): Promise<void>, openStreams(): number }>}
 */
export function startServer({ host = HOST, port = 8080, staticDirs = {}, intervalMs = 1000 } = {}) {
  const mounts = Object.fromEntries(Object.entries({ '/': here, '/pkg/': pkgDir, ...staticDirs })
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, dir]));
  return serve({ host, port, routes: [demoRoutes({ intervalMs })], mounts });
}

/** The ID a client resumes from: the Last-Event-ID header, else ?lastEventId. */
function resumeFrom(req, query) {
  const text = req.headers['last-event-id'] ?? query.get('lastEventId') ?? '';
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** GET /events: the demo's clock stream; returns the stream. */
function clock(req, res, { query, openStream, openStreams }, ticks, onClose) {
  let timer;
  const stream = openStream({}, () => {
    clearTimeout(timer);
    onClose();
  });
  const info = (text) => stream.send({ event: 'info', data: text });
  const latest = ticks.latest();
  const last = resumeFrom(req, query);
  // A client from before a restart of the server (an ID ahead of the clock)
  // starts afresh, as one without an ID does.
  let sent = last !== null && last <= latest ? Math.max(last, latest - REPLAY_LIMIT) : latest;

  const flush = () => {
    const now = ticks.latest();
    const events = [];
    for (let n = sent + 1; n <= now; n += 1) events.push({ id: n, data: ticks.time(n) });
    if (now > sent) {
      events.push({ event: 'stats', data: JSON.stringify({ seq: now, time: ticks.time(now), clients: openStreams() }) });
      if (now % INFO_EVERY === 0) events.push({ event: 'info', data: `${openStreams()} open stream(s) at ${ticks.time(now)}` });
      sent = now;
      stream.send(events);
    }
    timer = setTimeout(flush, ticks.nextAt(now + 1) - Date.now() + TICK_SLACK_MS);
  };

  stream.send([{ retry: 1000 }, { event: 'connecttime', data: new Date().toISOString() }]);
  // Soon after connecting, not with the first bytes, so pages see it arrive live.
  const hello = setTimeout(
    () => info(`connected; ${openStreams()} open stream(s), a message every ${ticks.intervalMs} ms`),
    Math.min(200, ticks.intervalMs),
  );
  res.on('close', () => clearTimeout(hello));
  flush();
  return stream;
}

/** The token the demo's chat panel sends; anything else is refused. */
export const CHAT_TOKEN = 'demo-token';
const CHAT_TOKEN_MS = 60;

/**
 * POST /chat: a streamed completion, the way chat-model APIs answer. The
 * request carries `Authorization: Bearer demo-token` and a JSON body
 * `{ "prompt": "..." }`; the answer is a text/event-stream of `token` events
 * (JSON `{ "text": "..." }`), one every 60 ms, then a `done` event, then the
 * end of the response. A missing token is a 401 with a JSON body.
 */
function chat(req, res, { openStream }) {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST, OPTIONS' }).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (part) => {
    body += part;
  });
  req.on('end', () => {
    if (req.headers.authorization !== `Bearer ${CHAT_TOKEN}`) {
      reply(res, 401, JSON.stringify({ error: 'missing or wrong bearer token' }), 'application/json');
      return;
    }
    let prompt = '';
    try {
      prompt = String(JSON.parse(body).prompt ?? '');
    } catch {
      reply(res, 400, JSON.stringify({ error: 'the body must be JSON: {"prompt": "..."}' }), 'application/json');
      return;
    }
    const words = `You asked: “${prompt.slice(0, 200)}”. Each word of this answer is one event of a POST response, read by EventSource.fromReadableStream as it arrives.`.split(' ');
    const stream = openStream();
    let next = 0;
    stream.every(CHAT_TOKEN_MS, () => {
      if (next < words.length) {
        stream.send({ event: 'token', id: String(next + 1), data: JSON.stringify({ text: `${next ? ' ' : ''}${words[next]}` }) });
        next += 1;
      } else {
        stream.send({ event: 'done', data: JSON.stringify({ tokens: words.length }) });
        stream.end();
      }
    });
  });
}

function portFromArgs() {
  const args = process.argv.slice(2);
  const i = args.indexOf('--port');
  if (i >= 0 && args[i + 1]) return Number(args[i + 1]);
  const inline = args.find((arg) => arg.startsWith('--port='));
  if (inline) return Number(inline.slice('--port='.length));
  return process.env.PORT ? Number(process.env.PORT) : 8080;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = portFromArgs();
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid port ${port}: pass --port N or PORT=N with 0 <= N <= 65535`);
    process.exit(2);
  }
  startServer({ port }).then(
    (server) => {
      console.log(`web-sse demo: ${server.url}  (Ctrl-C to stop)`);
      const stop = () => server.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (error) => {
      const hint = error.code === 'EADDRINUSE' ? `: port ${port} is in use; pass --port N or PORT=N` : '';
      console.error(`web-sse demo: cannot listen${hint} (${error.message})`);
      process.exit(1);
    },
  );
}
