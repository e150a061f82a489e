// The bench page (benches/browser/run.mjs drives it): `runClient(name, n,
// size)` opens one client on /stream?n=&size=, counts events in a 'message'
// listener, and resolves with the time from construction to the n-th event.
// Each client's code is loaded only when it runs, and any wasm it needs is
// initialized before the clock starts: module loading is not per-event cost.

/** Same as payload() in server.mjs. */
function payload(size) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
  let text = '';
  while (text.length < size) text += alphabet;
  return text.slice(0, size);
}

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

const clients = {
  async native(url, n) {
    return measure(() => new EventSource(url), n);
  },
  async 'web-sse native'(url, n) {
    const { EventSource: WebSse } = await import('/pkg/index.js');
    return measure(() => new WebSse(url), n);
  },
  async 'web-sse fetch'(url, n, options = {}) {
    const pkg = options.pkg ?? '/pkg/';
    const { default: init, EventSource: WebSse } = await import(`${pkg}index.js`);
    await init();
    return measure(() => new WebSse(url, { transport: 'fetch' }), n);
  },
  async 'event-source-polyfill'(url, n) {
    await loadScript('/polyfill/eventsource.min.js');
    // In Chromium it reads the body with fetch() and a streaming TextDecoder
    // (its FetchTransport), so it does not keep the response text. The
    // heartbeat timeout only matters on a slow run: 10 minutes.
    return measure(() => new globalThis.EventSourcePolyfill(url, { heartbeatTimeout: 600_000 }), n);
  },
  async 'web-sse Rust Stream'(url, n) {
    const { default: init, stream_count: streamCount } = await import('/rust/web_sse_browser_bench.js');
    await init();
    const [ms, bytes] = await streamCount(new URL(url, location.href).href, n);
    return { ms, count: n, bytes };
  },
  async ceiling(_url, n, _options, size) {
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
};

globalThis.clientNames = Object.keys(clients);

globalThis.runClient = async (name, n, size, options = {}) => {
  const client = clients[name];
  if (!client) throw new Error(`no client ${name}`);
  const url = `/stream?n=${n}&size=${size}&nonce=${Math.random().toString(36).slice(2)}`;
  const result = await client(url, n, options, size);
  if (result.count !== n || result.bytes !== n * size) {
    throw new Error(`${name}: got ${result.count} events, ${result.bytes} bytes; expected ${n}, ${n * size}`);
  }
  return result;
};

globalThis.benchReady = true;
