// The one HTTP server of the demo, the tests and the benches, on node:http
// alone: route sets mounted on a static file server with one MIME table.
//
//   const server = await startServer({
//     port: 18080,                          // or ports: [19500, 19599], the first free one
//     routes: [demoRoutes(), ...],          // route sets, see below
//     mounts: { '/': dir, '/pkg/': dir, '/bench.js': file },
//   });
//   server.url, server.origin, server.port, server.openStreams()
//   await server.close();
//
// A route set maps exact paths to handlers `(req, res, ctx)`, where ctx holds
// `url`, `query` (its search parameters), `openStream(options, onClose)` (an
// event stream, see sse.mjs, that the server counts while it lasts and ends
// on close()) and `openStreams()` (how many are open). A route answers every
// method unless onlyMethods() wraps it; files answer GET and HEAD. A mount
// ending in `/` serves a directory (index.html for a directory), any other an
// exact file. Every response carries CORS headers, and preflights are
// answered, so pages on other origins can use the streams, with credentials.

import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { cors, eventStream, preflight, reply } from './sse.mjs';

/** The host every server of the tests and benches listens on. */
export const HOST = '127.0.0.1';

export const MIME = {
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

/** The routes of `set`, answering 405 to a method not in `methods`. */
export function onlyMethods(methods, set) {
  const allow = [...methods, 'OPTIONS'].join(', ');
  return Object.fromEntries(Object.entries(set).map(([route, handle]) => [route, (req, res, ctx) => {
    if (methods.includes(req.method)) return handle(req, res, ctx);
    res.writeHead(405, { allow }).end();
    return undefined;
  }]));
}

/**
 * Starts a server; resolves once it listens on `port` (0: any free port), or
 * on the first free port of the range `ports`. `preflight` lists the methods
 * a CORS preflight allows.
 *
 * @returns {Promise<{ url: string, origin: string, port: number, openStreams(): number, close(): Promise<void> }>}
 */
export async function startServer({
  host = HOST, port = 0, ports, routes = [], mounts = {}, preflight: methods = 'GET, POST, OPTIONS',
} = {}) {
  const table = new Map();
  for (const [route, handle] of routes.flatMap((set) => Object.entries(set))) {
    if (table.has(route)) throw new Error(`two route sets serve ${route}`);
    table.set(route, handle);
  }
  const files = staticFiles(mounts);
  const streams = new Set();
  const openStreams = () => streams.size;

  const server = http.createServer({ noDelay: true }, (req, res) => {
    const url = new URL(req.url, `http://${HOST}`);
    // A test can make any route a server without CORS (cors=none) or one set
    // up for the browser's EventSource, which answers no preflight
    // (cors=origin).
    const corsMode = url.searchParams.get('cors');
    if (corsMode !== 'none') cors(req, res);
    // Not a CORS header: it lets a cross-origin-isolated page (the Rust test
    // runner's) see the response in no-cors mode, as the fetch transport's
    // CORS probe must.
    else res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      if (corsMode === 'none' || corsMode === 'origin') res.writeHead(204).end();
      else preflight(req, res, methods);
      return;
    }
    const handle = table.get(url.pathname);
    if (!handle) {
      files(url.pathname, req, res);
      return;
    }
    const openStream = (options, onClose) => {
      const stream = eventStream(res, options, () => {
        streams.delete(stream);
        onClose?.();
      });
      streams.add(stream);
      return stream;
    };
    const fail = (error) => {
      console.error(`server error on ${url.pathname}:`, error);
      if (!res.headersSent) reply(res, 500, 'server error\n');
      else res.end();
    };
    try {
      handle(req, res, { url, query: url.searchParams, openStream, openStreams })?.catch?.(fail);
    } catch (error) {
      fail(error);
    }
  });
  // Event streams stay open for a whole test or run: no idle time-outs.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 5000;

  const candidates = ports ? Array.from({ length: ports[1] - ports[0] + 1 }, (_, i) => ports[0] + i) : [port];
  for (const candidate of candidates) {
    try {
      await listen(server, candidate, host);
      break;
    } catch (error) {
      if (error.code !== 'EADDRINUSE' || candidate === candidates.at(-1)) throw error;
    }
  }
  const address = server.address();
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${shownHost}:${address.port}`;
  return {
    url: `${origin}/`,
    origin,
    port: address.port,
    openStreams,
    close: () => new Promise((done) => {
      // Streams never end on their own: end them, or close() would wait forever.
      for (const stream of streams) stream.end();
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}

function listen(server, port, host) {
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
    server.listen(port, host);
  });
}

/** The static part of a server: `(pathname, req, res)` answers from `mounts`. */
function staticFiles(mounts) {
  const exact = new Map();
  const dirs = [];
  for (const [prefix, target] of Object.entries(mounts)) {
    if (prefix.endsWith('/')) dirs.push([prefix, path.resolve(target)]);
    else exact.set(prefix, path.resolve(target));
  }
  // Longest prefix first, so /pkg/ wins over /.
  dirs.sort((a, b) => b[0].length - a[0].length);

  return async (pathname, req, res) => {
    let decoded;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      reply(res, 400, 'bad path\n');
      return;
    }
    let file = exact.get(decoded);
    let hint = '';
    if (!file) {
      const mount = dirs.find(([prefix]) => decoded.startsWith(prefix) || `${decoded}/` === prefix);
      if (!mount) {
        reply(res, 404, `not found: ${decoded}\n`);
        return;
      }
      const [prefix, dir] = mount;
      file = path.join(dir, decoded.slice(prefix.length));
      // path.join normalises "..": anything outside the mount is refused.
      if (file !== dir && !file.startsWith(dir + path.sep)) {
        reply(res, 403, 'forbidden\n');
        return;
      }
      if (prefix === '/pkg/') hint = ' (build the package first: npm run build)';
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD, OPTIONS' }).end();
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
      reply(res, 404, `not found: ${decoded}${hint}\n`);
    }
  };
}
