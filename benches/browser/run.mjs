// `npm run bench`: every way to receive Server-Sent Events in a page, in
// headless Chromium, in one run: native EventSource; web-sse through its JS
// API and through a Rust Stream, on each transport; the peers
// (event-source-polyfill, @microsoft/fetch-event-source, eventsource,
// gloo-net); and the ceiling (MessageEvents dispatched with no network).
//
// Measures (each the median of the rounds, min and max beside it):
//   throughput     100k × 64 B, 10k × 4 KiB, 1k × 64 KiB events: msgs/s, MB/s
//   first event    ms from construction to the first event
//   memory         JS heap (V8 + Blink, after forced GCs) + wasm memory: growth
//                  over 10k open/close cycles, and bytes retained after 1M
//                  messages on one connection
//   bytes shipped  gzip -9 of the minified JS + the wasm each client loads
//   spec           tests/data/sse-vectors.json through each client's transport:
//                  events matching what native EventSource delivers
//
//   npm run bench                        # build, run, print, rewrite docs/performance.md + docs/bench-*.svg
//   npm run bench -- --quick --no-doc    # smoke run: one round, small n, every client once (< 1 min)
//   npm run bench -- --rounds 5          # more rounds (default 3, at least 3)
//   npm run bench -- --no-doc            # print only
//   npm run bench -- --only 'web-sse fetch,native'            # a subset of clients (implies --no-doc)
//   npm run bench -- --measures throughput,spec               # a subset of measures (implies --no-doc)
//   npm run bench -- --cycles 1000 --messages 100000   # other sizes for the memory runs (implies --no-doc)
//   npm run bench -- --quick --charts /tmp/x             # also write the section (section.md) and the charts into /tmp/x
//   npm run bench -- --profile           # also: CPU profile of one 'web-sse fetch' run, top 15 self times
//   npm run bench -- --profile='web-sse Rust fetch'
//
// Timed measures run one client at a time, each run in a fresh page, in an
// order rotated from round to round. Memory and spec runs do not time
// anything, so their clients run side by side, each in a page of its own
// browser context (its own renderer process and heap).
// Exits non-zero if any client fails or gets a wrong count.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { launchBrowser, sleep } from '../../tests/e2e/helpers.mjs';
import { startServer, VECTORS } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const rustDir = path.join(here, 'rust');
const targetDir = path.join(rustDir, 'target');
const distDir = path.join(here, 'dist');
const docsDir = path.join(root, 'docs');
const docPath = path.join(docsDir, 'performance.md');
const HEADING = '## Browser: every client in one run';
const START = '<!-- bench:browser:start -->';
const END = '<!-- bench:browser:end -->';
const PAUSE_MS = 300;
/** The memory runs: each is one pass on one page, measured in this many rounds. */
const MEMORY_ROUNDS = 3;
const WASM_OPT_FLAGS = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

const CLIENTS = ['native', 'web-sse native', 'web-sse fetch', 'web-sse Rust native', 'web-sse Rust fetch',
  'event-source-polyfill', '@microsoft/fetch-event-source', 'eventsource', 'gloo-net', 'ceiling'];
/** The other libraries; "best peer" is the best of these. */
const PEERS = ['event-source-polyfill', '@microsoft/fetch-event-source', 'eventsource', 'gloo-net'];
/** Rust clients: name -> package directory under rust/. */
const RUST = { 'web-sse Rust native': 'web-sse-native', 'web-sse Rust fetch': 'web-sse-fetch', 'gloo-net': 'gloo-net' };
/** Not a client: the memory run's baseline of one request (see bench.js). */
const CONTROL = 'fetch() control';
const MEASURES = ['throughput', 'first-event', 'memory', 'bytes', 'spec'];
/** Event types the spec run listens for: every type the vectors expect. */
const SPEC_TYPES = [...new Set(VECTORS.flatMap((v) => v.expect.events.map((e) => e.type)).concat('message'))];

