// Spec-exactness: the conformance vectors through each client, compared
// with what native EventSource delivers for the same responses.
import { inPage } from './page.mjs';
import { VECTORS } from './server.mjs';

/**
 * Every connected client through the vectors, side by side (counts, not
 * timings: one round), compared with native. Resolves to the report's
 * { spec: client -> [round], nativeSpec }.
 */
export async function specRuns({ browser, origin, connected, options, labels, stage }) {
  stage(`spec-exactness: ${VECTORS.length} vectors, clients side by side`);
  const results = new Map(connected.map((name) => [name, []]));
  for (let round = 0; round < 1; round += 1) {
    const rounds = await Promise.all(connected.map((name) => specRun(browser, origin, name, options.quick)));
    connected.forEach((name, i) => results.get(name).push(rounds[i]));
  }
  const spec = compareSpec(results, connected);
  const nativeSpec = nativeVsVectors(results.get('native')[0]);
  for (const [name, rounds] of spec) {
    console.log(`  ${labels(name)}: ${rounds.map((r) => `${r.matching}/${r.nativeEvents} (+${r.extra} extra, ${r.exact}/${r.vectors} vectors exact)`).join('; ')}`
      + `${rounds[0].differ.length ? `; differ: ${rounds[0].differ.join(', ')}` : ''}`);
  }
  console.log(`  native vs the vectors' expected events: ${nativeSpec.matched}/${nativeSpec.expected}`
    + `${nativeSpec.differ.length ? `; differ: ${nativeSpec.differ.join(', ')}` : ''}`);
  return { spec, nativeSpec };
}

/** Event types the spec run listens for: every type the vectors expect. */
export const SPEC_TYPES = [...new Set(VECTORS.flatMap((v) => v.expect.events.map((e) => e.type)).concat('message'))];

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
