// `npm run bench`: browser throughput of each way to receive Server-Sent
// Events, in headless Chromium: 100,000 events of 64 bytes from a local
// server, time from construction to the n-th event in a 'message' listener.
//
//   npm run bench                           # build the Rust client, run, print, update docs/performance.md
//   npm run bench -- --rounds 9             # more rounds (default 5, at least 3)
//   npm run bench -- --no-doc               # print only
//   npm run bench -- --profile              # also: CPU profile of one 'web-sse fetch' run, top 15 self times
//   npm run bench -- --profile='web-sse Rust Stream'
//   npm run bench -- --only 'web-sse fetch,native'   # a subset (implies --no-doc)
//
// Each round runs every client once, in a fresh page, in an order rotated
// from round to round, with a short pause between runs; a figure is the
// median over the rounds (min and max beside it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, sleep } from '../../tests/e2e/helpers.mjs';
import { startServer } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const rustDir = path.join(here, 'rust');
const targetDir = path.join(rustDir, 'target');
const docPath = path.join(root, 'docs', 'performance.md');
const HEADING = '## Browser throughput: 100k × 64 B events';
const START = '<!-- bench:browser:start -->';
const END = '<!-- bench:browser:end -->';
const CLIENTS = ['native', 'web-sse native', 'web-sse fetch', 'event-source-polyfill', 'web-sse Rust Stream', 'ceiling'];
const PAUSE_MS = 300;
const WASM_OPT_FLAGS = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

function parseArgs(argv) {
  const options = { rounds: 5, n: 100_000, size: 64, doc: true, profile: null, only: null };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--rounds': options.rounds = Math.max(3, Number(value())); break;
      case '--n': options.n = Number(value()); break;
      case '--size': options.size = Number(value()); break;
      case '--no-doc': options.doc = false; break;
      case '--profile': options.profile = inline ?? 'web-sse fetch'; break;
      case '--only': options.only = value().split(',').map((s) => s.trim()); options.doc = false; break;
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
  if (options.n !== 100_000 || options.size !== 64) options.doc = false;
  return options;
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
function buildWasm({ cargoArgs, cargoTarget, input, outDir, outName, optLevel, lockFile }) {
  run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', ...cargoArgs],
    { env: { ...env, CARGO_TARGET_DIR: cargoTarget } });
  const output = path.join(outDir, `${outName}_bg.wasm`);
  if (mtime(output) >= mtime(input) && fs.existsSync(path.join(outDir, `${outName}.js`))) return;
  checkWasmBindgen(lockFile);
  run('wasm-bindgen', ['--target', 'web', '--out-dir', outDir, '--out-name', outName, input]);
  const wasmOpt = path.join(root, 'node_modules', '.bin', 'wasm-opt');
  if (!fs.existsSync(wasmOpt)) throw new Error(`${wasmOpt} is missing: run npm install`);
  // -g keeps the name section, so that a CPU profile names wasm functions;
  // it does not change the code.
  run(wasmOpt, [optLevel, '-g', ...WASM_OPT_FLAGS, '-o', `${output}.opt`, output]);
  fs.renameSync(`${output}.opt`, output);
}

/** The "web-sse Rust Stream" client: benches/browser/rust -> rust/pkg. */
function buildRustClient() {
  console.log('bench: building benches/browser/rust (cargo, incremental)');
  buildWasm({
    cargoArgs: ['--manifest-path', path.join(rustDir, 'Cargo.toml')],
    cargoTarget: targetDir,
    input: path.join(targetDir, 'wasm32-unknown-unknown', 'release', 'web_sse_browser_bench.wasm'),
    outDir: path.join(rustDir, 'pkg'),
    outName: 'web_sse_browser_bench',
    optLevel: '-O3',
    lockFile: path.join(rustDir, 'Cargo.lock'),
  });
}

/**
 * For --profile of 'web-sse fetch': the npm package's wasm as scripts/build.sh
 * builds it (the root crate's release profile, `js` feature, wasm-opt -Oz),
 * but with its function names, in rust/profile-pkg with js/index.js beside it.
 */
function buildProfilePackage() {
  console.log('bench: building a named copy of the package wasm for the profile');
  const outDir = path.join(rustDir, 'profile-pkg');
  // A target directory of its own: the bench crate's build also writes a
  // web_sse.wasm (the dependency is a cdylib too), without the `js` feature.
  const cargoTarget = path.join(targetDir, 'profile-pkg');
  buildWasm({
    cargoArgs: ['--manifest-path', path.join(root, 'Cargo.toml'), '--lib', '--features', 'js'],
    cargoTarget,
    input: path.join(cargoTarget, 'wasm32-unknown-unknown', 'release', 'web_sse.wasm'),
    outDir,
    outName: 'web_sse',
    optLevel: '-Oz',
    lockFile: path.join(root, 'Cargo.lock'),
  });
  fs.copyFileSync(path.join(root, 'js', 'index.js'), path.join(outDir, 'index.js'));
}

// ---------------------------------------------------------------- running

async function openPage(browser, origin) {
  const page = await browser.newPage();
  page.setDefaultTimeout(120_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => globalThis.benchReady === true);
  return { page, errors };
}

async function runOnce(browser, origin, name, n, size) {
  const { page, errors } = await openPage(browser, origin);
  try {
    return await page.evaluate(([client, count, bytes]) => globalThis.runClient(client, count, bytes), [name, n, size]);
  } catch (error) {
    throw new Error(`${name}: ${error.message}${errors.length ? `\n  page: ${errors.join('\n  page: ')}` : ''}`);
  } finally {
    await page.close();
  }
}