function parseArgs(argv) {
  const options = { rounds: 3, quick: false, doc: true, profile: null, only: null, measures: MEASURES };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--rounds': options.rounds = Math.max(3, Number(value())); break;
      case '--quick': options.quick = true; break;
      case '--no-doc': options.doc = false; break;
      case '--charts': options.charts = value(); break;
      case '--cycles': options.cycles = Number(value()); options.doc = false; break;
      case '--messages': options.messages = Number(value()); options.doc = false; break;
      case '--profile': options.profile = inline ?? 'web-sse fetch'; break;
      case '--only': options.only = value().split(',').map((s) => s.trim()); options.doc = false; break;
      case '--measures': options.measures = value().split(',').map((s) => s.trim()); options.doc = false; break;
      case '--help': case '-h':
        console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n')
          .filter((line, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith('//'))).join('\n'));
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]} (see --help)`);
    }
  }
  for (const name of [options.profile, ...(options.only ?? [])]) {
    if (name !== null && !CLIENTS.includes(name)) throw new Error(`no client '${name}': ${CLIENTS.join(', ')}`);
  }
  for (const measure of options.measures) {
    if (!MEASURES.includes(measure)) throw new Error(`no measure '${measure}': ${MEASURES.join(', ')}`);
  }
  if (options.quick) {
    options.rounds = 1;
    options.doc = false;
  }
  return options;
}

/** The sizes of each measure, full or --quick. */
function plan(quick) {
  return quick ? {
    throughput: [[1_000, 64], [100, 4096], [10, 65536]],
    warmup: 0,
    firstEventRounds: 1,
    cycles: 60,
    cyclesWarmup: 10,
    cyclesParallel: 3,
    held: [1_000, 9_000],
  } : {
    throughput: [[100_000, 64], [10_000, 4096], [1_000, 65536]],
    warmup: 10,
    firstEventRounds: 3,
    cycles: 10_000,
    cyclesWarmup: 200,
    // CPU-bound (a request per cycle): two at a time gains a little over one
    // at a time; more side by side only slow each other down.
    cyclesParallel: 2,
    held: [1_000, 1_000_000],
  };
}

// ---------------------------------------------------------------- building

const env = {
  ...process.env,
  PATH: `${process.env.CARGO_HOME ?? path.join(os.homedir(), '.cargo')}/bin:${process.env.PATH}`,
};

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env, ...options });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
  return result;
}

const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);

/** The CLI must be the version the crate links, or the glue will not match. */
function checkWasmBindgen(lockFile) {
  const lock = fs.readFileSync(lockFile, 'utf8');
  const locked = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
  const cli = spawnSync('wasm-bindgen', ['--version'], { env, encoding: 'utf8' });
  if (cli.error) throw new Error('wasm-bindgen (the CLI) is not on PATH: cargo install wasm-bindgen-cli --version ' + locked);
  const version = cli.stdout.trim().split(/\s+/)[1];
  if (locked && version !== locked) {
    throw new Error(`wasm-bindgen CLI ${version} but ${path.relative(root, lockFile)} locks ${locked}: align them`);
  }
}

/** cargo build (incremental), then wasm-bindgen and wasm-opt when the wasm changed. */
function buildWasm({ cargoArgs, cargoTarget, ...rest }) {
  run('cargo', ['build', '--target', 'wasm32-unknown-unknown', ...cargoArgs],
    { env: { ...env, CARGO_TARGET_DIR: cargoTarget } });
  bindWasm(rest);
}

/** wasm-bindgen and wasm-opt, when the wasm changed. */
function bindWasm({ input, outDir, outName, optArgs, lockFile }) {
  const output = path.join(outDir, `${outName}_bg.wasm`);
  // Which build the glue was made from: --quick and full runs share outDir.
  const stamp = path.join(outDir, '.built-from');
  const from = `${input} ${mtime(input)} ${optArgs.join(' ')}`;
  if (fs.existsSync(output) && fs.existsSync(path.join(outDir, `${outName}.js`))
    && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === from) return;
  checkWasmBindgen(lockFile);
  run('wasm-bindgen', ['--target', 'web', '--out-dir', outDir, '--out-name', outName, input]);
  const wasmOpt = path.join(root, 'node_modules', '.bin', 'wasm-opt');
  if (!fs.existsSync(wasmOpt)) throw new Error(`${wasmOpt} is missing: run npm install`);
  run(wasmOpt, [...optArgs, ...WASM_OPT_FLAGS, '-o', `${output}.opt`, output]);
  fs.renameSync(`${output}.opt`, output);
  fs.writeFileSync(stamp, from);
}

const rustOutName = (dir) => `bench_${dir.replaceAll('-', '_')}`;

/**
 * The Rust clients: benches/browser/rust/<dir> -> rust/pkg/<dir>, at
 * opt-level 3 with LTO and wasm-opt -O3 (-g keeps the name section, so that
 * a CPU profile names wasm functions; it does not change the code). With
 * `size`, also the size build (opt-level "z", wasm-opt -Oz, no names) into
 * target/size-pkg/<dir>, for "bytes shipped".
 */
function buildRustClients(dirs, { size, quick }) {
  if (dirs.length === 0) return;
  const profile = quick ? 'quick' : 'release';
  console.log(`bench: building ${dirs.map((d) => `rust/${d}`).join(', ')} (cargo, incremental, ${profile} profile)`);
  const manifest = ['--manifest-path', path.join(rustDir, 'Cargo.toml')];
  const lockFile = path.join(rustDir, 'Cargo.lock');
  // The speed builds in one cargo run (web-sse is compiled once, with the
  // features of all of them): what the runs measure. --quick builds without
  // LTO, so that the smoke run rebuilds fast after a change in web-sse.
  run('cargo', ['build', '--target', 'wasm32-unknown-unknown', '--profile', profile, ...manifest, ...dirs.flatMap((dir) => ['-p', `bench-${dir}`])],
    { env: { ...env, CARGO_TARGET_DIR: targetDir } });
  for (const dir of dirs) {
    const outName = rustOutName(dir);
    bindWasm({
      input: path.join(targetDir, 'wasm32-unknown-unknown', profile, `${outName}.wasm`),
      outDir: path.join(rustDir, 'pkg', dir),
      outName,
      optArgs: quick ? ['-O1', '-g'] : ['-O3', '-g'],
      lockFile,
    });
  }
  // The size builds one package at a time, so that each has only the
  // features it asks for (the native client no fetch transport).
  if (size) {
    for (const dir of dirs) {
      const outName = rustOutName(dir);
      buildWasm({
        cargoArgs: [...manifest, '-p', `bench-${dir}`, '--profile', 'size'],
        cargoTarget: targetDir,
        input: path.join(targetDir, 'wasm32-unknown-unknown', 'size', `${outName}.wasm`),
        outDir: path.join(targetDir, 'size-pkg', dir),
        outName,
        optArgs: ['-Oz'],
        lockFile,
      });
    }
  }
}

/**
 * For --profile of 'web-sse fetch': the npm package's wasm as scripts/build.sh
 * builds it (the root crate's release profile, `js` feature, wasm-opt -Oz),
 * but with its function names, in rust/profile-pkg with js/index.js beside it.
 */
function buildProfilePackage() {
  console.log('bench: building a named copy of the package wasm for the profile');
  const outDir = path.join(rustDir, 'profile-pkg');
  const cargoTarget = path.join(targetDir, 'profile-pkg');
  buildWasm({
    cargoArgs: ['--release', '--manifest-path', path.join(root, 'Cargo.toml'), '--lib', '--features', 'js'],
    cargoTarget,
    input: path.join(cargoTarget, 'wasm32-unknown-unknown', 'release', 'web_sse.wasm'),
    outDir,
    outName: 'web_sse',
    optArgs: ['-Oz', '-g'],
    lockFile: path.join(root, 'Cargo.lock'),
  });
  fs.copyFileSync(path.join(root, 'js', 'index.js'), path.join(outDir, 'index.js'));
}

/**
 * Vite (its build API, library mode, minified ESM) bundles each entry on its
 * own into dist/: the peers the page loads, and, for "bytes shipped" only,
 * the web-sse package and the Rust clients' glue. A wasm module stays a
 * separate file (`new URL('x.wasm', import.meta.url)` is kept as is) and is
 * counted on its own.
 */
async function bundle(entries) {
  const { build } = await import('vite');
  const entryDir = path.join(distDir, 'entries');
  fs.mkdirSync(entryDir, { recursive: true });
  const keepWasmUrl = {
    name: 'keep-wasm-url',
    enforce: 'pre',
    transform(code) {
      if (!code.includes('import.meta.url')) return null;
      // Vite would inline the wasm as base64 in library mode.
      return code.replaceAll(/(new URL\([^()]*?\.wasm['"`]),\s*import\.meta\.url\)/g, '$1, import.meta["url"])');
    },
  };
  for (const [name, source] of Object.entries(entries)) {
    const entry = path.join(entryDir, `${name}.js`);
    fs.writeFileSync(entry, `${source}\n`);
    await build({
      configFile: false,
      logLevel: 'warn',
      root: here,
      plugins: [keepWasmUrl],
      build: {
        outDir: distDir,
        emptyOutDir: false,
        copyPublicDir: false,
        minify: true,
        rolldownOptions: { output: { minify: true } },
        lib: { entry, formats: ['es'], fileName: () => `${name}.js` },
      },
    });
  }
}

const importPath = (file) => JSON.stringify(path.relative(path.join(distDir, 'entries'), file).split(path.sep).join('/'));

