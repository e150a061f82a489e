// The bench page (benches/browser/run.mjs drives it). Each client has an
// adapter with two ways in:
//
// - `count(url, n)`: construct a source, count n 'message' events in one
//   listener (summing `data.length`), close it; resolves to { ms, count,
//   bytes } with ms from construction to the n-th event. Throughput, time to
//   the first event, and one open/close cycle of the memory run.
// - `hold(url, types, record)`: a source left open, with a listener for each
//   of `types` that counts events and, when `record`, keeps [type, data,
//   lastEventId] of each; also counts 'error' events. The memory run over
//   many messages and the spec-exactness vectors.
//
// A client's code is loaded (and its wasm initialized) by `load(name)`,
// before any clock starts: module loading is not per-event cost.

/** Same as payload() in server.mjs. */
function payload(size) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
  let text = '';
  while (text.length < size) text += alphabet;
  return text.slice(0, size);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nonce = () => Math.random().toString(36).slice(2);

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/**
 * Times `open()` (which constructs a source) up to the n-th 'message' event.
 * Any 'error' event fails the run: the server keeps the response open, so a
 * reconnect would mean something went wrong and the count would be wrong.
 */
function measure(open, n) {
  return new Promise((resolve, reject) => {
    let count = 0;
    let bytes = 0;
    let source = null;
    const onMessage = (event) => {
      bytes += event.data.length;
      count += 1;
      if (count === n) {
        const ms = performance.now() - start;
        source.close();
        resolve({ ms, count, bytes });
      }
    };
    const onError = () => {
      source.close();
      reject(new Error(`error event after ${count} events (readyState ${source.readyState})`));
    };
    const start = performance.now();
    source = open();
    source.addEventListener('message', onMessage);
    source.addEventListener('error', onError);
  });
}

/** An adapter for a class with the EventSource interface. */
function eventSourceLike(construct, memory = null) {
  return {
    memory,
    count: (url, n) => measure(() => construct(url), n),
    hold(url, types, record) {
      const source = construct(url);
      const tally = { count: 0, bytes: 0, errors: 0, events: [] };
      const onEvent = (event) => {
        tally.count += 1;
        tally.bytes += event.data.length;
        if (record) tally.events.push(event.type, event.data, event.lastEventId);
      };
      for (const type of types) source.addEventListener(type, onEvent);
      source.addEventListener('error', () => {
        tally.errors += 1;
      });
      return {
        count: () => tally.count,
        bytes: () => tally.bytes,
        errors: () => tally.errors,
        events: () => tally.events,
        close: () => source.close(),
      };
    },
  };
}

/**
 * @microsoft/fetch-event-source: a function with callbacks, closed with an
 * AbortSignal. It does not reconnect when a response ends unless `onclose`
 * throws (its README's way), which `hold` does; its `onerror` returning
 * nothing retries after the server's `retry:` (default 1 s).
 */
function microsoft(fetchEventSource) {
  return {
    memory: null,
    count(url, n) {
      return new Promise((resolve, reject) => {
        const controller = new AbortController();
        let count = 0;
        let bytes = 0;
        const start = performance.now();
        fetchEventSource(url, {
          signal: controller.signal,
          openWhenHidden: true,
          onmessage(message) {
            bytes += message.data.length;
            count += 1;
            if (count === n) {
              const ms = performance.now() - start;
              controller.abort();
              resolve({ ms, count, bytes });
            }
          },
          onclose() {
            throw new Error('the response ended');
          },
          onerror(error) {
            controller.abort();
            reject(new Error(`error after ${count} events: ${error?.message ?? error}`));
            throw error;
          },
        }).catch(() => {});
      });
    },
    hold(url, types, record) {
      const controller = new AbortController();
      const tally = { count: 0, bytes: 0, errors: 0, events: [] };
      fetchEventSource(url, {
        signal: controller.signal,
        openWhenHidden: true,
        onmessage(message) {
          const type = message.event || 'message';
          if (!types.includes(type)) return;
          tally.count += 1;
          tally.bytes += message.data.length;
          // `id` is the id line of this event's block, if any ('' otherwise):
          // the library does not carry the last event ID over to later events.
          if (record) tally.events.push(type, message.data, message.id);
        },
        onclose() {
          throw new Error('the response ended');
        },
        onerror() {
          tally.errors += 1;
        },
      }).catch(() => {});
      return {
        count: () => tally.count,
        bytes: () => tally.bytes,
        errors: () => tally.errors,
        events: () => tally.events,
        close: () => controller.abort(),
      };
    },
  };
}

