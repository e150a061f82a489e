// The wasm loader: the fetch transport and fromReadableStream parse in wasm;
// the native transport never loads it. The glue (web_sse.js, which
// wasm-bindgen writes) and what drives it (parsing.js) are imported on first
// use too, so a page on the native transport fetches none of them.

/** The wasm file, beside this module. A name, not a literal: bundlers resolve the glue's own reference. */
const WASM_FILE = 'web_sse_bg.wasm';

let ready = null;
/** parsing.js, once the module is ready: a source then starts in its constructor. */
let loaded = null;

/**
 * Loads the wasm module (once), which the fetch transport needs; the native
 * transport does not. A source on `transport: 'fetch'` loads it by itself,
 * so calling this is optional: it starts the download early, or takes the
 * module's location (`init({ module_or_path })`) when a bundler moves it.
 * In Node, where `fetch` cannot read a `file:` URL, it reads the file.
 */
export default function init(options) {
  ready ??= load(options);
  return ready.then(({ exports }) => exports);
}

/** parsing.js (what a parsed connection runs) if the module is ready now, else null. */
export function readyParsing() {
  return loaded;
}

/** parsing.js, once the wasm module it drives is ready. */
export function parsing() {
  ready ??= load(undefined);
  return ready.then(({ run }) => run);
}

async function load(options) {
  // parsing.js imports the glue itself: the same module instance.
  const [glue, run] = await Promise.all([import('./web_sse.js'), import('./parsing.js')]);
  const exports = await glue.default(options === undefined ? await defaultSource() : options);
  warm(glue);
  loaded = run;
  return { run, exports };
}

/**
 * Runs the fetch transport's code once, with nothing sent: a transport
 * built and freed at once (its task starts, sees it closed and ends before
 * any fetch) and a parser fed one event. Browsers compile a wasm function on
 * its first call; without this, the first source of the page pays for that
 * compilation between its construction and its first event (about 5 to 10 ms
 * in Chromium). Nothing here may fail the load.
 */
function warm({ FetchTransport, StreamParser }) {
  try {
    const parser = new StreamParser();
    parser.feed(new TextEncoder().encode('id:1\nretry:1\ndata:x\n\n'));
    parser.free();
    const build = (url, lastEventId, signal) => new Request(url, { headers: { a: 'b', 'last-event-id': lastEventId }, signal });
    new FetchTransport('http://localhost/', build, 'GET', 'a\rb', undefined, new Float64Array([1, 1, 1, 1]),
      1, '', undefined, undefined, undefined, () => {}, undefined, undefined, undefined).free();
  } catch {
    // Only the first source is slower.
  }
}

/**
 * Where the wasm comes from when the page does not say: the glue's default
 * (the file beside it, fetched), except in Node, whose `fetch` refuses
 * `file:` URLs: there the bytes are read with `node:fs`, imported only then.
 */
async function defaultSource() {
  if (typeof globalThis.process?.versions?.node !== 'string') return undefined;
  // Not `new URL(name, import.meta.url)` in one expression: webpack takes that
  // for an asset reference and, the name being a variable, fails at run time.
  const here = import.meta.url;
  const url = new URL(WASM_FILE, here);
  if (url.protocol !== 'file:') return undefined;
  // A variable, so that no bundler tries to resolve a Node module for the browser.
  const fs = 'node:fs/promises';
  const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fs);
  return { module_or_path: await readFile(url) };
}

/**
 * Whether the fetch transport (and `fromReadableStream`) can run in this
 * global scope: it needs `fetch`, `ReadableStream` and WebAssembly.
 */
export function isFetchSupported() {
  return typeof fetch === 'function' && typeof ReadableStream === 'function' && typeof WebAssembly === 'object';
}