async function profileOnce(browser, origin, name, n, size) {
  const { page } = await openPage(browser, origin);
  try {
    const options = name === 'web-sse fetch' ? { pkg: '/profile-pkg/' } : {};
    // Load and initialize the client's modules before the profiler starts.
    await page.evaluate(async ([client, opts]) => {
      if (client === 'web-sse fetch') await (await import(`${opts.pkg}index.js`)).default();
      if (client === 'web-sse Rust Stream') await (await import('/rust/web_sse_browser_bench.js')).default();
      if (client === 'event-source-polyfill') {
        await new Promise((resolve) => {
          const script = document.createElement('script');
          script.src = '/polyfill/eventsource.min.js';
          script.onload = resolve;
          document.head.append(script);
        });
      }
    }, [name, options]);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    const result = await page.evaluate(([client, count, bytes, opts]) => globalThis.runClient(client, count, bytes, opts), [name, n, size, options]);
    const { profile } = await cdp.send('Profiler.stop');
    return { result, profile };
  } finally {
    await page.close();
  }
}

/** Self time per function (name, file, line) from a CDP CPU profile. */
function selfTimes(profile) {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const time = new Map();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    time.set(profile.samples[i], (time.get(profile.samples[i]) ?? 0) + us);
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

// ---------------------------------------------------------------- reporting

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const group = (value) => Math.round(value).toLocaleString('en-US');
const ratio = (value) => `${value.toFixed(2)}×`;

function machine() {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(lscpu)?.[1]?.trim();
  const model = field('Model name') ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const cores = field('CPU\\(s\\)') ?? String(os.cpus().length);
  return `${model}, ${cores} cores`;
}

function table(results, clients) {
  const rate = (name) => median(results.get(name).map((r) => r.rate));
  const native = results.has('native') ? rate('native') : NaN;
  const ceiling = results.has('ceiling') ? rate('ceiling') : NaN;
  const lines = [
    '| client | msgs/s (median) | min – max | ÷ native | ÷ ceiling |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const name of clients) {
    const rates = results.get(name).map((r) => r.rate);
    const value = median(rates);
    lines.push(`| ${name} | ${group(value)} | ${group(Math.min(...rates))} – ${group(Math.max(...rates))} | `
      + `${Number.isNaN(native) ? '—' : ratio(value / native)} | ${Number.isNaN(ceiling) ? '—' : ratio(value / ceiling)} |`);
  }
  return lines.join('\n');
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
  const clients = options.only ?? CLIENTS;
  const began = Date.now();
  if (!fs.existsSync(path.join(root, 'pkg', 'index.js'))) {
    throw new Error('pkg/index.js is missing: build the package first (npm run build)');
  }
  if (clients.includes('web-sse Rust Stream') || options.profile === 'web-sse Rust Stream') buildRustClient();
  if (options.profile === 'web-sse fetch') buildProfilePackage();

  const load = os.loadavg()[0];
  const server = await startServer();
  const browser = await launchBrowser();
  const results = new Map(clients.map((name) => [name, []]));
  let chromium = '';
  try {
    chromium = browser.version();
    console.log(`bench: ${server.origin}, Chromium ${chromium}, ${machine()}, load ${load.toFixed(2)}`);
    // Warm-up, not counted: the browser's first pages, the server's body.
    for (const name of clients) await runOnce(browser, server.origin, name, 10_000, options.size);
    for (let round = 0; round < options.rounds; round += 1) {
      const order = clients.map((_, i) => clients[(i + round) % clients.length]);
      const line = [];
      for (const name of order) {
        await sleep(PAUSE_MS);
        const result = await runOnce(browser, server.origin, name, options.n, options.size);
        const rate = options.n / (result.ms / 1000);
        results.get(name).push({ ...result, rate });
        line.push(`${name} ${result.ms.toFixed(0)} ms`);
      }
      console.log(`round ${round + 1}: ${line.join(', ')}`);
    }

    const n = `${options.n.toLocaleString('en-US')} × ${options.size} B`;
    const text = table(results, clients);
    console.log(`\n${n} events, median of ${options.rounds} rounds\n\n${text}\n`);

    if (options.doc) {
      const date = new Date().toISOString().replace(/T(\d\d:\d\d).*/, ', $1 UTC');
      writeDoc([
        `Measured ${date} with \`npm run bench\` (${options.rounds} rounds, load average ${load.toFixed(2)} before the run).`,
        `Machine: ${machine()}; Chromium ${chromium} (headless); Node ${process.versions.node}.`,
        '',
        text,
      ].join('\n'));
      console.log(`bench: wrote the table to ${path.relative(root, docPath)}`);
    }

    if (options.profile) {
      await sleep(PAUSE_MS);
      const { result, profile } = await profileOnce(browser, server.origin, options.profile, options.n, options.size);
      const file = path.join(targetDir, `${options.profile.replace(/\W+/g, '-')}.cpuprofile`);
      fs.mkdirSync(targetDir, { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
      const { total, idle, rows } = selfTimes(profile);
      console.log(`\nprofile of one '${options.profile}' run (${result.ms.toFixed(0)} ms, main thread, 100 µs sampling; `
        + `busy ${((total - idle) / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms; ${path.relative(root, file)} opens in DevTools):`);
      console.log('  self ms   % busy  function');
      for (const [key, us] of rows.filter(([key]) => !key.startsWith('(idle)')).slice(0, 15)) {
        const [fn, where] = key.split('\t');
        console.log(`${(us / 1000).toFixed(1).padStart(9)} ${((100 * us) / (total - idle)).toFixed(1).padStart(7)}%  ${fn}${where ? `  ${where}` : ''}`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(`bench: done in ${((Date.now() - began) / 1000).toFixed(0)} s`);
}

main().catch((error) => {
  console.error(`bench: ${error.stack ?? error}`);
  process.exitCode = 1;
});
