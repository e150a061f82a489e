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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser } from '../../support/browser.mjs';
import { buildAll, bytesRuns, versions } from './build.mjs';
import { CLIENTS, root } from './config.mjs';
import { firstEventRuns, memoryRuns, quickRuns, throughputRuns } from './measure.mjs';
import { parseArgs, plan } from './options.mjs';
import { profile } from './profile.mjs';
import { machine, writeReport } from './report.mjs';
import { startServer } from './server.mjs';
import { specRuns } from './spec.mjs';

// This file runs the stages in order; each concern is a module of its own:
// options.mjs (the command line, the sizes), build.mjs (the Rust clients, the
// bundles, bytes shipped), server.mjs (the bench's routes), page.mjs (a bench
// page), measure.mjs (throughput, first event, memory), spec.mjs (the
// vectors against native), report.mjs (the markdown and docs/), charts.mjs
// (the SVG), profile.mjs (--profile), config.mjs (clients and directories).
async function main() {
  const options = parseArgs(process.argv.slice(2));
  const clients = options.only ?? CLIENTS;
  const measures = new Set(options.measures);
  const began = Date.now();
  if (!fs.existsSync(path.join(root, 'pkg', 'index.js'))) {
    throw new Error('pkg/index.js is missing: build the package first (npm run build)');
  }
  if (measures.has('spec') && !clients.includes('native')) {
    console.log('bench: no spec-exactness run without native, its oracle');
    measures.delete('spec');
  }
  await buildAll({ clients, options, measures });
  const built = Date.now();
  const peerVersions = versions();
  const load = os.loadavg()[0];
  const server = await startServer();
  const browser = await launchBrowser();
  const run = {
    browser,
    origin: server.origin,
    clients,
    connected: clients.filter((name) => name !== 'ceiling'),
    sizes: plan(options),
    options,
    labels: (name) => (peerVersions[name] ? `${name} ${peerVersions[name]}` : name),
    stage: (name) => console.log(`\nbench: ${name} (${((Date.now() - began) / 1000).toFixed(0)} s)`),
    peerVersions, load, began, built, chromium: '',
  };
  const report = { throughput: [], firstEvent: null, cycles: null, held: null, bytes: null, spec: null, nativeSpec: null };
  try {
    run.chromium = browser.version();
    console.log(`bench: ${run.origin}, Chromium ${run.chromium}, ${machine()}, load ${load.toFixed(2)}, `
      + `${options.rounds} round${options.rounds > 1 ? 's' : ''}${options.quick ? ' (--quick)' : ''}`);
    if (measures.has('bytes')) report.bytes = bytesRuns(run);
    if (options.quick) Object.assign(report, await quickRuns(run, measures));
    if (!options.quick && measures.has('throughput')) report.throughput = await throughputRuns(run);
    if (!options.quick && measures.has('first-event')) report.firstEvent = await firstEventRuns(run);
    if (measures.has('memory')) Object.assign(report, await memoryRuns(run));
    if (measures.has('spec')) Object.assign(report, await specRuns(run));
    if (options.profile) await profile(browser, run.origin, options.profile, run.sizes.throughput[0]);
  } finally {
    await browser.close();
    await server.close();
  }
  writeReport(report, run);
}

main().catch((error) => {
  console.error(`bench: ${error.stack ?? error}`);
  process.exitCode = 1;
});
