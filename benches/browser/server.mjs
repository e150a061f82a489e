// The browser benchmark's server (npm run bench): the bench page, the npm
// package (pkg/), the peers' browser bundles (dist/, built by run.mjs), the
// Rust clients' output (rust/pkg/<client>/), and:
//
// - GET /stream?n=100000&size=64: a text/event-stream response that writes n
//   events `data: <size bytes>\n\n` as fast as the socket takes them. With
//   `&holds=K1,K2,...&id=X` it stops after K1 events and waits for GET
//   /release?id=X, then goes on to K2, and so on (the memory run measures
//   the page in those pauses). After
//   the last event the response stays open: an EventSource reconnects when a
//   response ends, so each client closes once it has its n events and the
//   server never causes a reconnect.
// - GET /vector?v=I&run=R: the I-th vector of tests/data/sse-vectors.json,
//   its chunks written 10 ms apart, then the response ends. A vector with
//   several `connections` gets its k-th chunk list on the k-th request of the
//   run R (the client's reconnects); any request after the last is answered
//   204, which tells an EventSource to stop. GET /vector-wait?run=R&count=C
//   answers once C responses of run R have ended, or once no new request has
//   come for 2.5 s after the last one ended (a client that does not
//   reconnect), with { requests, ended, lastEventIds }.
//
// The routes are the bench's route set on the support server (support/server.mjs).
//
//   node benches/browser/server.mjs [port]   # standalone, for poking at it
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pkgDir, root } from '../../support/paths.mjs';
import { HOST, onlyMethods, startServer as serve } from '../../support/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export { HOST };
/** The ports this benchmark may use. */
export const PORTS = [19500, 19599];
const CHUNK = 64 * 1024;
const VECTOR_CHUNK_GAP_MS = 10;
const VECTOR_IDLE_MS = 2500;

/** The conformance vectors, each connection's chunks as Buffers. */
export const VECTORS = JSON.parse(
  (await fs.readFile(path.join(root, 'tests', 'data', 'sse-vectors.json'), 'utf8')),
).vectors.map((vector) => ({
  id: vector.id,
  expect: vector.expect,
  connections: (vector.connections ?? [vector.chunks]).map((chunks) => chunks.map(
    (chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.bytes_hex, 'hex')),
  )),
}));

/** URL prefix -> directory, or exact path -> file. */
const MOUNTS = {
  '/pkg/': pkgDir,
  '/rust/': path.join(here, 'rust', 'pkg'),
  '/dist/': path.join(here, 'dist'),
  '/profile-pkg/': path.join(here, 'rust', 'profile-pkg'),
  '/': path.join(here, 'index.html'),
  '/index.html': path.join(here, 'index.html'),
  '/bench.js': path.join(here, 'bench.js'),
  '/polyfill/eventsource.min.js': path.join(root, 'node_modules', 'event-source-polyfill', 'src', 'eventsource.min.js'),
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

function stream(req, res, { url }) {
  const n = Number(url.searchParams.get('n') ?? 100_000);
  const size = Number(url.searchParams.get('size') ?? 64);
  if (!Number.isSafeInteger(n) || n < 0 || n > 10_000_000 || !Number.isSafeInteger(size) || size < 0 || size > 1 << 20) {
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad n or size\n');
    return;
  }
  const id = url.searchParams.get('id');
  const data = body(n, size);
  const eventBytes = n > 0 ? data.length / n : 0;
  // Where the pump stops until the next /release?id= (none without `holds`).
  const holds = (url.searchParams.get('holds') ?? '').split(',').filter(Boolean)
    .map((k) => Math.min(n, Math.max(0, Number(k))) * eventBytes).filter((at) => at < data.length);
  let stop = holds.shift() ?? data.length;
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
    if (id) held.delete(id);
  });
  const pump = () => {
    while (!closed && offset < stop) {
      const end = Math.min(offset + CHUNK, stop);
      const more = res.write(data.subarray(offset, end));
      offset = end;
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
    // All written (or held): keep the response open until the client goes away.
  };
  // A keep-alive comment every 15 s while held, as a real server sends: a
  // hold can outlast a client's idle timeout (45 s on fetch) on a loaded
  // machine, and a reconnect would start this stream over. Only at a hold,
  // where the bytes written end on an event boundary. One comment line and no
  // blank line after it: @microsoft/fetch-event-source dispatches an empty
  // message at every blank line, against the spec, and would count one more.
  const keepAlive = setInterval(() => {
    if (!closed && offset === stop) res.write(': keep-alive\n');
  }, 15_000);
  req.on('close', () => clearInterval(keepAlive));
  if (id && stop < data.length) {
    held.set(id, () => {
      stop = holds.shift() ?? data.length;
      if (stop === data.length) held.delete(id);
      pump();
    });
  }
  pump();
}

