// `new EventSource(url, { shared: true })` (js/shared.js) in headless
// Chromium: many pages of one browser context, one connection. The fixture
// server (tests/fixture/server.mjs, its own port) counts the connections of
// each key and records every last event ID; its /sse/feed sends an event
// every 20 ms on one timeline per key, resuming after the ID it is given.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HOST, eventually, launchBrowser, requirePackage, root, startFixture } from './helpers.mjs';
import { startServer } from '../../www/server.mjs';

const FIXTURE_PORT = 18789;
const PAGE_PORT = 18790;
const FIXTURE = `http://${HOST}:${FIXTURE_PORT}`;
const INTERVAL = 20;

let fixture;
let server;
let browser;

before(async () => {
  await requirePackage();
  fixture = await startFixture(FIXTURE_PORT);
  server = await startServer({ host: HOST, port: PAGE_PORT, staticDirs: { '/harness/': path.join(root, 'tests', 'e2e') } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  fixture?.kill();
});

const key = (name) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const stats = (k) => fetch(`${FIXTURE}/stats?key=${k}`).then((r) => r.json());
const feed = (k) => `${FIXTURE}/sse/feed?key=${k}&interval=${INTERVAL}`;

/** A tab of `context` on the harness page, its errors collected. */
async function openTab(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(`http://${HOST}:${PAGE_PORT}/harness/harness.html`);
  await page.waitForFunction(() => document.title === 'ready');
  return { page, errors };
}

/**
 * Opens the tab's shared source: `got` collects the data (= the id) of each
 * message, `log` each open and error with the readyState at the time,
 * `roles` the part (`shared`) at the start and at each `rolechange`,
 * `stateLog` the readyState at each `statechange`.
 */
function openSource({ page }, url, init = {}) {
  return page.evaluate(async ({ url, init }) => {
    const es = new t.api.EventSource(url, { shared: true, lastEventIdParam: 'lastEventId', ...init });
    window.es = es;
    window.got = [];
    window.log = [];
    es.onmessage = (event) => {
      window.got.push(Number(event.data));
      if (event.lastEventId !== event.data) window.log.push(['bad id', event.lastEventId, event.data]);
    };
    es.addEventListener('open', () => window.log.push(['open', es.readyState]));
    es.addEventListener('error', (event) => window.log.push(['error', es.readyState, event.willRetry]));
    window.roles = [es.shared];
    es.addEventListener('rolechange', () => window.roles.push(es.shared));
    window.stateLog = [];
    es.addEventListener('statechange', () => window.stateLog.push(es.readyState));
    const shared = es.shared;
    // The lock manager has this tab's request once a query from the same
    // tab returns: tabs then queue for the lock in the order they opened.
    await navigator.locks?.query();
    return shared;
  }, { url, init });
}

const read = ({ page }) => page.evaluate(() => ({
  got: window.got, log: window.log, shared: es.shared, readyState: es.readyState, roles: window.roles, stateLog: window.stateLog,
}));

/** The ids a tab received: each one more than the last (none lost, none twice). */
function assertConsecutive(got, what) {
  assert.ok(got.length > 0, `${what}: no events`);
  for (let i = 1; i < got.length; i += 1) {
    if (got[i] !== got[i - 1] + 1) {
      assert.fail(`${what}: id ${got[i]} after ${got[i - 1]} (index ${i} of ${got.length}: ${got.slice(Math.max(0, i - 3), i + 3)})`);
    }
  }
}

async function closeAll(tabs) {
  await Promise.all(tabs.map(({ page }) => page.evaluate(() => es.close()).catch(() => {})));
}

/** From the server's spans of a key, each connection's close to the next one's request, in ms. */
const gapsOf = (spans) => spans.slice(1).map(([opened], i) => opened - (spans[i][1] ?? Infinity));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

test('10 tabs on one shared source: the server sees 1 connection, every tab every event', async () => {
  const context = await browser.newContext();
  try {
    const k = key('ten');
    const tabs = [];
    for (let i = 0; i < 10; i += 1) tabs.push(await openTab(context));
    for (const tab of tabs) await openSource(tab, feed(k));
    await eventually('every tab to have 50 events', async () => {
      const all = await Promise.all(tabs.map(read));
      return all.every(({ got }) => got.length >= 50);
    }, 20_000);
    const s = await stats(k);
    console.log(`10 tabs: server connections ${s.connections}, open ${s.open}, most open at once ${s.maxOpen}, sent ${s.sent}`);
    assert.equal(s.connections, 1);
    assert.equal(s.open, 1);
    assert.equal(s.maxOpen, 1);
    const all = await Promise.all(tabs.map(read));
    assert.deepEqual(all.map(({ shared }) => shared), ['leader', ...Array(9).fill('follower')]);
    assert.equal(all[0].got[0], 1, 'the leader starts at the first event');
    all.forEach(({ got, log }, i) => {
      assertConsecutive(got, `tab ${i}`);
      assert.deepEqual(log, [['open', 1]], `tab ${i}: one open, no error`);
    });
    // Every tab has every event from the one that joined last on.
    const from = Math.max(...all.map(({ got }) => got[0]));
    const to = Math.min(...all.map(({ got }) => got.at(-1)));
    assert.ok(to - from >= 40, `a common range of ${to - from} events`);

    // close() in followers stops them only; in the last tab it ends the connection.
    await closeAll(tabs.slice(1));
    const before = (await read(tabs[0])).got.length;
    await eventually('the leader to go on', async () => (await read(tabs[0])).got.length >= before + 10);
    assert.equal((await stats(k)).open, 1);
    await closeAll(tabs.slice(0, 1));
    await eventually('the server to see the connection closed', async () => (await stats(k)).open === 0);
    // No lock held or waited for, no timer: the origin's lock manager is empty.
    const locks = await tabs[0].page.evaluate(() => navigator.locks.query());
    assert.deepEqual({ held: locks.held.length, pending: locks.pending.length }, { held: 0, pending: 0 });
    assert.equal((await stats(k)).connections, 1);
    for (const [i, { errors }] of tabs.entries()) assert.deepEqual(errors, [], `tab ${i}`);
  } finally {
    await context.close();
  }
});

/**
 * 20 candidate tabs and 2 observer tabs; the candidates queued first for the
 * lock, so they lead in turn and each is killed by `kill` while the feed runs.
 * The observers live through all 20 hand-overs. Each hand-over resumes, so it
 * is quiet: no `error` and no second `open` anywhere, a `statechange` to
 * CONNECTING and back instead; and the server, which counts its open
 * responses, never has two open at once.
 */
async function handOvers(kill, { transport = 'native' } = {}) {
  const context = await browser.newContext();
  try {
    const k = key(`handover-${transport}`);
    const url = feed(k);
    const init = transport === 'fetch' ? { transport: 'fetch' } : {};
    const candidates = [];
    const observers = [];
    for (let i = 0; i < 20; i += 1) candidates.push(await openTab(context));
    for (let i = 0; i < 2; i += 1) observers.push(await openTab(context));
    const first = [];
    for (const tab of [...candidates, ...observers]) first.push(await openSource(tab, url, init));
    assert.deepEqual([...new Set(first)], ['pending'], 'every source is pending until it leads or hears of a leader');
    const progress = async (past) => {
      await eventually(`the observers past id ${past}`, async () => {
        const all = await Promise.all(observers.map(read));
        return all.every(({ got }) => got.length > 0 && got.at(-1) > past);
      }, 10_000);
    };
    await progress(10);
    const times = [];
    for (let i = 0; i < 20; i += 1) {
      const leader = candidates[i];
      const { shared: role, roles, log } = await read(leader);
      if (role !== 'leader') {
        const all = await Promise.all([...candidates.slice(i), ...observers].map((tab) => read(tab).then(({ shared, log: l }) => `${shared} ${JSON.stringify(l.slice(-4))}`)));
        assert.fail(`candidate ${i} is a ${role} (stats ${JSON.stringify(await stats(k))}, from candidate ${i} on: ${all.join('; ')}, times ${times})`);
      }
      // Followers until their turn; the first leads from the start.
      assert.deepEqual(roles, i === 0 ? ['pending', 'leader'] : ['pending', 'follower', 'leader'], `candidate ${i}'s roles`);
      assert.deepEqual(log, [['open', 1]], `candidate ${i}: one open, no error`);
      const started = Date.now();
      await kill(leader.page);
      const s = await eventually(`connection ${i + 2}`, async () => {
        const now = await stats(k);
        return now.connections >= i + 2 && now;
      }, 5000);
      times.push(s.times[i + 1] - started);
      await progress(Number(s.lastEventIds[i + 1]) + 5);
    }
    const final = await stats(k);
    // Let the last events reach the observers, then compare.
    await progress(Number(final.lastEventIds.at(-1)) + 20);
    const seen = await Promise.all(observers.map(read));
    const sorted = [...times].sort((a, b) => a - b);
    const gaps = gapsOf(final.spans);
    console.log(`${transport}, ${kill.label}: gap from a connection's close to the next one's request (ms; negative: both open) min ${Math.min(...gaps).toFixed(1)}, median ${median(gaps).toFixed(1)} (all: ${gaps.map((g) => g.toFixed(1)).join(' ')})`);
    console.log(`${transport}, ${kill.label}: 20 hand-overs, server connections ${final.connections}, most open at once ${final.maxOpen}, `
      + `hand-over median ${median(times)} ms, max ${sorted.at(-1)} ms (all: ${times.join(' ')}); `
      + `Last-Event-IDs ${final.lastEventIds.slice(1).join(' ')}; observers got ids ${seen.map(({ got }) => `${got[0]}..${got.at(-1)} (${got.length})`).join(', ')}; `
      + `statechange events per observer ${seen.map(({ stateLog }) => stateLog.length).join(' ')}`);
    assert.equal(final.connections, 21);
    assert.equal(final.maxOpen, 1, 'never two connections open at once');
    assert.equal(final.lastEventIds[0], null);
    for (let i = 1; i < 21; i += 1) assert.match(`${final.lastEventIds[i]}`, /^\d+$/, `connection ${i + 1} resumes`);
    seen.forEach(({ got, log, shared, roles, stateLog }, i) => {
      assertConsecutive(got, `observer ${i}`);
      assert.ok(got[0] <= Number(final.lastEventIds[1]), `observer ${i} was there before the first hand-over`);
      // Quiet hand-overs: the first open, and no error at all.
      assert.deepEqual(log, [['open', 1]], `observer ${i}: one open, no error`);
      // The first observer leads after the last candidate.
      assert.deepEqual(roles, i === 0 ? ['pending', 'follower', 'leader'] : ['pending', 'follower'], `observer ${i}'s roles`);
      // Each hand-over shows: CONNECTING, then OPEN again.
      assert.ok(stateLog.filter((state) => state === 0).length >= 20, `observer ${i}'s statechanges: ${stateLog}`);
      assert.equal(stateLog.at(-1), 1);
      assert.equal(shared, i === 0 ? 'leader' : 'follower');
    });
    await closeAll(observers);
    await eventually('the last connection closed', async () => (await stats(k)).open === 0);
    for (const [i, { errors }] of observers.entries()) assert.deepEqual(errors, [], `observer ${i}`);
    return times;
  } finally {
    await context.close();
  }
}

const closeTab = Object.assign((page) => page.close({ runBeforeUnload: true }).then(() => page.isClosed() || new Promise((resolve) => page.once('close', resolve))), { label: 'tab closed (unload handlers run)' });
const closeNoUnload = Object.assign((page) => page.close({ runBeforeUnload: false }), { label: 'page.close({ runBeforeUnload: false })' });
const crash = Object.assign(async (page) => {
  const cdp = await page.context().newCDPSession(page);
  // The renderer dies at once: no unload, no close() (the call never answers).
  cdp.send('Page.crash').catch(() => {});
  await new Promise((resolve) => page.once('crash', resolve));
  await page.close().catch(() => {});
}, { label: 'renderer crashed (CDP Page.crash)' });

test('closing the leader tab: 20 hand-overs, each tab gets every event once, in order, no error, never 2 connections', async () => {
  await handOvers(closeTab);
});

test('closing the leader without unload handlers: the same', async () => {
  await handOvers(closeNoUnload);
});

test('crashing the leader: the same', async () => {
  await handOvers(crash);
});

test('fetch transport: closing the leader tab, 20 quiet hand-overs resume with the Last-Event-ID header', async () => {
  await handOvers(closeTab, { transport: 'fetch' });
});

test('fetch transport: crashing the leader, 20 hand-overs resume with the Last-Event-ID header', async () => {
  await handOvers(crash, { transport: 'fetch' });
});

test('a worker shares the tabs\' connection, and leads when the tab that led closes its source', async () => {
  const context = await browser.newContext();
  try {
    const k = key('worker');
    const [first, second] = [await openTab(context), await openTab(context)];
    assert.equal(await openSource(first, feed(k)), 'pending', 'pending until it holds the lock');
    await eventually('the first tab to lead', async () => (await read(first)).shared === 'leader');
    await second.page.evaluate((url) => {
      // A module worker on the same origin: the package, shared, in a worker.
      const code = `const { EventSource } = await import('${location.origin}/pkg/index.js');
        const es = new EventSource(${JSON.stringify(url)}, { shared: true, lastEventIdParam: 'lastEventId' });
        es.onmessage = (event) => postMessage(['event', Number(event.data)]);
        es.onerror = () => postMessage(['error', es.readyState]);
        postMessage(['shared', es.shared]);
        setInterval(() => postMessage(['shared', es.shared]), 50);`;
      window.got = [];
      window.log = [];
      window.worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })), { type: 'module' });
      window.worker.onmessage = ({ data: [kind, value] }) => {
        if (kind === 'event') window.got.push(value);
        else if (kind === 'shared') window.workerShared = value;
        else window.log.push([kind, value]);
      };
      window.worker.onerror = (event) => window.log.push(['worker error', event.message]);
      window.es = { shared: 'unshared', readyState: 0, close: () => window.worker.terminate() };
    }, feed(k));
    const workerState = () => second.page.evaluate(() => ({ got: window.got, log: window.log, shared: window.workerShared }));
    // Fails at once on a worker error (eventually() would retry past a
    // throw), and a time-out says how far the worker and the leader got.
    const workerUntil = async (what, check) => {
      let failed = null;
      try {
        await eventually(what, async () => {
          const state = await workerState();
          if (state.log.length > 0 && state.log[0][0] === 'worker error') failed = state.log;
          return failed !== null || check(state);
        });
      } catch (error) {
        const { got, shared } = await workerState();
        const leader = await read(first).catch(() => null);
        error.message += `; the worker (${shared ?? 'not started'}) got ${got.length} events (${got[0]}..${got.at(-1)}), `
          + `the first tab (${leader?.shared}) ${leader?.got.length}, stats ${JSON.stringify(await stats(k))}`;
        throw error;
      }
      if (failed) assert.fail(JSON.stringify(failed));
    };
    await workerUntil('the worker to get 20 events', ({ got }) => got.length >= 20);
    assert.equal((await workerState()).shared, 'follower');
    assert.equal((await stats(k)).connections, 1);
    await first.page.evaluate(() => es.close());
    await workerUntil('the worker to lead', ({ shared }) => shared === 'leader');
    const last = (await workerState()).got.at(-1);
    await workerUntil('the worker to get 20 more', ({ got }) => got.at(-1) >= last + 20);
    const s = await stats(k);
    const { got, log } = await workerState();
    console.log(`worker: server connections ${s.connections}, Last-Event-IDs ${s.lastEventIds.join(' ')}, worker got ${got[0]}..${got.at(-1)}`);
    assert.equal(s.connections, 2);
    assert.match(`${s.lastEventIds[1]}`, /^\d+$/);
    assertConsecutive(got, 'the worker');
    assert.deepEqual(log, [], 'the hand-over resumes: no error');
    await second.page.evaluate(() => window.worker.terminate());
    // A terminated worker releases its lock and its connection too.
    await eventually('the worker\'s connection closed', async () => (await stats(k)).open === 0);
  } finally {
    await context.close();
  }
});