async function bundleAll({ sizePkg }) {
  console.log('bench: bundling the peers and the clients\' JS (vite build)');
  const rustGlue = (dir) => path.join(sizePkg ? path.join(targetDir, 'size-pkg') : path.join(rustDir, 'pkg'), dir, `${rustOutName(dir)}.js`);
  await bundle({
    'fetch-event-source': "export { fetchEventSource } from '@microsoft/fetch-event-source';",
    eventsource: "export { EventSource } from 'eventsource';",
    'size-web-sse': `export { EventSource, default } from ${importPath(path.join(root, 'pkg', 'index.js'))};`,
    ...Object.fromEntries(Object.values(RUST).map((dir) => [`size-${dir}`, `export * from ${importPath(rustGlue(dir))};`])),
  });
}

// ---------------------------------------------------------------- versions, bytes

function versions() {
  const npm = (name) => JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  const lock = fs.readFileSync(path.join(rustDir, 'Cargo.lock'), 'utf8');
  const crate = (name) => new RegExp(`name = "${name}"\\nversion = "([^"]+)"`).exec(lock)?.[1] ?? '?';
  return {
    'event-source-polyfill': npm('event-source-polyfill'),
    '@microsoft/fetch-event-source': npm('@microsoft/fetch-event-source'),
    eventsource: npm('eventsource'),
    'gloo-net': crate('gloo-net'),
  };
}

const gzipSize = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;

/** Per client: { js, wasm } gzip -9 bytes, and what was counted. */
function bytesShipped(clients, { sizePkg }) {
  const dist = (name) => path.join(distDir, `${name}.js`);
  const table = new Map();
  const rustWasm = (dir) => path.join(sizePkg ? path.join(targetDir, 'size-pkg') : path.join(rustDir, 'pkg'), dir, `${rustOutName(dir)}_bg.wasm`);
  for (const name of clients) {
    let entry;
    if (name === 'native') entry = { js: 0, wasm: 0 };
    else if (name === 'web-sse native') entry = { js: gzipSize(dist('size-web-sse')), wasm: 0 };
    else if (name === 'web-sse fetch') entry = { js: gzipSize(dist('size-web-sse')), wasm: gzipSize(path.join(root, 'pkg', 'web_sse_bg.wasm')) };
    else if (RUST[name]) entry = { js: gzipSize(dist(`size-${RUST[name]}`)), wasm: gzipSize(rustWasm(RUST[name])) };
    else if (name === 'event-source-polyfill') entry = { js: gzipSize(path.join(root, 'node_modules', 'event-source-polyfill', 'src', 'eventsource.min.js')), wasm: 0 };
    else if (name === '@microsoft/fetch-event-source') entry = { js: gzipSize(dist('fetch-event-source')), wasm: 0 };
    else if (name === 'eventsource') entry = { js: gzipSize(dist('eventsource')), wasm: 0 };
    else continue; // the ceiling ships nothing and is no client
    table.set(name, { ...entry, total: entry.js + entry.wasm });
  }
  return table;
}

// ---------------------------------------------------------------- running

async function openPage(browser, origin) {
  // browser.newPage() gives each page a browser context of its own.
  const page = await browser.newPage();
  page.setDefaultTimeout(300_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => globalThis.benchReady === true);
  return { page, errors };
}

/** Runs `fn(page)` in a fresh page; errors name the client and carry the page's errors. */
async function inPage(browser, origin, name, fn) {
  const { page, errors } = await openPage(browser, origin);
  try {
    return await fn(page);
  } catch (error) {
    throw new Error(`${name}: ${error.message}${errors.length ? `\n  page: ${errors.slice(0, 10).join('\n  page: ')}` : ''}`);
  } finally {
    await page.context().close();
  }
}

async function runOnce(browser, origin, name, n, size) {
  return inPage(browser, origin, name, async (page) => {
    await page.evaluate((client) => globalThis.loadClient(client), name);
    return page.evaluate(([client, count, bytes]) => globalThis.runClient(client, count, bytes), [name, n, size]);
  });
}

/** JS heap (V8 used + Blink's cppgc heap) after forced GCs, plus wasm memory. */
let gcPasses = [3, 120];

async function memoryOf(page, cdp) {
  const [passes, pause] = gcPasses;
  for (let i = 0; i < passes; i += 1) {
    await cdp.send('HeapProfiler.collectGarbage');
    await sleep(pause);
  }
  const usage = await cdp.send('Runtime.getHeapUsage');
  const [wasm, live] = await page.evaluate(() => [globalThis.wasmBytes(), globalThis.wasmLive()]);
  const js = usage.usedSize + (usage.embedderHeapUsedSize ?? 0);
  return { js, wasm, live, total: js + wasm };
}

/**
 * Open/close cycles on one page: a warm-up, then `cycles` in ROUNDS rounds,
 * memory measured before and after each; B/cycle per round and overall.
 */
async function memoryCycles(browser, origin, name, { cycles, cyclesWarmup }) {
  return inPage(browser, origin, name, async (page) => {
    const cdp = await page.context().newCDPSession(page);
    await page.evaluate((client) => globalThis.loadClient(client), name);
    await page.evaluate(([client, k]) => globalThis.runCycles(client, k, 1), [name, cyclesWarmup]);
    const before = await memoryOf(page, cdp);
    const began = Date.now();
    const rounds = [];
    let last = before;
    for (const k of split(cycles, MEMORY_ROUNDS)) {
      await page.evaluate(([client, count]) => globalThis.runCycles(client, count, 1), [name, k]);
      const now = await memoryOf(page, cdp);
      rounds.push({ perCycle: (now.total - last.total) / k, wasm: now.wasm - last.wasm, live: now.live === null ? null : now.live - last.live });
      last = now;
    }
    return { perCycle: (last.total - before.total) / cycles, rounds, before, after: last, ms: Date.now() - began };
  });
}

/**
 * One connection on one page: memory with the library loaded and one source
 * open after `first` messages, then after each of ROUNDS rounds of the
 * `more` messages (the server pauses the stream while the page is measured).
 */
async function memoryHeld(browser, origin, name, [first, more]) {
  return inPage(browser, origin, name, async (page) => {
    const cdp = await page.context().newCDPSession(page);
    const empty = await memoryOf(page, cdp);
    const targets = [first];
    for (const k of split(more, MEMORY_ROUNDS)) targets.push(targets.at(-1) + k);
    await page.evaluate(([client, t]) => globalThis.holdOpen(client, t, 64), [name, targets]);
    const open = await memoryOf(page, cdp);
    const began = Date.now();
    const rounds = [];
    let last = open;
    for (let i = 1; i < targets.length; i += 1) {
      await page.evaluate(() => globalThis.holdNext());
      const now = await memoryOf(page, cdp);
      rounds.push({ retained: now.total - last.total, wasm: now.wasm - last.wasm, live: now.live === null ? null : now.live - last.live });
      last = now;
    }
    const ms = Date.now() - began;
    await page.evaluate(() => globalThis.holdClose());
    return { retained: last.total - open.total, rounds, oneSource: open.total - empty.total, empty, open, after: last, ms };
  });
}