/** A Rust client: benches/browser/rust/<dir>, built by run.mjs. */
async function rust(dir) {
  const glue = await import(`/rust/${dir}/bench_${dir.replaceAll('-', '_')}.js`);
  const wasm = await glue.default();
  return {
    memory: wasm.memory,
    liveBytes: () => glue.liveBytes(),
    async count(url, n) {
      const [ms, bytes] = await glue.count(new URL(url, location.href).href, n);
      return { ms, count: n, bytes };
    },
    hold(url, types, record) {
      const held = new glue.Held(new URL(url, location.href).href, types, record);
      let closed = false;
      return {
        count: () => held.count(),
        bytes: () => held.bytes(),
        errors: () => held.errors(),
        events: () => held.events(),
        close() {
          if (closed) return;
          closed = true;
          held.close();
          // The reading task ends on its own once the stream does.
          setTimeout(() => held.free(), 1000);
        },
      };
    },
  };
}

const loaders = {
  native: async () => eventSourceLike((url) => new EventSource(url)),
  'web-sse native': async () => {
    const { EventSource: WebSse } = await import('/pkg/index.js');
    return eventSourceLike((url) => new WebSse(url));
  },
  'web-sse fetch': async (options) => {
    const { default: init, EventSource: WebSse } = await import(`${options.pkg ?? '/pkg/'}index.js`);
    const wasm = await init();
    return eventSourceLike((url) => new WebSse(url, { transport: 'fetch' }), wasm.memory);
  },
  'web-sse Rust native': () => rust('web-sse-native'),
  'web-sse Rust fetch': () => rust('web-sse-fetch'),
  'event-source-polyfill': async () => {
    await loadScript('/polyfill/eventsource.min.js');
    // In Chromium it reads the body with fetch() and a streaming TextDecoder
    // (its FetchTransport), so it does not keep the response text. The
    // heartbeat timeout only matters on a slow run: 10 minutes.
    return eventSourceLike((url) => new globalThis.EventSourcePolyfill(url, { heartbeatTimeout: 600_000 }));
  },
  '@microsoft/fetch-event-source': async () => microsoft((await import('/dist/fetch-event-source.js')).fetchEventSource),
  eventsource: async () => {
    const { EventSource: Peer } = await import('/dist/eventsource.js');
    return eventSourceLike((url) => new Peer(url));
  },
  'gloo-net': () => rust('gloo-net'),
  // The memory run's control: what one request costs the page, whoever makes
  // it (the browser keeps a few hundred bytes per request). fetch() of the
  // same stream, its first chunk read, then aborted.
  'fetch() control': async () => ({
    memory: null,
    async count(url, n) {
      if (n !== 1) throw new Error('the control reads one event');
      const start = performance.now();
      const controller = new AbortController();
      const response = await fetch(url, { signal: controller.signal });
      const { value } = await response.body.getReader().read();
      const ms = performance.now() - start;
      controller.abort();
      const text = new TextDecoder().decode(value);
      if (!text.startsWith('data: ')) throw new Error(`the control read ${JSON.stringify(text.slice(0, 20))}`);
      return { ms, count: 1, bytes: text.length - 'data: \n\n'.length };
    },
    hold() {
      throw new Error('the control only does cycles');
    },
  }),
  ceiling: async () => ({
    memory: null,
    // No network: n MessageEvents constructed and dispatched on an EventTarget.
    async count(url, n) {
      const size = Number(new URL(url, location.href).searchParams.get('size'));
      const data = payload(size);
      const { origin } = location;
      const target = new EventTarget();
      let count = 0;
      let bytes = 0;
      target.addEventListener('message', (event) => {
        bytes += event.data.length;
        count += 1;
      });
      const start = performance.now();
      for (let i = 0; i < n; i += 1) {
        target.dispatchEvent(new MessageEvent('message', { data, lastEventId: '', origin }));
      }
      const ms = performance.now() - start;
      return { ms, count, bytes };
    },
    hold() {
      throw new Error('the ceiling has no connection');
    },
  }),
};

globalThis.clientNames = Object.keys(loaders);

let current = null;
let currentName = null;

