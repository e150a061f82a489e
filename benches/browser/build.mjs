// Building what the bench page loads: the Rust clients (cargo, wasm-bindgen,
// wasm-opt), a named copy of the package's wasm for --profile, and the peers'
// and clients' JS bundled by Vite; then what each client ships (gzip -9).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { distDir, here, root, RUST, rustDir, targetDir } from './config.mjs';

const WASM_OPT_FLAGS = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

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
 * Everything the run needs built: the Rust clients it runs (and profiles),
 * the named package for --profile, and the bundles. The size builds only
 * for a full run that measures bytes shipped.
 */
export async function buildAll({ clients, options, measures }) {
  const sizeBuilds = !options.quick && measures.has('bytes');
  const rustDirs = Object.entries(RUST).filter(([name]) => clients.includes(name) || options.profile === name).map(([, dir]) => dir);
  buildRustClients(rustDirs, { size: sizeBuilds, quick: options.quick });
  if (options.profile === 'web-sse fetch') buildProfilePackage();
  await bundleAll({ sizePkg: sizeBuilds });
}

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
    // Only the Rust clients built: a run of some clients (--only) on a fresh
    // clone has not built the others, and measures no bytes.
    ...Object.fromEntries(Object.values(RUST).filter((dir) => fs.existsSync(rustGlue(dir)))
      .map((dir) => [`size-${dir}`, `export * from ${importPath(rustGlue(dir))};`])),
  });
}

// ---------------------------------------------------------------- versions, bytes

export function versions() {
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
/**
 * The gzipped size of a bundle's entry and the chunks it loads: those it
 * imports statically, which every page loads, and with `dynamic` those it
 * imports on demand too (the fetch transport's glue and parser), except the
 * shared mode's, which only `shared: true` loads. Each chunk counts once.
 */
function chunksSize(entry, { dynamic }) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = fs.readFileSync(file, 'utf8');
    const statics = [...code.matchAll(/(?:^|[;}\s])import\s*(?:[^'"`();]*?from\s*)?["'`](\.[^"'`]+)["'`]/g)].map((m) => m[1]);
    const lazy = dynamic ? [...code.matchAll(/import\(\s*["'`](\.[^"'`]+)["'`]\s*\)/g)].map((m) => m[1]) : [];
    for (const spec of [...statics, ...lazy.filter((spec) => !path.basename(spec).startsWith('shared'))]) {
      visit(path.resolve(path.dirname(file), spec));
    }
  };
  visit(entry);
  return [...seen].reduce((sum, file) => sum + gzipSize(file), 0);
}

function bytesShipped(clients, { sizePkg }) {
  const dist = (name) => path.join(distDir, `${name}.js`);
  const table = new Map();
  const rustWasm = (dir) => path.join(sizePkg ? path.join(targetDir, 'size-pkg') : path.join(rustDir, 'pkg'), dir, `${rustOutName(dir)}_bg.wasm`);
  for (const name of clients) {
    let entry;
    if (name === 'native') entry = { js: 0, wasm: 0 };
    else if (name === 'web-sse native') entry = { js: chunksSize(dist('size-web-sse'), { dynamic: false }), wasm: 0 };
    else if (name === 'web-sse fetch') entry = { js: chunksSize(dist('size-web-sse'), { dynamic: true }), wasm: gzipSize(path.join(root, 'pkg', 'web_sse_bg.wasm')) };
    else if (RUST[name]) entry = { js: gzipSize(dist(`size-${RUST[name]}`)), wasm: gzipSize(rustWasm(RUST[name])) };
    else if (name === 'event-source-polyfill') entry = { js: gzipSize(path.join(root, 'node_modules', 'event-source-polyfill', 'src', 'eventsource.min.js')), wasm: 0 };
    else if (name === '@microsoft/fetch-event-source') entry = { js: gzipSize(dist('fetch-event-source')), wasm: 0 };
    else if (name === 'eventsource') entry = { js: gzipSize(dist('eventsource')), wasm: 0 };
    else continue; // the ceiling ships nothing and is no client
    table.set(name, { ...entry, total: entry.js + entry.wasm });
  }
  return table;
}

/** The "bytes shipped" measure: client -> { js, wasm, total }. */
export function bytesRuns({ connected, options, labels, stage }) {
  const full = !options.quick;
  stage(`bytes shipped${full ? '' : ' (the speed builds of the Rust clients: --quick skips the size builds)'}`);
  const bytes = bytesShipped(connected, { sizePkg: full });
  for (const [name, b] of bytes) console.log(`  ${labels(name)}: ${b.total} B (JS ${b.js}, wasm ${b.wasm})`);
  return bytes;
}