/** `total` in `parts` near-equal whole parts. */
function split(total, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor((total * (i + 1)) / parts) - Math.floor((total * i) / parts));
}

/** Runs `fn(name)` for each client, `parallel` at a time, results in order. */
async function sideBySide(names, parallel, fn) {
  const results = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next;
      next += 1;
      results[i] = await fn(names[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, names.length) }, worker));
  return results;
}

async function specRun(browser, origin, name, quick) {
  // --quick: every vector with several connections and every third other one.
  const list = VECTORS.map((v, i) => ({ v: i, connections: v.connections.length }))
    .filter(({ v, connections }) => !quick || connections > 1 || v % 3 === 0);
  return inPage(browser, origin, name, async (page) => {
    await page.evaluate((client) => globalThis.loadClient(client), name);
    return page.evaluate(([client, l, types]) => globalThis.runVectors(client, l, types, 3), [name, list, SPEC_TYPES]);
  });
}

/** Events as [type, data, lastEventId] triples from a flat list. */
function triples(flat) {
  const out = [];
  for (let i = 0; i + 3 <= flat.length; i += 3) out.push(flat.slice(i, i + 3));
  return out;
}

/** Length of the longest common subsequence of two event lists. */
function lcs(a, b) {
  const same = (x, y) => x[0] === y[0] && x[1] === y[1] && x[2] === y[2];
  const row = new Array(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j];
      row[j] = same(a[i - 1], b[j - 1]) ? diagonal + 1 : Math.max(row[j], row[j - 1]);
      diagonal = above;
    }
  }
  return row[b.length];
}

/** Native's events against the vectors' own expectations (a note under the table). */
function nativeVsVectors(nativeResults) {
  let matched = 0;
  let expected = 0;
  const differ = [];
  for (const result of nativeResults) {
    const vector = VECTORS[result.v];
    const want = vector.expect.events;
    const got = triples(result.events);
    expected += want.length;
    // Where a vector leaves lastEventId out, any value matches.
    const loose = want.map((e) => [e.type, e.data, e.lastEventId]);
    let m = 0;
    for (let k = 0; k < Math.min(loose.length, got.length); k += 1) {
      const [t, d, id] = loose[k];
      if (t === got[k][0] && d === got[k][1] && (id === undefined || id === got[k][2])) m += 1;
    }
    matched += m;
    if (m !== want.length || got.length !== want.length) differ.push(vector.id);
  }
  return { matched, expected, differ };
}

function compareSpec(results, clients) {
  const native = results.get('native');
  const out = new Map();
  for (const name of clients) {
    const rounds = results.get(name).map((round, r) => {
      let matching = 0;
      let nativeEvents = 0;
      let extra = 0;
      let exact = 0;
      const differ = [];
      round.forEach((vector, i) => {
        const want = triples(native[r][i].events);
        const got = triples(vector.events);
        const m = lcs(want, got);
        matching += m;
        nativeEvents += want.length;
        extra += got.length - m;
        if (m === want.length && got.length === want.length) exact += 1;
        else differ.push(VECTORS[vector.v].id);
      });
      return { matching, nativeEvents, extra, exact, differ, vectors: round.length };
    });
    out.set(name, rounds);
  }
  return out;
}

