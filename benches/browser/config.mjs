// What the bench runs and where things are: the clients, the measures, the
// directories the builds write into.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const rustDir = path.join(here, 'rust');
export const targetDir = path.join(rustDir, 'target');
export const distDir = path.join(here, 'dist');
export const docsDir = path.join(root, 'docs');

/** The pause between two timed runs of a full run. */
export const PAUSE_MS = 300;
/** The memory runs: each is one pass on one page, measured in this many rounds. */
export const MEMORY_ROUNDS = 3;

export const CLIENTS = ['native', 'web-sse native', 'web-sse fetch', 'web-sse Rust native', 'web-sse Rust fetch',
  'event-source-polyfill', '@microsoft/fetch-event-source', 'eventsource', 'gloo-net', 'ceiling'];
/** The other libraries; "best peer" is the best of these. */
export const PEERS = ['event-source-polyfill', '@microsoft/fetch-event-source', 'eventsource', 'gloo-net'];
/** Rust clients: name -> package directory under rust/. */
export const RUST = { 'web-sse Rust native': 'web-sse-native', 'web-sse Rust fetch': 'web-sse-fetch', 'gloo-net': 'gloo-net' };
/** Not a client: the memory run's baseline of one request (see bench.js). */
export const CONTROL = 'fetch() control';
export const MEASURES = ['throughput', 'first-event', 'memory', 'bytes', 'spec'];
