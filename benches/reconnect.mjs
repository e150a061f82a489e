// Measures the reconnect policy's spacing against its bounds, from the
// server's side: 20 sources per transport, each refused with 503 for 12
// attempts, under { base: 100, cap: 800 }. For each wait n it prints the
// ceiling min(cap, base × 2^n), the mean, min and max spacing the fixture
// server saw, and the mean as a share of the ceiling (full jitter: ~0.5 plus
// the round trip). A second scenario has the server end each response after
// 10 events, with `retry: 50` (a serverless time limit, a proxy that cuts
// long responses): a connection that delivered events waits the server's
// reconnection time, so every spacing stays near 50 ms plus the response.
// The fixture runs in a process of its own, so that its
// clock never waits on this one's; the sources run on the page tests'
// harness page.
//
//   npm run build && node benches/reconnect.mjs
import { spawn } from 'node:child_process';
import path from 'node:path';
import { openHarness, startHarness } from '../support/harness.mjs';
import { root } from '../support/paths.mjs';
import { HOST } from '../support/server.mjs';
import { eventually } from '../support/wait.mjs';

const FIXTURE_PORT = 18797;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;
const SOURCES = 20;
const ATTEMPTS = 12;
const BASE = 100;
const CAP = 800;

const fixture = spawn(process.execPath, [path.join(root, 'tests', 'fixture', 'server.mjs')], {
  env: { ...process.env, PORT: String(FIXTURE_PORT), HOST },
  stdio: 'ignore',
});
let harness;
try {
  await eventually('the fixture server', () => fetch(`${FIXTURE}/health`).then((r) => r.ok, () => false));
  harness = await startHarness({ port: 18097, mounts: { '/harness/': path.join(root, 'tests', 'e2e') } });
  const { page } = await openHarness(harness, 'harness/harness.html');
  for (const transport of ['native', 'fetch']) {
    const keys = Array.from({ length: SOURCES }, (_, i) => `spacing-${transport}-${i}-${Date.now()}`);
    // Five at a time: a source that got through holds one of the six
    // HTTP/1.1 connections the browser allows per host.
    for (let i = 0; i < keys.length; i += 5) {
      await page.evaluate(async ({ fixture, keys, transport, base, cap, attempts }) => {
        const sources = keys.map((k) => new t.ES(`${fixture}/sse/fail?k=${attempts + 1}&code=503&key=${k}`, {
          transport, reconnect: { base, cap },
        }));
        await Promise.all(sources.map((source) => t.next(source, 'ready', 60000)));
        for (const source of sources) source.close();
      }, { fixture: FIXTURE, keys: keys.slice(i, i + 5), transport, base: BASE, cap: CAP, attempts: ATTEMPTS });
    }
    const spacings = await Promise.all(keys.map(async (k) => {
      const { times } = await fetch(`${FIXTURE}/stats?key=${k}`).then((r) => r.json());
      return times.slice(1).map((time, i) => time - times[i]);
    }));
    console.log(`\n${transport} transport: ${SOURCES} sources, ${ATTEMPTS} refused attempts each, base ${BASE} ms, cap ${CAP} ms\n`);
    console.log('| wait | ceiling (ms) | mean (ms) | min (ms) | max (ms) | mean / ceiling |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    let over = 0;
    for (let n = 0; n < ATTEMPTS; n += 1) {
      const ceiling = Math.min(CAP, BASE * 2 ** n);
      const gaps = spacings.map((s) => s[n]);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      over = Math.max(over, Math.max(...gaps) - ceiling);
      console.log(`| ${n + 1} | ${ceiling} | ${mean.toFixed(0)} | ${Math.min(...gaps)} | ${Math.max(...gaps)} | ${(mean / ceiling).toFixed(2)} |`);
    }
    console.log(`\nlargest overshoot of a ceiling: ${over.toFixed(0)} ms (the round trip of a refused request)`);
  }
  for (const transport of ['native', 'fetch']) {
    const keys = Array.from({ length: SOURCES }, (_, i) => `ending-${transport}-${i}-${Date.now()}`);
    for (let i = 0; i < keys.length; i += 5) {
      await page.evaluate(async ({ fixture, keys, transport, responses }) => {
        const counts = keys.map(() => 0);
        const sources = keys.map((k, j) => {
          const source = new t.ES(`${fixture}/sse/drop?n=10&retry=50&key=${k}`, { transport });
          source.onmessage = () => { counts[j] += 1; };
          return source;
        });
        await t.until(() => counts.every((n) => n >= 10 * responses), 60000, 'every response');
        for (const source of sources) source.close();
      }, { fixture: FIXTURE, keys: keys.slice(i, i + 5), transport, responses: ATTEMPTS + 1 });
    }
    const spacings = await Promise.all(keys.map(async (k) => {
      const { times } = await fetch(`${FIXTURE}/stats?key=${k}`).then((r) => r.json());
      return times.slice(1, ATTEMPTS + 1).map((time, i) => time - times[i]);
    }));
    const all = spacings.flat();
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    console.log(`\n${transport} transport, default options: ${SOURCES} sources, ${ATTEMPTS + 1} responses each of 10 events, `
      + `then the server ends it; retry: 50\n`);
    console.log('| response → next | mean (ms) | min (ms) | max (ms) |');
    console.log('|---:|---:|---:|---:|');
    for (let n = 0; n < ATTEMPTS; n += 1) {
      const gaps = spacings.map((s) => s[n]);
      const m = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      console.log(`| ${n + 1} | ${m.toFixed(0)} | ${Math.min(...gaps)} | ${Math.max(...gaps)} |`);
    }
    console.log(`\nall ${all.length} spacings: mean ${mean.toFixed(0)} ms, max ${Math.max(...all)} ms`);
  }
} finally {
  await harness?.stop();
  fixture.kill();
}
