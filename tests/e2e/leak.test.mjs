// Leak test: open/close cycles of sources whose listeners close over them
// (`es.onmessage = () => es.close()`), never calling free(). Garbage is
// collected through CDP several times, with pauses so that finalizers run,
// and the JS heap plus the wasm memory is measured before and after. The
// browser's own EventSource runs the same cycles in the same browser, as the
// reference.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openHarness, sleep, startHarness } from './helpers.mjs';

const CYCLES = 2000;
const WARMUP = 200;
/** Bytes per cycle the facade may grow by; native grows about 20. */
const BOUND = 100;

let harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.stop();
});

/**
 * Runs `count` open/close cycles of `which` in the page: 'native', 'ours'
 * (the browser's own object, of the package's class), 'facade' (ours on the
 * native transport under an idle timeout: the facade over the browser's
 * object), 'fetch' (ours on the fetch transport) or 'stream' (fromReadableStream).
 */
function cycles(page, which, count) {
  return page.evaluate(async ({ which, count }) => {
    const Class = which === 'native' ? t.Native : t.ES;
    const init = { fetch: { transport: 'fetch' }, facade: { idleTimeout: 60_000 } }[which];
    for (let i = 0; i < count; i += 1) {
      // Not t.within: its pending timers would be counted as growth.
      let timer;
      await new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`cycle ${i} timed out`)), 5000);
        const source = which === 'stream'
          ? t.api.EventSource.fromReadableStream(new Blob(['id: 1\ndata: first\n\nevent: info\ndata: x\n\n']).stream())
          : new Class('/test/script', init);
        // Every listener closes over the source: the cycle the page makes.
        source.onmessage = () => {
          source.close();
          resolve();
        };
        source.onerror = () => {
          source.close();
          resolve();
        };
        source.addEventListener('open', () => {
          source.opened = source.readyState;
        });
        if (which !== 'native') {
          source.addJsonListener('stats', () => source.url);
          (async () => {
            for await (const event of source.events('info')) {
              if (event.target !== source) break;
            }
          })();
        }
      });
      clearTimeout(timer);
    }
  }, { which, count });
}

/** JS heap plus wasm memory, in bytes, after repeated collections. */
async function retained(page, cdp) {
  await page.evaluate(() => performance.clearResourceTimings());
  for (let i = 0; i < 4; i += 1) {
    await cdp.send('HeapProfiler.collectGarbage');
    // FinalizationRegistry callbacks and cleanup run in later tasks.
    await sleep(150);
  }
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(() => t.wasm.memory.buffer.byteLength);
  return usedSize + wasm;
}

async function perCycle(which) {
  const { page } = await openHarness(harness);
  try {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.enable');
    await cycles(page, which, WARMUP);
    const start = await retained(page, cdp);
    await cycles(page, which, CYCLES);
    const end = await retained(page, cdp);
    return (end - start) / CYCLES;
  } finally {
    await page.close();
  }
}

let native;

test(`${CYCLES} open/close cycles whose listeners close over the source grow the page by under ${BOUND} B each`, async () => {
  native = await perCycle('native');
  const ours = await perCycle('ours');
  console.log(`leak: ${CYCLES} cycles, JS heap + wasm memory after GC: web-sse ${ours.toFixed(1)} B/cycle, native EventSource ${native.toFixed(1)} B/cycle`);
  assert.ok(ours < BOUND, `web-sse grows ${ours.toFixed(1)} B per cycle (bound ${BOUND}; native ${native.toFixed(1)})`);
  await eventually('every cycle to close its stream on the server', () => harness.server.openStreams() === 0);
});

test(`the same through the facade over the browser's object (an idle timeout): under ${BOUND} B per cycle`, async () => {
  const facade = await perCycle('facade');
  console.log(`leak: ${CYCLES} cycles through the native facade, JS heap + wasm memory after GC: ${facade.toFixed(1)} B/cycle (native ${native?.toFixed(1)})`);
  assert.ok(facade < BOUND, `the native facade grows ${facade.toFixed(1)} B per cycle (bound ${BOUND})`);
  await eventually('every cycle to close its stream on the server', () => harness.server.openStreams() === 0);
});

test(`the same on transport: 'fetch': under ${BOUND} B per cycle, aborted fetches release everything`, async () => {
  const fetch = await perCycle('fetch');
  console.log(`leak: ${CYCLES} cycles on transport 'fetch', JS heap + wasm memory after GC: ${fetch.toFixed(1)} B/cycle (native ${native?.toFixed(1)})`);
  assert.ok(fetch < BOUND, `the fetch transport grows ${fetch.toFixed(1)} B per cycle (bound ${BOUND})`);
  await eventually('every cycle to close its stream on the server', () => harness.server.openStreams() === 0);
});

test(`${CYCLES} sources from fromReadableStream, read and dropped: under ${BOUND} B per cycle`, async () => {
  const stream = await perCycle('stream');
  console.log(`leak: ${CYCLES} fromReadableStream sources, JS heap + wasm memory after GC: ${stream.toFixed(1)} B/cycle (native ${native?.toFixed(1)})`);
  assert.ok(stream < BOUND, `fromReadableStream grows ${stream.toFixed(1)} B per cycle (bound ${BOUND})`);
});
