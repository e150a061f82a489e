// The npm package's native reconnect driver (js/native.js NativeConnection,
// and the browser's own object where no option asks for it) against its
// behaviour spec, tests/data/native-driver.json, in headless Chromium against
// the test fixture. tests/browser_native_driver.rs runs the same table
// against the Rust driver, so a rule changed on one side fails there or
// here. The data file's header says what each field means; this file only
// interprets it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HOST, eventually, openHarness, root, startFixture, startHarness } from './helpers.mjs';

const spec = JSON.parse(fs.readFileSync(path.join(root, 'tests', 'data', 'native-driver.json'), 'utf8'));

const FIXTURE_PORT = 18794;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;
const PAGE_PORT = 18094;

let harness;
let fixture;
let page;
let errors;

before(async () => {
  fixture = await startFixture(FIXTURE_PORT);
  harness = await startHarness({ port: PAGE_PORT });
  ({ page, errors } = await openHarness(harness));
});

after(async () => {
  await harness?.stop();
  fixture?.kill();
});

const stats = (key) => fetch(`${FIXTURE}/stats?key=${key}`).then((r) => r.json());

/** One run in the page: the log, and the ready state when it stopped. */
function runInPage({ url, options, listen, until, close, settle, timeout }) {
  // An error's kind as the log writes it (see the data file).
  const kind = (event) => {
    if (event.kind === 'timeout') return `timeout(${event.idleTimeout})`;
    if (event.kind === 'attempts') return `attempts(${event.attempts},${event.lastKind ?? '-'})`;
    return event.kind ?? '-';
  };
  const source = new t.ES(url, options);
  const log = [];
  let stopped = null;
  const push = (line, fatal) => {
    log.push(line);
    // A fatal error stops any scenario: nothing would follow it.
    if (stopped !== null || !(fatal || log.length === until)) return;
    stopped = source.readyState;
    if (close) source.close();
  };
  source.addEventListener('open', () => push('open', false));
  source.addEventListener('error', (event) => {
    push(`error ${event.willRetry ? 'retry' : 'fatal'} ${kind(event)} attempt ${source.attempt}`, !event.willRetry);
  });
  const eventIds = [];
  for (const type of listen) {
    source.addEventListener(type, (event) => {
      eventIds.push(event.lastEventId);
      push(`${type} ${event.data}`, false);
    });
  }
  return (async () => {
    await t.until(() => stopped !== null, timeout, 'the scenario to stop');
    await t.sleep(settle);
    const result = { log: [...log], readyState: stopped, eventIds };
    source.close();
    return result;
  })();
}

for (const scenario of spec.scenarios) {
  test(scenario.name, async () => {
    const { expect } = scenario;
    const gaps = [];
    for (let run = 0; run < (scenario.runs ?? 1); run += 1) {
      const key = `driver-${run}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
      const sep = scenario.route.includes('?') ? '&' : '?';
      const got = await page.evaluate(runInPage, {
        url: `${FIXTURE}${scenario.route}${sep}key=${key}`,
        options: scenario.options ?? {},
        listen: scenario.listen ?? [],
        until: scenario.until ?? null,
        close: scenario.close ?? false,
        settle: scenario.settle ?? spec.settle,
        timeout: spec.timeout,
      });
      // The server hears of a closed connection when the browser's socket
      // closes, which a loaded machine may delay past the settle time.
      if (expect.open !== undefined) {
        await eventually('the server to see the connections end', async () => (await stats(key)).open === expect.open, 5000).catch(() => {});
      }
      const seen = await stats(key);
      const what = `run ${run}: log ${JSON.stringify(got.log)}, server ${JSON.stringify(seen)}`;
      assert.deepEqual(got.log, expect.log, `the events: ${what}`);
      assert.equal(got.readyState, expect.readyState, `readyState: ${what}`);
      assert.equal(seen.connections, expect.requests, `requests: ${what}`);
      if (expect.lastEventIds) assert.deepEqual(seen.lastEventIds, expect.lastEventIds, `last event IDs: ${what}`);
      if (expect.eventIds) assert.deepEqual(got.eventIds, expect.eventIds, `the events' lastEventId: ${what}`);
      if (expect.open !== undefined) assert.equal(seen.open, expect.open, `connections left open: ${what}`);
      const measured = seen.times.slice(1).map((time, i) => time - seen.times[i]);
      (expect.gaps ?? []).forEach(({ min, max }, i) => {
        // Both times are the server's clock, in whole ms.
        if (min !== undefined) assert.ok(measured[i] >= min - 1, `gap ${i} is ${measured[i]} ms < ${min}: ${what}`);
        if (max !== undefined) {
          assert.ok(measured[i] <= max + spec.slack, `gap ${i} is ${measured[i]} ms > ${max} + ${spec.slack} ms: ${what}`);
        }
      });
      gaps.push(measured);
    }
    (expect.gaps ?? []).forEach(({ someBelow }, i) => {
      if (someBelow === undefined) return;
      const all = gaps.map((run) => run[i]);
      assert.ok(all.some((gap) => gap < someBelow), `gap ${i} never under ${someBelow} ms in ${all.length} runs: ${all}`);
    });
  });
}

test('no unexpected page errors', () => {
  // The browser logs the refused responses and the dropped connections.
  const expected = /Failed to load resource|net::ERR_|EventSource's response has/;
  assert.deepEqual(errors.filter((error) => !expected.test(error)), []);
});