// ---------------------------------------------------------------- reporting

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const stats = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
const group = (value, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (value) => (Number.isFinite(value) ? `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}×` : '—');
const kb = (bytes) => group(bytes / 1000, 1);

function machine() {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(lscpu)?.[1]?.trim();
  const model = field('Model name') ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const cores = field('CPU\\(s\\)') ?? String(os.cpus().length);
  return `${model}, ${cores} cores`;
}

/**
 * A markdown table of one measure. `rows` maps client -> { median, min, max }
 * (and `extra` cells); `better` is 'higher' or 'lower'; ratios divide the
 * client's median by the reference's, blank where the reference is too
 * small for a ratio to mean anything (`floor`).
 */
function markdownTable({ rows, clients, unit, format, better, ceiling = false, floor = 0, extraHeads = [], labels }) {
  const value = (name) => rows.get(name)?.median;
  const peers = PEERS.filter((p) => rows.has(p));
  const best = peers.length ? peers.reduce((a, b) => ((better === 'higher' ? value(b) > value(a) : value(b) < value(a)) ? b : a)) : null;
  const ratioTo = (name, ref) => {
    if (!rows.has(ref)) return '—';
    const r = value(ref);
    if (!(Math.abs(r) > floor) || !(Math.abs(value(name)) > floor)) return '—';
    return ratio(value(name) / r);
  };
  const heads = ['client', `${unit} (median)`, 'min – max', ...extraHeads, '÷ native', best ? `÷ best peer (${best})` : '÷ best peer'];
  if (ceiling) heads.push('÷ ceiling');
  const lines = [`| ${heads.join(' | ')} |`, `| --- | ${heads.slice(1).map(() => '---:').join(' | ')} |`];
  for (const name of clients) {
    const row = rows.get(name);
    if (!row) continue;
    const cells = [labels(name), format(row.median), `${format(row.min)} – ${format(row.max)}`, ...(row.extra ?? []),
      ratioTo(name, 'native'), best ? ratioTo(name, best) : '—'];
    if (ceiling) cells.push(ratioTo(name, 'ceiling'));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return { text: lines.join('\n'), best };
}

// ---------------------------------------------------------------- charts

const escapeXml = (text) => String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

function colorOf(name) {
  if (name === 'native') return '#7f7f7f';
  if (name === 'ceiling' || name === CONTROL) return '#b8b8b8';
  if (name.startsWith('web-sse Rust')) return '#1b7f79';
  if (name.startsWith('web-sse')) return '#2a62b8';
  return '#c4671d';
}

function niceStep(range) {
  const raw = range / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

/**
 * A horizontal bar chart as an SVG string: one bar per client at its median,
 * a whisker from min to max, the value at the right.
 */
function barChart({ title, subtitle, unit, rows, labels, format, scale = 1 }) {
  const width = 820;
  const labelWidth = 250;
  const valueWidth = 130;
  const top = subtitle ? 58 : 42;
  const rowHeight = 24;
  const plotLeft = labelWidth;
  const plotWidth = width - labelWidth - valueWidth - 10;
  const entries = [...rows].map(([name, row]) => ({ name, ...row }));
  const values = entries.flatMap((e) => [e.median, e.min ?? e.median, e.max ?? e.median]).map((v) => v * scale);
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi === lo) hi = lo + 1;
  const step = niceStep(hi - lo);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const x = (v) => plotLeft + ((v * scale - lo) / (hi - lo)) * plotWidth;
  const xs = (v) => plotLeft + ((v - lo) / (hi - lo)) * plotWidth;
  const height = top + entries.length * rowHeight + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
  ];
  if (subtitle) parts.push(`<text x="12" y="40" fill="#555">${escapeXml(subtitle)}</text>`);
  const bottom = top + entries.length * rowHeight;
  for (let t = lo; t <= hi + step / 2; t += step) {
    const tx = xs(t).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${bottom}" stroke="${Math.abs(t) < step / 1e6 ? '#888' : '#e2e2e2'}"/>`);
    parts.push(`<text x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="#555">${escapeXml(Number.isInteger(step) ? group(t / scale) : format(t / scale))}</text>`);
  }
  parts.push(`<text x="${plotLeft + plotWidth / 2}" y="${bottom + 33}" text-anchor="middle" fill="#555">${escapeXml(unit)}</text>`);
  entries.forEach((e, i) => {
    const y = top + i * rowHeight;
    const zero = xs(0);
    const end = x(e.median);
    const color = colorOf(e.name);
    parts.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end" fill="#222">${escapeXml(labels(e.name))}</text>`);
    parts.push(`<rect x="${Math.min(zero, end).toFixed(1)}" y="${y + 5}" width="${Math.max(1, Math.abs(end - zero)).toFixed(1)}" height="14" fill="${color}"${e.name === 'ceiling' ? ' stroke="#777" stroke-dasharray="3 2"' : ''}/>`);
    if (e.min !== undefined && e.max !== undefined && e.max > e.min) {
      const [a, b] = [x(e.min).toFixed(1), x(e.max).toFixed(1)];
      parts.push(`<g stroke="#222" stroke-width="1"><line x1="${a}" y1="${y + 12}" x2="${b}" y2="${y + 12}"/><line x1="${a}" y1="${y + 8}" x2="${a}" y2="${y + 16}"/><line x1="${b}" y1="${y + 8}" x2="${b}" y2="${y + 16}"/></g>`);
    }
    parts.push(`<text x="${width - valueWidth}" y="${y + 16}" fill="#222">${escapeXml(e.label ?? format(e.median))}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function writeDoc(section) {
  let doc = fs.readFileSync(docPath, 'utf8');
  const block = `${START}\n${section}\n${END}`;
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start >= 0 && end > start) {
    doc = doc.slice(0, start) + block + doc.slice(end + END.length);
  } else {
    doc = `${doc.replace(/\n*$/, '\n')}\n${HEADING}\n\n${block}\n`;
  }
  fs.writeFileSync(docPath, doc);
}

// ---------------------------------------------------------------- main

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const sizes = plan(options.quick);
  if (options.cycles) sizes.cycles = options.cycles;
  if (options.messages) sizes.held = [sizes.held[0], options.messages];
  const clients = options.only ?? CLIENTS;
  const connected = clients.filter((name) => name !== 'ceiling');
  const measures = new Set(options.measures);
  const began = Date.now();
  if (!fs.existsSync(path.join(root, 'pkg', 'index.js'))) {
    throw new Error('pkg/index.js is missing: build the package first (npm run build)');
  }
  if (measures.has('spec') && !clients.includes('native')) {
    console.log('bench: no spec-exactness run without native, its oracle');
    measures.delete('spec');
  }

  const full = !options.quick;
  if (options.quick) gcPasses = [2, 50];
  const rustDirs = Object.entries(RUST).filter(([name]) => clients.includes(name) || options.profile === name).map(([, dir]) => dir);
  buildRustClients(rustDirs, { size: full && measures.has('bytes'), quick: options.quick });
  if (options.profile === 'web-sse fetch') buildProfilePackage();
  await bundleAll({ sizePkg: full && measures.has('bytes') });
  const built = Date.now();
  const peerVersions = versions();
  const labels = (name) => (peerVersions[name] ? `${name} ${peerVersions[name]}` : name);

  const load = os.loadavg()[0];
  const server = await startServer();
  const browser = await launchBrowser();
  const origin = server.origin;
  const report = { throughput: [], firstEvent: null, cycles: null, held: null, bytes: null, spec: null, nativeSpec: null };
  let chromium = '';
  const stage = (name) => {
    console.log(`\nbench: ${name} (${((Date.now() - began) / 1000).toFixed(0)} s)`);
  };
  try {
    chromium = browser.version();
    console.log(`bench: ${origin}, Chromium ${chromium}, ${machine()}, load ${load.toFixed(2)}, `
      + `${options.rounds} round${options.rounds > 1 ? 's' : ''}${options.quick ? ' (--quick)' : ''}`);

    if (measures.has('bytes')) {
      stage(`bytes shipped${full ? '' : ' (the speed builds of the Rust clients: --quick skips the size builds)'}`);
      report.bytes = bytesShipped(connected, { sizePkg: full });
      for (const [name, b] of report.bytes) console.log(`  ${labels(name)}: ${b.total} B (JS ${b.js}, wasm ${b.wasm})`);
    }

    if (options.quick && (measures.has('throughput') || measures.has('first-event'))) {
      // One page per client for every size and the first event: a smoke run.
      stage('throughput and first event, one page per client');
      const series = [...(measures.has('throughput') ? sizes.throughput : []), ...(measures.has('first-event') ? [[1, 64]] : [])];
      const results = new Map();
      for (const name of clients) {
        const runs = name === 'ceiling' && measures.has('first-event') ? series.slice(0, -1) : series;
        results.set(name, await inPage(browser, origin, name, async (page) => {
          await page.evaluate((client) => globalThis.loadClient(client), name);
          const out = [];
          for (const [n, size] of runs) {
            out.push(await page.evaluate(([client, count, bytes]) => globalThis.runClient(client, count, bytes), [name, n, size]));
          }
          return out;
        }));
        console.log(`  ${name}: ${results.get(name).map((r, i) => `${runs[i][0]} × ${runs[i][1]} B ${r.ms.toFixed(1)} ms`).join(', ')}`);
      }
      if (measures.has('throughput')) {
        sizes.throughput.forEach(([n, size], i) => {
          report.throughput.push({ n, size, results: new Map(clients.map((name) => [name, [results.get(name)[i].ms]])) });
        });
      }
      if (measures.has('first-event')) {
        report.firstEvent = new Map(connected.map((name) => [name, [results.get(name).at(-1).ms]]));
      }
    }

    if (!options.quick && measures.has('throughput')) {
      for (const [n, size] of sizes.throughput) {
        stage(`throughput, ${group(n)} × ${size} B`);
        if (sizes.warmup && n === sizes.throughput[0][0]) {
          // Warm-up, not counted: the browser's first pages, the server's body.
          for (const name of clients) await runOnce(browser, origin, name, Math.max(1, Math.floor(n / sizes.warmup)), size);
        }
        const results = new Map(clients.map((name) => [name, []]));
        for (let round = 0; round < options.rounds; round += 1) {
          const order = clients.map((_, i) => clients[(i + round) % clients.length]);
          const line = [];
          for (const name of order) {
            if (full) await sleep(PAUSE_MS);
            const result = await runOnce(browser, origin, name, n, size);
            results.get(name).push(result.ms);
            line.push(`${name} ${result.ms.toFixed(0)} ms`);
          }
          console.log(`  round ${round + 1}: ${line.join(', ')}`);
        }
        report.throughput.push({ n, size, results });
      }
    }

    if (!options.quick && measures.has('first-event')) {
      stage('time to the first event');
      const results = new Map(connected.map((name) => [name, []]));
      for (let round = 0; round < Math.max(options.rounds, sizes.firstEventRounds); round += 1) {
        const order = connected.map((_, i) => connected[(i + round) % connected.length]);
        for (const name of order) {
          if (full) await sleep(PAUSE_MS / 3);
          const result = await runOnce(browser, origin, name, 1, 64);
          results.get(name).push(result.ms);
        }
        console.log(`  round ${round + 1}: ${order.map((name) => `${name} ${results.get(name).at(-1).toFixed(1)} ms`).join(', ')}`);
      }
      report.firstEvent = results;
    }

    if (measures.has('memory')) {
      const describe = (r) => `wasm ${group(r.wasm)}${r.live === null ? '' : `, Rust live ${group(r.live)}`}`;
      stage(`memory: ${group(sizes.cycles)} open/close cycles in ${MEMORY_ROUNDS} rounds, ${sizes.cyclesParallel} client${sizes.cyclesParallel > 1 ? 's' : ''} at a time`);
      const cycled = [...connected, CONTROL];
      const cycles = await sideBySide(cycled, sizes.cyclesParallel, async (name) => {
        const result = await memoryCycles(browser, origin, name, sizes);
        console.log(`  ${name}: ${result.rounds.map((r) => `${r.perCycle.toFixed(1)} B/cycle (${describe(r)})`).join(', ')}; ${(result.ms / 1000).toFixed(1)} s`);
        return result;
      });
      report.cycles = new Map(cycled.map((name, i) => [name, cycles[i]]));
      stage(`memory: ${group(sizes.held[1])} messages on one connection in ${MEMORY_ROUNDS} rounds, clients side by side`);
      const held = await sideBySide(connected, connected.length, async (name) => {
        const result = await memoryHeld(browser, origin, name, sizes.held);
        console.log(`  ${name}: ${result.rounds.map((r) => `${group(r.retained)} B (${describe(r)})`).join(', ')}; ${(result.ms / 1000).toFixed(1)} s`);
        return result;
      });
      report.held = new Map(connected.map((name, i) => [name, held[i]]));
    }

    if (measures.has('spec')) {
      stage(`spec-exactness: ${VECTORS.length} vectors, clients side by side`);
      const results = new Map(connected.map((name) => [name, []]));
      // Counts, not timings: one round.
      for (let round = 0; round < 1; round += 1) {
        const rounds = await Promise.all(connected.map((name) => specRun(browser, origin, name, options.quick)));
        connected.forEach((name, i) => results.get(name).push(rounds[i]));
      }
      report.spec = compareSpec(results, connected);
      report.nativeSpec = nativeVsVectors(results.get('native')[0]);
      for (const [name, rounds] of report.spec) {
        console.log(`  ${labels(name)}: ${rounds.map((r) => `${r.matching}/${r.nativeEvents} (+${r.extra} extra, ${r.exact}/${r.vectors} vectors exact)`).join('; ')}`
          + `${rounds[0].differ.length ? `; differ: ${rounds[0].differ.join(', ')}` : ''}`);
      }
      console.log(`  native vs the vectors' expected events: ${report.nativeSpec.matched}/${report.nativeSpec.expected}`
        + `${report.nativeSpec.differ.length ? `; differ: ${report.nativeSpec.differ.join(', ')}` : ''}`);
    }

    if (options.profile) {
      await profile(browser, origin, options.profile, sizes.throughput[0]);
    }
  } finally {
    await browser.close();
    await server.close();
  }

  const took = (Date.now() - began) / 1000;
  const { sections, charts, headline } = render(report, { clients, labels, sizes, options });
  console.log(`\n${sections.join('\n\n')}\n`);
  if (headline) console.log(`headline: ${headline}\n`);
  const date = new Date().toISOString().replace(/T(\d\d:\d\d).*/, ', $1 UTC');
  const section = [
    `Measured ${date} with \`npm run bench\` (${options.rounds} rounds; load average ${load.toFixed(2)} before the run; `
      + `${Math.round(took)} s, of which ${Math.round((built - began) / 1000)} s building).`,
    `Machine: ${machine()}; Chromium ${chromium} (headless); Node ${process.versions.node}.`,
    `Peers: ${Object.entries(peerVersions).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
    '',
    headline ? `**Headline**: ${headline}\n` : '',
    sections.join('\n\n'),
  ].join('\n');
  if (options.charts) {
    fs.mkdirSync(options.charts, { recursive: true });
    fs.writeFileSync(path.join(options.charts, 'section.md'), `${section}\n`);
    for (const [file, svg] of charts) fs.writeFileSync(path.join(options.charts, file), svg);
    console.log(`bench: wrote the section and the charts into ${options.charts}`);
  }
  if (options.doc) {
    writeDoc(section);
    for (const [file, svg] of charts) fs.writeFileSync(path.join(docsDir, file), svg);
    console.log(`bench: wrote ${path.relative(root, docPath)} and ${charts.map(([file]) => `docs/${file}`).join(', ')}`);
  }
  console.log(`bench: done in ${took.toFixed(0)} s (${((built - began) / 1000).toFixed(0)} s building)`);
}

/** The tables (markdown sections), the charts ([file, svg]) and a headline. */
function render(report, { clients, labels, sizes, options }) {
  const sections = [];
  const charts = [];
  const headlines = [];
  const figure = (file, alt) => `![${alt}](${file})`;
  const rounds = `median of ${options.rounds} round${options.rounds > 1 ? 's' : ''}`;

  for (const { n, size, results } of report.throughput) {
    const rates = new Map([...results].map(([name, ms]) => [name, stats(ms.map((t) => n / (t / 1000)))]));
    const mbs = (rate) => (rate * size) / 1e6;
    for (const row of rates.values()) row.extra = [group(mbs(row.median), 1)];
    const sizeLabel = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    const title = `Throughput, ${group(n)} × ${sizeLabel} events`;
    const file = `bench-throughput-${size >= 1024 ? `${size / 1024}k` : `${size}b`}.svg`;
    const { text, best } = markdownTable({ rows: rates, clients, unit: 'msgs/s', format: (v) => group(v), better: 'higher', ceiling: true, extraHeads: ['MB/s'], labels });
    sections.push(`### ${title}\n\n${figure(file, title)}\n\n${text}`);
    charts.push([file, barChart({ title, subtitle: `messages per second from construction to the last event (${rounds}, min–max whiskers); longer is faster`, unit: 'msgs/s', rows: rates, labels, format: (v) => group(v) })]);
    if (size === 64 && rates.has('web-sse fetch')) {
      const v = (name) => rates.get(name)?.median;
      const parts = [];
      if (rates.has('native')) parts.push(`${ratio(v('web-sse fetch') / v('native'))} native`);
      if (best) parts.push(`${ratio(v('web-sse fetch') / v(best))} the fastest peer (${labels(best)})`);
      if (rates.has('ceiling')) parts.push(`${ratio(v('web-sse fetch') / v('ceiling'))} the ceiling`);
      let line = `at ${group(n)} × 64 B, web-sse fetch (JS API) runs at ${parts.join(', ') || 'its own pace'}`;
      if (rates.has('web-sse Rust fetch') && rates.has('event-source-polyfill')) {
        line += `; the Rust Stream on fetch runs at ${ratio(v('web-sse Rust fetch') / v('event-source-polyfill'))} event-source-polyfill`;
      }
      headlines.push(`${line}.`);
    }
  }

  if (report.firstEvent) {
    const rows = new Map([...report.firstEvent].map(([name, ms]) => [name, stats(ms)]));
    const title = 'Time to the first event';
    const file = 'bench-first-event.svg';
    const { text } = markdownTable({ rows, clients, unit: 'ms', format: (v) => group(v, 1), better: 'lower', labels });
    sections.push(`### ${title}\n\n${figure(file, title)}\n\n`
      + `From construction to the first \`message\` event, the library already loaded (${rounds}, a fresh page each); a ratio below 1 is faster.\n\n${text}`);
    charts.push([file, barChart({ title, subtitle: `ms from construction to the first event (${rounds}, min–max whiskers); shorter is faster`, unit: 'ms', rows, labels, format: (v) => group(v, 1) })]);
  }

  if (report.cycles) {
    const per = split(sizes.cycles, MEMORY_ROUNDS)[0];
    const control = report.cycles.get(CONTROL).perCycle;
    const rows = new Map([...report.cycles].map(([name, result]) => {
      const row = stats(result.rounds.map((r) => r.perCycle));
      const live = result.rounds.every((r) => r.live !== null) ? group(result.rounds.reduce((sum, r) => sum + r.live, 0) / sizes.cycles, 1) : '—';
      row.extra = [group(result.perCycle, 1), name === CONTROL ? '—' : group(result.perCycle - control, 1), group(result.after.wasm - result.before.wasm), live];
      return [name, row];
    }));
    const title = `Memory: ${group(sizes.cycles)} open/close cycles`;
    const file = 'bench-memory-cycles.svg';
    const { text } = markdownTable({
      rows, clients: [...clients, CONTROL], unit: 'B/cycle', format: (v) => group(v, 1), better: 'lower', floor: 8, labels,
      extraHeads: [`all ${group(sizes.cycles)} (B/cycle)`, 'all − control', 'wasm growth (B)', 'Rust live (B/cycle)'],
    });
    sections.push(`### ${title}

${figure(file, title)}

`
      + `Growth of the JS heap (V8 + Blink) + wasm memory per cycle (construct, first event, close), after forced GCs: ${group(sizes.cycles)} cycles `
      + `one after another on one page, after ${group(sizes.cyclesWarmup)} unmeasured ones, measured in ${MEMORY_ROUNDS} rounds of about ${group(per)}; `
      + 'the median and min – max are over those rounds, "all" is the whole run. The browser keeps a few hundred bytes per request whoever makes it: '
      + `the ${CONTROL} row is a bare \`fetch()\` of the same stream, its first chunk read, then aborted, and "all − control" is what the client adds to that. `
      + '"Rust live" is what the Rust allocator holds (the Rust clients count it). '
      + `A ratio below 1 is better; "—" where a figure is within 8 B/cycle of zero.\n\n${text}`);
    charts.push([file, barChart({ title, subtitle: `bytes kept per open/close cycle, JS heap + wasm memory after GC (median of ${MEMORY_ROUNDS} rounds, min–max whiskers); shorter is better`, unit: 'B/cycle', rows, labels, format: (v) => group(v, 1) })]);
  }

  if (report.held) {
    const count = sizes.held[1];
    const per = split(count, MEMORY_ROUNDS)[0];
    const short = (c) => (c >= 1e6 ? `${c / 1e6}M` : c >= 1e3 ? `${group(c / 1e3)}k` : group(c));
    const rows = new Map([...report.held].map(([name, result]) => {
      const row = stats(result.rounds.map((r) => r.retained));
      const live = result.after.live === null ? '—' : group(result.after.live - result.open.live);
      row.extra = [group(result.retained), live, kb(result.oneSource), result.after.wasm ? kb(result.after.wasm) : '—'];
      return [name, row];
    }));
    const title = `Memory: ${short(count)} messages on one connection`;
    const file = 'bench-memory-1m.svg';
    const { text } = markdownTable({
      rows, clients, unit: `B retained per ${short(per)}`, format: (v) => group(v), better: 'lower', floor: 64 * 1024, labels,
      extraHeads: [`after all ${short(count)} (B)`, 'Rust live (B)', 'one open source (kB)', 'wasm memory (kB)'],
    });
    sections.push(`### ${title}

${figure(file, title)}

`
      + `One source reads ${group(count)} × 64 B messages after its first ${group(sizes.held[0])}, in ${MEMORY_ROUNDS} rounds of about ${group(per)}: the server pauses `
      + 'the stream after each, and the page is measured (JS heap, V8 + Blink, + wasm memory, after forced GCs) with the connection still open. '
      + '"B retained" is the growth over a round (median, min – max over the rounds); "after all" is the growth over the whole run; "Rust live" is what the Rust '
      + 'allocator holds then less before (the Rust clients count it), which tells retained data from the wasm memory\'s high-water mark; "one open source" is the page '
      + 'with the library loaded and one source open less the empty page; "wasm memory" is the module\'s memory at the end (it grows in 64 KiB pages and never shrinks). '
      + `A ratio below 1 is better; "—" where a figure is within 64 KiB of zero. The chart shows "after all".\n\n${text}`);
    // The chart shows the whole run's growth: a first round that grows the
    // wasm memory would stretch the per-round whiskers over everything else.
    const totals = new Map([...report.held].map(([name, result]) => [name, { median: result.retained }]));
    charts.push([file, barChart({ title, subtitle: `bytes retained after all ${short(count)} messages (after less before), JS heap + wasm memory after GC; shorter is better`, unit: 'bytes', rows: totals, labels, format: (v) => group(v) })]);
  }

  if (report.bytes) {
    const rows = new Map([...report.bytes].map(([name, b]) => [name, { median: b.total, min: b.total, max: b.total, extra: [group(b.js), group(b.wasm)] }]));
    const title = 'Bytes shipped (gzip -9)';
    const file = 'bench-bytes.svg';
    const { text } = markdownTable({ rows, clients, unit: 'bytes', format: (v) => group(v), better: 'lower', floor: 0, extraHeads: ['JS', 'wasm'], labels });
    sections.push(`### ${title}\n\n${figure(file, title)}\n\n`
      + 'What a page downloads for the client, gzipped at level 9: its JS minified (Vite library build; event-source-polyfill\'s own `eventsource.min.js`) '
      + 'plus its wasm. web-sse native does not fetch the wasm. The Rust clients are the bench crates (benches/browser/rust) built for size '
      + '(opt-level "z", LTO, wasm-opt -Oz), each with its own small harness (count, Held) in the wasm. The min – max column is the same figure (one build).\n\n'
      + text.replace(/\| ([\d,]+) – \1 \|/g, '| — |'));
    charts.push([file, barChart({ title, subtitle: 'gzip -9 bytes of minified JS + wasm; shorter is smaller', unit: 'bytes', rows: new Map([...rows].map(([k, v]) => [k, { median: v.median }])), labels, format: (v) => group(v) })]);
  }

  if (report.spec) {
    const total = VECTORS.length;
    const lines = ['| client | matching / native\'s events | extra events | vectors exact |', '| --- | ---: | ---: | ---: |'];
    const chartRows = new Map();
    for (const name of clients) {
      const list = report.spec.get(name);
      if (!list) continue;
      const matching = median(list.map((r) => r.matching));
      const of = list[0].nativeEvents;
      lines.push(`| ${labels(name)} | ${matching} / ${of} | ${median(list.map((r) => r.extra))} | ${median(list.map((r) => r.exact))} / ${list[0].vectors} |`);
      chartRows.set(name, { median: matching, min: Math.min(...list.map((r) => r.matching)), max: Math.max(...list.map((r) => r.matching)), label: `${matching} / ${of}` });
    }
    const differs = clients.filter((name) => report.spec.get(name)?.[0].differ.length)
      .map((name) => `- ${labels(name)}: ${report.spec.get(name)[0].differ.join(', ')}`);
    const title = 'Spec-exactness';
    const file = 'bench-spec.svg';
    sections.push(`### ${title}\n\n${figure(file, title)}\n\n`
      + `The ${total} vectors of tests/data/sse-vectors.json, each served as a response (its chunks 10 ms apart; a vector with several connections gets one per reconnect), `
      + `through each client with listeners for ${SPEC_TYPES.map((t) => `\`${t}\``).join(', ')}. Native \`EventSource\` is the oracle: an event matches when its type, data and `
      + 'lastEventId are those of native\'s event for the same response, in order (longest common subsequence); "extra" are events native did not deliver. '
      + `Native itself delivers ${report.nativeSpec.matched} of the ${report.nativeSpec.expected} events the vectors expect`
      + `${report.nativeSpec.differ.length ? ` (it differs on ${report.nativeSpec.differ.join(', ')})` : ''}. `
      + `One round (counts, not timings).\n\n${lines.join('\n')}\n\n`
      + `${differs.length ? `Vectors where a client differs from native:\n${differs.join('\n')}` : 'Every client matches native on every vector.'}`);
    charts.push([file, barChart({ title, subtitle: 'events matching native EventSource\'s, of native\'s events; longer is better', unit: 'matching events', rows: chartRows, labels, format: (v) => group(v) })]);
  }
  return { sections, charts, headline: headlines.join(' ') };
}

