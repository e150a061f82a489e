// Where the fetch transport's first event goes (docs/performance.md, "Time
// to the first event"): `node benches/trace-first-event.mjs` (RUNS=15 by
// default; build pkg/ first). Fresh harness pages, `init()` awaited; the
// page's Headers, AbortController, fetch and ReadableStreamDefaultReader.read
// are wrapped to note when each is first called or settles, from the
// construction of a fetch-transport source to its first `message`. Each
// "warm" run first builds and closes one source in the same page, which
// takes the first-call costs (V8 compiles a function on its first call)
// out of the clock. Prints the median (min) of each step in ms.
import { HOST, startFixture, openHarness, startHarness } from '../tests/e2e/helpers.mjs';
const fixture = await startFixture(18793);
const started = await startHarness({ port: 18096 });
const FIXTURE = `http://${HOST}:18793`;
const steps = ['ctor', 'Headers', 'AbortController', 'fetch', 'fetchReturned', 'fetched', 'read', 'readDone', 'message'];
const all = Object.fromEntries(steps.map((s) => [s, []]));
const warmAll = Object.fromEntries(steps.map((s) => [s, []]));
const runs = Number(process.env.RUNS || 15);
for (let i = 0; i < runs * 2; i += 1) {
  const warm = i % 2 === 1;
  const { page } = await openHarness(started, '');
  const r = await page.evaluate(async ({ url, warm }) => {
    let marks = {};
    let t0 = 0;
    const mark = (k) => { if (!(k in marks)) marks[k] = performance.now() - t0; };
    const wrap = (name, C) => new Proxy(C, { construct(T, args) { mark(name); return Reflect.construct(T, args); } });
    globalThis.Headers = wrap('Headers', Headers);
    globalThis.AbortController = wrap('AbortController', AbortController);
    const f = globalThis.fetch;
    globalThis.fetch = function (...a) { mark('fetch'); const p = f.apply(this, a); mark('fetchReturned'); p.then(() => mark('fetched'), () => {}); return p; };
    const rd = ReadableStreamDefaultReader.prototype.read;
    ReadableStreamDefaultReader.prototype.read = function () { mark('read'); const p = rd.call(this); p.then(() => mark('readDone'), () => {}); return p; };
    if (warm) {
      const w = new t.api.EventSource(url + '&warm=1', { transport: 'fetch' });
      w.close();
      await new Promise((r) => setTimeout(r, 50));
    }
    return new Promise((resolve) => {
      marks = {};
      t0 = performance.now();
      const es = new t.api.EventSource(url + `&k=${Math.random()}`, { transport: 'fetch' });
      mark('ctor');
      es.addEventListener('open', () => {});
      es.onmessage = () => { mark('message'); es.close(); resolve(marks); };
    });
  }, { url: `${FIXTURE}/sse/drop?n=1&hold=60000`, warm });
  for (const s of steps) (warm ? warmAll : all)[s].push(r[s] ?? NaN);
  await page.close();
}
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[s.length >> 1]; };
for (const s of steps) console.log(`${s.padEnd(16)} ${med(all[s]).toFixed(1).padStart(6)} (${Math.min(...all[s]).toFixed(1)})   warm ${med(warmAll[s]).toFixed(1).padStart(6)} (${Math.min(...warmAll[s]).toFixed(1)})`);
await started.stop();
fixture.kill();