/** Loads a client (once per page). */
async function load(name, options = {}) {
  if (currentName === name) return current;
  if (currentName !== null) throw new Error(`this page already has ${currentName}`);
  const loader = loaders[name];
  if (!loader) throw new Error(`no client ${name}`);
  current = await loader(options);
  currentName = name;
  return current;
}

globalThis.loadClient = async (name, options) => {
  await load(name, options);
};

/** Bytes of the loaded client's wasm memory (0 without wasm). */
globalThis.wasmBytes = () => current?.memory?.buffer.byteLength ?? 0;

/** Bytes the Rust allocator has live, for the Rust clients (null otherwise). */
globalThis.wasmLive = () => current?.liveBytes?.() ?? null;

const streamUrl = (n, size, extra = '') => `/stream?n=${n}&size=${size}&nonce=${nonce()}${extra}`;

/** One count() run, checked: exactly n events and n × size bytes. */
globalThis.runClient = async (name, n, size, options = {}) => {
  const client = await load(name, options);
  const result = await client.count(streamUrl(n, size), n);
  if (result.count !== n || result.bytes !== n * size) {
    throw new Error(`${name}: got ${result.count} events, ${result.bytes} bytes; expected ${n}, ${n * size}`);
  }
  return result;
};

/** `cycles` open/first event/close cycles, `parallel` at a time. */
globalThis.runCycles = async (name, cycles, parallel) => {
  const client = await load(name);
  let started = 0;
  const worker = async () => {
    while (started < cycles) {
      started += 1;
      const result = await client.count(streamUrl(1, 64), 1);
      if (result.count !== 1 || result.bytes !== 64) throw new Error(`${name}: a cycle got ${result.count} events`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
};

let held = null;

/**
 * Opens one source on a stream of `targets.at(-1)` events that pauses after
 * each of the other targets (event counts), and waits for the first target.
 */
globalThis.holdOpen = async (name, targets, size) => {
  const client = await load(name);
  const id = nonce();
  const n = targets.at(-1);
  const holds = targets.slice(0, -1).join(',');
  held = { id, targets: [...targets], size, handle: client.hold(streamUrl(n, size, `&holds=${holds}&id=${id}`), ['message'], false) };
  await waitCount(held.targets.shift());
};

async function waitCount(n) {
  const { handle } = held;
  let last = -1;
  let still = performance.now();
  while (handle.count() < n) {
    if (handle.errors() > 0) throw new Error(`${currentName}: error event after ${handle.count()} events`);
    if (handle.count() !== last) {
      last = handle.count();
      still = performance.now();
    } else if (performance.now() - still > 30_000) {
      throw new Error(`${currentName}: stuck at ${last} of ${n} events`);
    }
    await sleep(20);
  }
  if (handle.count() !== n || handle.bytes() !== n * held.size) {
    throw new Error(`${currentName}: got ${handle.count()} events, ${handle.bytes()} bytes; expected ${n}, ${n * held.size}`);
  }
}

/** Lets the held stream go on to its next target, and waits for it. */
globalThis.holdNext = async () => {
  const response = await fetch(`/release?id=${held.id}`);
  if (response.status !== 204) throw new Error(`/release answered ${response.status}`);
  await waitCount(held.targets.shift());
};

globalThis.holdClose = () => {
  held.handle.close();
  held = null;
};

/**
 * The conformance vectors through the client: `list` is [{ v, connections }]
 * (v: the index in sse-vectors.json), run `parallel` at a time, each on its
 * own source with a listener for each of `types`. Each resolves to the
 * recorded events (flat [type, data, lastEventId, ...]), the client's error
 * events, and what the server saw (requests, ended, lastEventIds).
 */
globalThis.runVectors = async (name, list, types, parallel) => {
  const client = await load(name);
  const results = new Array(list.length);
  let next = 0;
  const one = async ({ v, connections }) => {
    const run = nonce();
    const handle = client.hold(`/vector?v=${v}&run=${run}`, types, true);
    try {
      const status = await (await fetch(`/vector-wait?run=${run}&count=${connections}`)).json();
      // The last response has ended at the server; let the page dispatch it.
      await sleep(300);
      return { v, ...status, events: [...handle.events()], errors: handle.errors() };
    } finally {
      handle.close();
    }
  };
  const worker = async () => {
    while (next < list.length) {
      const i = next;
      next += 1;
      results[i] = await one(list[i]);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
};

globalThis.benchReady = true;
