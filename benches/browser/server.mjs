// The browser benchmark's server (npm run bench): the bench page, the npm
// package (pkg/), event-source-polyfill, the Rust bench crate's output, and
// GET /stream?n=100000&size=64, a text/event-stream response that writes n
// events `data: <size bytes>\n\n` as fast as the socket takes them.
//
// After the last event the response stays open: an EventSource reconnects
// when a response ends, so each client closes once it has its n events and
// the server never causes a reconnect.
//
//   node benches/browser/server.mjs [port]   # standalone, for poking at it
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

export const HOST = '127.0.0.1';
/** The ports this benchmark may use. */
export const PORTS = [19500, 19599];
const CHUNK = 64 * 1024;

/** URL prefix -> directory, or exact path -> file. */
const ROUTES = [
  ['/pkg/', path.join(root, 'pkg')],
  ['/rust/', path.join(here, 'rust', 'pkg')],
  ['/profile-pkg/', path.join(here, 'rust', 'profile-pkg')],
];
const FILES = new Map([
  ['/', path.join(here, 'index.html')],
  ['/index.html', path.join(here, 'index.html')],
  ['/bench.js', path.join(here, 'bench.js')],
  ['/polyfill/eventsource.min.js', path.join(root, 'node_modules', 'event-source-polyfill', 'src', 'eventsource.min.js')],
]);
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};

/** The payload of every event: `size` ASCII characters. bench.js has the same function. */
export function payload(size) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
  let text = '';
  while (text.length < size) text += alphabet;
  return text.slice(0, size);
}

const bodies = new Map();
/** The whole response body for n events of `size` bytes, built once. */
function body(n, size) {
  const key = `${n}:${size}`;
  let buffer = bodies.get(key);
  if (!buffer) {
    const event = Buffer.from(`data: ${payload(size)}\n\n`);
    buffer = Buffer.alloc(event.length * n);
    for (let i = 0; i < n; i += 1) event.copy(buffer, i * event.length);
    bodies.clear(); // keep one
    bodies.set(key, buffer);
  }
  return buffer;
}

function stream(req, res, url) {
  const n = Number(url.searchParams.get('n') ?? 100_000);
  const size = Number(url.searchParams.get('size') ?? 64);
  if (!Number.isSafeInteger(n) || n < 0 || n > 10_000_000 || !Number.isSafeInteger(size) || size < 0 || size > 1 << 20) {
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad n or size\n');
    return;
  }
  const data = body(n, size);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  let offset = 0;
  let closed = false;
  req.on('close', () => {
    closed = true;
  });
  const pump = () => {
    while (!closed && offset < data.length) {
      const end = Math.min(offset + CHUNK, data.length);
      const more = res.write(data.subarray(offset, end));
      offset = end;
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
    // All written: keep the response open until the client goes away.
  };
  pump();
}

async function file(res, filePath) {
  try {
    const content = await fs.readFile(filePath);
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(filePath)] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
    });
    res.end(content);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${filePath}\n`);
  }
}

function handle(req, res) {
  const url = new URL(req.url, `http://${HOST}`);
  if (req.method !== 'GET') {
    res.writeHead(405).end();
    return;
  }
  if (url.pathname === '/stream') {
    stream(req, res, url);
    return;
  }
  if (url.pathname === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  const exact = FILES.get(url.pathname);
  if (exact) {
    file(res, exact);
    return;
  }
  for (const [prefix, dir] of ROUTES) {
    if (url.pathname.startsWith(prefix)) {
      const target = path.resolve(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
      if (!target.startsWith(dir + path.sep)) break;
      file(res, target);
      return;
    }
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, HOST);
  });
}

/**
 * Starts the server on `port`, or on the first free port of PORTS when
 * `port` is not given. Resolves to { origin, port, close() }.
 */
export async function startServer(port) {
  const server = http.createServer(handle);
  const sockets = new Set();
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const candidates = port ? [port] : Array.from({ length: PORTS[1] - PORTS[0] + 1 }, (_, i) => PORTS[0] + i);
  for (const candidate of candidates) {
    try {
      await listen(server, candidate);
      return {
        port: candidate,
        origin: `http://${HOST}:${candidate}`,
        close() {
          for (const socket of sockets) socket.destroy();
          return new Promise((resolve) => server.close(() => resolve()));
        },
      };
    } catch (error) {
      if (error.code !== 'EADDRINUSE' || candidate === candidates.at(-1)) throw error;
    }
  }
  throw new Error('no free port');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = process.argv[2] ? Number(process.argv[2]) : undefined;
  const { origin } = await startServer(port);
  console.log(`bench server on ${origin}/ (stream: ${origin}/stream?n=100000&size=64)`);
}