/** id -> resumes a held /stream. */
const held = new Map();

function release(req, res, { url }) {
  const resume = held.get(url.searchParams.get('id'));
  resume?.();
  res.writeHead(resume ? 204 : 404, { 'Cache-Control': 'no-store' }).end();
}

/** run -> { requests, ended, lastEventIds, lastEnd, waiters } */
const runs = new Map();

function vectorRun(name) {
  let run = runs.get(name);
  if (!run) {
    run = { requests: 0, ended: 0, lastEventIds: [], lastEnd: 0, waiters: new Set() };
    runs.set(name, run);
  }
  return run;
}

function settle(run) {
  for (const waiter of [...run.waiters]) waiter();
}

function vector(req, res, { url }) {
  const v = VECTORS[Number(url.searchParams.get('v'))];
  const run = vectorRun(url.searchParams.get('run'));
  const k = run.requests;
  run.requests += 1;
  run.lastEventIds.push(req.headers['last-event-id'] ?? null);
  if (!v || k >= v.connections.length) {
    res.writeHead(v ? 204 : 404, { 'Cache-Control': 'no-store' }).end();
    settle(run);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
  res.flushHeaders();
  const chunks = v.connections[k];
  let i = 0;
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    run.ended += 1;
    run.lastEnd = Date.now();
    settle(run);
  };
  res.on('close', finish);
  const next = () => {
    if (closed) return;
    if (i === chunks.length) {
      res.end(finish);
      return;
    }
    res.write(chunks[i]);
    i += 1;
    setTimeout(next, VECTOR_CHUNK_GAP_MS);
  };
  setTimeout(next, VECTOR_CHUNK_GAP_MS);
}

function vectorWait(req, res, { url }) {
  const name = url.searchParams.get('run');
  const count = Number(url.searchParams.get('count'));
  const run = vectorRun(name);
  const begun = Date.now();
  let timer = null;
  const check = () => {
    const idle = run.ended === run.requests && Date.now() - Math.max(run.lastEnd, begun) >= VECTOR_IDLE_MS;
    if (run.ended >= count || idle) {
      run.waiters.delete(check);
      clearTimeout(timer);
      // Kept a while: the client may still reconnect, and must get a 204.
      setTimeout(() => runs.delete(name), 60_000).unref();
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify({ requests: run.requests, ended: run.ended, lastEventIds: run.lastEventIds }));
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  };
  run.waiters.add(check);
  check();
}

/** The bench's route set: GET only, as the page asks. */
export const benchRoutes = onlyMethods(['GET'], {
  '/stream': stream,
  '/release': release,
  '/vector': vector,
  '/vector-wait': vectorWait,
  '/favicon.ico': (req, res) => res.writeHead(204).end(),
});

/**
 * Starts the server on `port`, or on the first free port of PORTS when
 * `port` is not given. Resolves to { origin, port, close() }.
 */
export function startServer(port) {
  return serve({ port, ports: port ? undefined : PORTS, routes: [benchRoutes], mounts: MOUNTS });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = process.argv[2] ? Number(process.argv[2]) : undefined;
  const { origin } = await startServer(port);
  console.log(`bench server on ${origin}/ (stream: ${origin}/stream?n=100000&size=64)`);
}
