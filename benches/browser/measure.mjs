// The timed and memory measures, on the bench page: throughput, the time to
// the first event, memory over open/close cycles and over many messages.
//
// Each measure takes the run: { browser, origin, clients, connected (the
// clients but the ceiling), sizes (see plan()), options, stage (logs the
// start of a stage) }.
import { CONTROL, MEMORY_ROUNDS, PAUSE_MS } from './config.mjs';
import { group, split } from './format.mjs';
import { inPage } from './page.mjs';
import { sleep } from '../../support/wait.mjs';

/**
 * --quick: one page per client for every throughput size and the first
 * event, a smoke run. Resolves to the report's { throughput, firstEvent }.
 */
export async function quickRuns({ browser, origin, clients, connected, sizes, stage }, measures) {
  const report = { throughput: [], firstEvent: null };
  if (!measures.has('throughput') && !measures.has('first-event')) return report;
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
  return report;
}

/**
 * Throughput at each size: every client once per round, a fresh page each,
 * in an order rotated from round to round. Resolves to [{ n, size, results:
 * client -> ms of each round }].
 */
export async function throughputRuns({ browser, origin, clients, sizes, options, stage }) {
  const report = [];
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
        await sleep(PAUSE_MS);
        const result = await runOnce(browser, origin, name, n, size);
        results.get(name).push(result.ms);
        line.push(`${name} ${result.ms.toFixed(0)} ms`);
      }
      console.log(`  round ${round + 1}: ${line.join(', ')}`);
    }
    report.push({ n, size, results });
  }
  return report;
}

/** The time to the first event, in rounds as throughput: client -> ms of each round. */
export async function firstEventRuns({ browser, origin, connected, sizes, options, stage }) {
  stage('time to the first event');
  const results = new Map(connected.map((name) => [name, []]));
  for (let round = 0; round < Math.max(options.rounds, sizes.firstEventRounds); round += 1) {
    const order = connected.map((_, i) => connected[(i + round) % connected.length]);
    for (const name of order) {
      await sleep(PAUSE_MS / 3);
      const result = await runOnce(browser, origin, name, 1, 64);
      results.get(name).push(result.ms);
    }
    console.log(`  round ${round + 1}: ${order.map((name) => `${name} ${results.get(name).at(-1).toFixed(1)} ms`).join(', ')}`);
  }
  return results;
}

/**
 * Memory: open/close cycles (with the fetch() control) a few clients at a
 * time, then many messages on one connection, every client side by side.
 * Resolves to the report's { cycles, held }: client -> result.
 */
export async function memoryRuns({ browser, origin, connected, sizes, stage }) {
  const describe = (r) => `wasm ${group(r.wasm)}${r.live === null ? '' : `, Rust live ${group(r.live)}`}`;
  stage(`memory: ${group(sizes.cycles)} open/close cycles in ${MEMORY_ROUNDS} rounds, ${sizes.cyclesParallel} client${sizes.cyclesParallel > 1 ? 's' : ''} at a time`);
  const cycled = [...connected, CONTROL];
  const cycles = await sideBySide(cycled, sizes.cyclesParallel, async (name) => {
    const result = await memoryCycles(browser, origin, name, sizes);
    console.log(`  ${name}: ${result.rounds.map((r) => `${r.perCycle.toFixed(1)} B/cycle (${describe(r)})`).join(', ')}; ${(result.ms / 1000).toFixed(1)} s`);
    return result;
  });
  stage(`memory: ${group(sizes.held[1])} messages on one connection in ${MEMORY_ROUNDS} rounds, clients side by side`);
  const held = await sideBySide(connected, connected.length, async (name) => {
    const result = await memoryHeld(browser, origin, name, sizes);
    console.log(`  ${name}: ${result.rounds.map((r) => `${group(r.retained)} B (${describe(r)})`).join(', ')}; ${(result.ms / 1000).toFixed(1)} s`);
    return result;
  });
  return {
    cycles: new Map(cycled.map((name, i) => [name, cycles[i]])),
    held: new Map(connected.map((name, i) => [name, held[i]])),
  };
}

async function runOnce(browser, origin, name, n, size) {
  return inPage(browser, origin, name, async (page) => {
    await page.evaluate((client) => globalThis.loadClient(client), name);
    return page.evaluate(([client, count, bytes]) => globalThis.runClient(client, count, bytes), [name, n, size]);
  });
}

/** JS heap (V8 used + Blink's cppgc heap) after forced GCs, plus wasm memory. */
async function memoryOf(page, cdp, [passes, pause]) {
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
async function memoryCycles(browser, origin, name, { cycles, cyclesWarmup, gcPasses }) {
  return inPage(browser, origin, name, async (page) => {
    const cdp = await page.context().newCDPSession(page);
    await page.evaluate((client) => globalThis.loadClient(client), name);
    await page.evaluate(([client, k]) => globalThis.runCycles(client, k, 1), [name, cyclesWarmup]);
    const before = await memoryOf(page, cdp, gcPasses);
    const began = Date.now();
    const rounds = [];
    let last = before;
    for (const k of split(cycles, MEMORY_ROUNDS)) {
      await page.evaluate(([client, count]) => globalThis.runCycles(client, count, 1), [name, k]);
      const now = await memoryOf(page, cdp, gcPasses);
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
async function memoryHeld(browser, origin, name, { held: [first, more], gcPasses }) {
  return inPage(browser, origin, name, async (page) => {
    const cdp = await page.context().newCDPSession(page);
    const empty = await memoryOf(page, cdp, gcPasses);
    const targets = [first];
    for (const k of split(more, MEMORY_ROUNDS)) targets.push(targets.at(-1) + k);
    await page.evaluate(([client, t]) => globalThis.holdOpen(client, t, 64), [name, targets]);
    const open = await memoryOf(page, cdp, gcPasses);
    const began = Date.now();
    const rounds = [];
    let last = open;
    for (let i = 1; i < targets.length; i += 1) {
      await page.evaluate(() => globalThis.holdNext());
      const now = await memoryOf(page, cdp, gcPasses);
      rounds.push({ retained: now.total - last.total, wasm: now.wasm - last.wasm, live: now.live === null ? null : now.live - last.live });
      last = now;
    }
    const ms = Date.now() - began;
    await page.evaluate(() => globalThis.holdClose());
    return { retained: last.total - open.total, rounds, oneSource: open.total - empty.total, empty, open, after: last, ms };
  });
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