test('the leader\'s connection drops: every tab sees a reconnect, no hand-over, no event lost', async () => {
  const context = await browser.newContext();
  try {
    const k = key('drop');
    const tabs = [];
    for (let i = 0; i < 3; i += 1) tabs.push(await openTab(context));
    for (const tab of tabs) {
      await openSource(tab, `${feed(k)}&drop=25`);
      await tab.page.evaluate(() => {
        window.states = 0;
        es.addEventListener('statechange', () => { window.states += 1; });
      });
    }
    await eventually('every tab past id 150', async () => {
      const all = await Promise.all(tabs.map(read));
      return all.every(({ got }) => got.length > 0 && got.at(-1) > 150);
    }, 20_000);
    const s = await stats(k);
    const all = await Promise.all(tabs.map(read));
    const states = await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.states)));
    console.log(`drops: server connections ${s.connections} (most open at once ${s.maxOpen}), Last-Event-IDs ${s.lastEventIds.join(' ')}, statechange events per tab ${states.join(' ')}`);
    assert.ok(s.connections >= 6, `${s.connections} connections`);
    assert.equal(s.maxOpen, 1);
    assert.deepEqual(all.map(({ shared }) => shared), ['leader', 'follower', 'follower']);
    all.forEach(({ got, log }, i) => {
      assertConsecutive(got, `tab ${i}`);
      const errors = log.filter(([kind]) => kind === 'error');
      assert.ok(errors.length >= 5 && errors.every(([, state, willRetry]) => state === 0 && willRetry === true), `tab ${i}: ${JSON.stringify(log)}`);
    });
    // Followers see the leader's state changes too.
    assert.ok(states[1] > 0 && states[2] > 0, `statechange in followers: ${states}`);
    await closeAll(tabs);
  } finally {
    await context.close();
  }
});