// ---------------------------------------------------------------- profile

async function profile(browser, origin, name, [n, size]) {
  await sleep(PAUSE_MS);
  const { page } = await openPage(browser, origin);
  let result;
  let cpu;
  try {
    const options = name === 'web-sse fetch' ? { pkg: '/profile-pkg/' } : {};
    // Load and initialize the client's modules before the profiler starts.
    await page.evaluate(([client, opts]) => globalThis.loadClient(client, opts), [name, options]);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    result = await page.evaluate(([client, count, bytes, opts]) => globalThis.runClient(client, count, bytes, opts), [name, n, size, options]);
    cpu = (await cdp.send('Profiler.stop')).profile;
  } finally {
    await page.context().close();
  }
  const file = path.join(targetDir, `${name.replace(/\W+/g, '-')}.cpuprofile`);
  fs.mkdirSync(targetDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(cpu));
  const { total, idle, rows } = selfTimes(cpu);
  console.log(`\nprofile of one '${name}' run (${result.ms.toFixed(0)} ms, main thread, 100 µs sampling; `
    + `busy ${((total - idle) / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms; ${path.relative(root, file)} opens in DevTools):`);
  console.log('  self ms   % busy  function');
  for (const [key, us] of rows.filter(([k]) => !k.startsWith('(idle)')).slice(0, 15)) {
    const [fn, where] = key.split('\t');
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ${((100 * us) / (total - idle)).toFixed(1).padStart(7)}%  ${fn}${where ? `  ${where}` : ''}`);
  }
}

/** Self time per function (name, file, line) from a CDP CPU profile. */
function selfTimes(cpu) {
  const byNode = new Map(cpu.nodes.map((node) => [node.id, node]));
  const time = new Map();
  for (let i = 0; i < cpu.samples.length; i += 1) {
    const us = cpu.timeDeltas[i + 1] ?? 0;
    time.set(cpu.samples[i], (time.get(cpu.samples[i]) ?? 0) + us);
  }
  const byFunction = new Map();
  for (const [id, us] of time) {
    const { functionName, url, lineNumber, columnNumber } = byNode.get(id).callFrame;
    const file = url ? url.replace(/^.*\//, '') : '';
    const where = file ? `${file}${lineNumber >= 0 && !file.endsWith('.wasm') && !url.startsWith('wasm:') ? `:${lineNumber + 1}:${columnNumber + 1}` : ''}` : '';
    const key = `${functionName || '(anonymous)'}\t${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
  const idle = byFunction.get('(idle)\t') ?? 0;
  return { total, idle, rows: [...byFunction].sort((a, b) => b[1] - a[1]) };
}

main().catch((error) => {
  console.error(`bench: ${error.stack ?? error}`);
  process.exitCode = 1;
});
