// The demo's dev server: static files plus Server-Sent Events, with Node alone.
//
//   node www/server.mjs                 # http://127.0.0.1:8080/
//   PORT=9000 node www/server.mjs       # or: node www/server.mjs --port 9000
//
// Serves www/ at / and the wasm-pack output pkg/ at /pkg/, and:
//   GET /events   text/event-stream: `retry: 1000`, a `connecttime` event, an
//                 `info` event, then every interval a `message` (id: n, data:
//                 the server's time) and a `stats` event (JSON), `info` every
//                 5th interval; like every stream of support/sse.mjs, with
//                 a `: keep-alive` comment every 15 s.
//                 Numbering resumes after the browser's Last-Event-ID.
//   GET /stats    {"open": <open /events streams>, "total": <streams served>}
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

/**
 * The demo's route set: /events (a clock every `intervalMs`), /stats and
 * POST /chat.
 */
export function demoRoutes({ intervalMs = 1000 } = {}) {
  let total = 0;
  return {
    ...onlyMethods(['GET', 'HEAD'], {
      '/events': (req, res, ctx) => {
        total += 1;
        clock(req, res, ctx, intervalMs);
      },
      '/stats': (req, res, { openStreams }) => {
        reply(res, 200, JSON.stringify({ open: openStreams(), total }), 'application/json; charset=utf-8');
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

/** GET /events: the demo's clock stream. */
function clock(req, res, { openStream, openStreams }, intervalMs) {
  const { every, send } = openStream();
  // Resume the numbering where the browser left off before a reconnect.
  const last = Number.parseInt(req.headers['last-event-id'] ?? '', 10);
  let seq = Number.isFinite(last) && last >= 0 ? last : 0;
  const now = () => new Date().toISOString();
  const info = (text) => send({ event: 'info', data: text });

  send({ retry: 1000 });
  send({ event: 'connecttime', data: now() });
  // Soon after connecting, not with the first bytes, so pages see it arrive live.
  const hello = setTimeout(
    () => info(`connected; ${openStreams()} open stream(s), a message every ${intervalMs} ms`),
    Math.min(200, intervalMs),
  );
  res.on('close', () => clearTimeout(hello));
  every(intervalMs, () => {
    seq += 1;
    const time = now();
    send({ id: seq, data: time });
    send({ event: 'stats', data: JSON.stringify({ seq, time, clients: openStreams() }) });
    if (seq % INFO_EVERY === 0) info(`${openStreams()} open stream(s) at ${time}`);
  });
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