test('a fatal error reaches every tab, every tab closes, and the server sees 1 request', async () => {
  const context = await browser.newContext();
  const lockManager = (tab) => tab.page.evaluate(() => navigator.locks.query())
    .then(({ held, pending }) => ({ held: held.length, pending: pending.length }));
  try {
    const k = key('fatal');
    // The server holds its 404 until /gate, so that every tab waits for the
    // lock by then: a tab opened after the refusal is a new source, and asks
    // again (as the later tab below does). With the lock released as the
    // refusal is posted, the next tab could get the lock before the message
    // (about 1 run in 6 made 2 requests).
    const url = `${FIXTURE}/sse/status?code=404&gate=1&key=${k}`;
    const tabs = [];
    for (let i = 0; i < 10; i += 1) tabs.push(await openTab(context));
    for (const tab of tabs) await openSource(tab, url);
    await eventually('the leader\'s request', async () => (await stats(k)).connections === 1);
    // A source is 'pending' until it leads or hears of the leader.
    await eventually('every tab to know its part', async () => (await Promise.all(tabs.map(read))).every(({ shared }) => shared !== 'pending'));
    assert.deepEqual((await Promise.all(tabs.map(read))).map(({ shared }) => shared), ['leader', ...Array(9).fill('follower')]);
    await fetch(`${FIXTURE}/gate?key=${k}`);
    await eventually('every tab closed', async () => (await Promise.all(tabs.map(read))).every(({ readyState }) => readyState === 2));
    // The leader keeps the lock until every tab has closed; then nothing is left.
    await eventually('no lock held or waited for', async () => {
      const locks = await lockManager(tabs[0]);
      return locks.held === 0 && locks.pending === 0;
    }, 5000);
    const all = await Promise.all(tabs.map(read));
    const s = await stats(k);
    console.log(`fatal, 10 tabs: server requests ${s.connections}; logs ${all.map(({ log }) => JSON.stringify(log)).join(' ')}`);
    for (const [i, { log }] of all.entries()) assert.deepEqual(log, [['error', 2, false]], `tab ${i}`);
    assert.equal(s.connections, 1, 'one request for every tab');

    // A source opened after the refusal leads, and asks the server again.
    const later = await openTab(context);
    await openSource(later, url);
    await eventually('the later tab closed', async () => (await read(later)).readyState === 2);
    const { shared, log } = await read(later);
    assert.equal(shared, 'leader');
    assert.deepEqual(log, [['error', 2, false]]);
    assert.equal((await stats(k)).connections, 2);
    await eventually('no lock held or waited for', async () => {
      const locks = await lockManager(later);
      return locks.held === 0 && locks.pending === 0;
    }, 5000);
    for (const [i, { errors }] of [...tabs, later].entries()) assert.deepEqual(errors, [], `tab ${i}`);
  } finally {
    await context.close();
  }
});

