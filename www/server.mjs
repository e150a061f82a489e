// The demo's dev server: static files plus Server-Sent Events, with Node alone.
//
//   node www/server.mjs                 # http://127.0.0.1:8080/
//   PORT=9000 node www/server.mjs       # or: node www/server.mjs --port 9000
//
// Serves www/ at / and the wasm-pack output pkg/ at /pkg/, and:
//   GET /events   text/event-stream: `retry: 1000`, a `connecttime` event, an
//                 `info` event, then every interval a `message` (id: n, data:
//                 the server's time) and a `stats` event (JSON), `info` every
//                 5th interval; like every stream here (see sse.mjs), with a
//                 `: keep-alive` comment every 15 s.
//                 Numbering resumes after the browser's Last-Event-ID.
//   GET /stats    {"open": <open /events streams>, "total": <streams served>}
//   POST /chat    a streamed completion for the fromReadableStream panel: with
//                 `Authorization: Bearer demo-token` and {"prompt": "..."},
//                 a `token` event per word every 60 ms, then `done`
//   /test/...     small fixed streams for the JS API tests (see testRoutes).
// Every response carries CORS headers, so pages on other origins (the
// framework examples, a Vite dev server) can use the streams, with
// credentials too.
//
// Import it to run it inside a test:
//   const server = await startServer({ port: 18080, intervalMs: 100 });
//   ... server.url, server.openStreams() ...
//   await server.close();

import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cors, eventStream, preflight, refuse, reply } from './sse.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const INFO_EVERY = 5;

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Starts the server. `staticDirs` maps URL prefixes ending in `/` to
 * directories, added to (or replacing) the defaults `/` → www/ and
 * `/pkg/` → pkg/. Resolves once it listens.
 *
 * @returns {Promise<{ url: string, close(): Promise<void>, openStreams(): number }>}
 */
export function startServer({ host = '127.0.0.1', port = 8080, staticDirs = {}, intervalMs = 1000 } = {}) {
  const mounts = Object.entries({ '/': path.join(here), '/pkg/': path.join(root, 'pkg'), ...staticDirs })
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, path.resolve(dir)])
    // Longest prefix first, so /pkg/ wins over /.
    .sort((a, b) => b[0].length - a[0].length);
  const streams = new Set();
  let total = 0;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    cors(req, res);
    if (req.method === 'OPTIONS') {
      preflight(req, res, 'GET, POST, OPTIONS');
      return;
    }
    if (url.pathname === '/chat') {
      chat(req, res, streams);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD, OPTIONS' }).end();
      return;
    }
    if (url.pathname === '/events') {
      clock(req, res, intervalMs, streams, () => (total += 1));
    } else if (url.pathname === '/stats') {
      reply(res, 200, JSON.stringify({ open: streams.size, total }), 'application/json; charset=utf-8');
    } else if (url.pathname.startsWith('/test/')) {
      testRoutes(url, req, res, streams);
    } else {
      serveFile(url.pathname, mounts, req, res);
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${shownHost}:${address.port}/`,
        openStreams: () => streams.size,
        close: () =>
          new Promise((done) => {
            // Streams never end on their own: end them, or close() would wait forever.
            for (const stream of streams) stream.end();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Opens an event stream (see eventStream), tracked in `streams` while it lasts. */
function openStream(req, res, streams) {
  const stream = eventStream(res, () => streams.delete(stream));
  streams.add(stream);
  return stream;
}

/** GET /events: the demo's clock stream. */
function clock(req, res, intervalMs, streams, countStream) {
  countStream();
  const { every, send } = openStream(req, res, streams);
  // Resume the numbering where the browser left off before a reconnect.
  const last = Number.parseInt(req.headers['last-event-id'] ?? '', 10);
  let seq = Number.isFinite(last) && last >= 0 ? last : 0;
  const now = () => new Date().toISOString();
  const info = (text) => send({ event: 'info', data: text });

  send({ retry: 1000 });
  send({ event: 'connecttime', data: now() });
  // Soon after connecting, not with the first bytes, so pages see it arrive live.
  const hello = setTimeout(
    () => info(`connected; ${streams.size} open stream(s), a message every ${intervalMs} ms`),
    Math.min(200, intervalMs),
  );
  res.on('close', () => clearTimeout(hello));
  every(intervalMs, () => {
    seq += 1;
    const time = now();
    send({ id: seq, data: time });
    send({ event: 'stats', data: JSON.stringify({ seq, time, clients: streams.size }) });
    if (seq % INFO_EVERY === 0) info(`${streams.size} open stream(s) at ${time}`);
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
function chat(req, res, streams) {
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
    const stream = eventStream(res, () => streams.delete(res));
    streams.add(res);
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

/**
 * Fixed streams for the JS API tests (tests/e2e/js-api.test.mjs).
 *   /test/script    a known sequence of events, then a `tick` message every 100 ms
 *   /test/ticks     `message` with an increasing id every ?ms= (default 50) ms;
 *                   ?retry= sets the reconnection time (default 500), and
 *                   ?end=N ends the response after N messages, so that the
 *                   browser reconnects
 *   /test/status    answers ?code= (default 500): the browser gives up
 */
function testRoutes(url, req, res, streams) {
  const route = url.pathname.slice('/test/'.length);
  if (route === 'status') {
    refuse(res, Number.parseInt(url.searchParams.get('code') ?? '500', 10), 'text/plain; charset=utf-8');
  } else if (route === 'script') {
    const { every, send } = openStream(req, res, streams);
    send({ retry: 500 });
    send({ id: 'a1', data: 'first' });
    send({ event: 'info', data: 'an info event' });
    send({ event: 'stats', data: '{"seq":1,"ok":true}' });
    send({ event: 'stats', data: '{not json' });
    send({ event: 'stats', data: '[2,3]' });
    send({ id: 'a2', data: 'second\nline' });
    every(100, () => send({ data: 'tick' }));
  } else if (route === 'ticks') {
    const ms = Math.max(10, Number.parseInt(url.searchParams.get('ms') ?? '50', 10) || 50);
    const end = Number.parseInt(url.searchParams.get('end') ?? '', 10);
    const retry = Number.parseInt(url.searchParams.get('retry') ?? '500', 10);
    const { every, send, end: endStream } = openStream(req, res, streams);
    let n = 0;
    send({ retry });
    every(ms, () => {
      n += 1;
      send({ id: n, data: `tick ${n}` });
      if (n === end) endStream();
    });
  } else {
    reply(res, 404, 'unknown test route');
  }
}

async function serveFile(pathname, mounts, req, res) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    res.writeHead(400).end('bad path');
    return;
  }
  const mount = mounts.find(([prefix]) => decoded.startsWith(prefix) || `${decoded}/` === prefix);
  if (!mount) {
    res.writeHead(404).end('not found');
    return;
  }
  const [prefix, dir] = mount;
  let file = path.join(dir, decoded.slice(prefix.length));
  // path.join normalises "..": anything outside the mount is refused.
  if (file !== dir && !file.startsWith(dir + path.sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  try {
    if ((await fs.stat(file)).isDirectory()) file = path.join(file, 'index.html');
    const body = await fs.readFile(file);
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    const hint = prefix === '/pkg/' ? ' (build the package first: npm start, or wasm-pack build --target web)' : '';
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found${hint}`);
  }
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