test('a different header is a different key: separate connections', async () => {
  const context = await browser.newContext();
  try {
    const k = key('keys');
    const tabs = [];
    for (let i = 0; i < 4; i += 1) tabs.push(await openTab(context));
    for (const [i, tab] of tabs.entries()) {
      await openSource(tab, feed(k), { transport: 'fetch', headers: { 'X-Tenant': i % 2 ? 'b' : 'a' } });
    }
    // And another URL on the native transport.
    const other = key('keys-other');
    const extra = [await openTab(context), await openTab(context)];
    for (const tab of extra) await openSource(tab, feed(other));
    await eventually('every tab to have 10 events', async () => {
      const all = await Promise.all([...tabs, ...extra].map(read));
      return all.every(({ got }) => got.length >= 10);
    }, 10_000);
    const [s, t] = [await stats(k), await stats(other)];
    console.log(`two header values: server connections ${s.connections}, open ${s.open}; another URL: ${t.connections}`);
    assert.equal(s.connections, 2);
    assert.equal(s.open, 2);
    assert.equal(t.connections, 1);
    const all = await Promise.all([...tabs, ...extra].map(read));
    assert.deepEqual(all.map(({ shared }) => shared), ['leader', 'leader', 'follower', 'follower', 'leader', 'follower']);
    all.forEach(({ got }, i) => assertConsecutive(got, `tab ${i}`));
    await closeAll([...tabs, ...extra]);
    await eventually('all closed', async () => (await stats(k)).open === 0 && (await stats(other)).open === 0);
  } finally {
    await context.close();
  }
});

test('without Web Locks each tab connects on its own and says it is unshared', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'locks', { value: undefined, configurable: true });
  });
  try {
    const k = key('nolocks');
    const tabs = [];
    for (let i = 0; i < 3; i += 1) tabs.push(await openTab(context));
    const roles = [];
    for (const tab of tabs) roles.push(await openSource(tab, feed(k)));
    assert.deepEqual(roles, ['unshared', 'unshared', 'unshared']);
    await eventually('every tab to have 10 events', async () => {
      const all = await Promise.all(tabs.map(read));
      return all.every(({ got }) => got.length >= 10);
    }, 10_000);
    const s = await stats(k);
    console.log(`no Web Locks, 3 tabs: server connections ${s.connections}, open ${s.open}`);
    assert.equal(s.connections, 3);
    assert.equal(s.open, 3);
    await closeAll(tabs);
  } finally {
    await context.close();
  }
});
