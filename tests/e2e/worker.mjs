// A module worker for tests/e2e/facade.test.mjs: installs the package's class
// as the worker's global EventSource, uses it through that name, and posts
// what it saw.
const Native = self.EventSource;
const { EventSource, isSupported } = await import('/pkg/index.js');
self.EventSource = EventSource;

const source = new self.EventSource('/test/script');
const seen = [];
const note = function (event) {
  seen.push([event.type, event.data, this === source, event.target === source]);
};
source.onmessage = note;
source.addEventListener('info', note);
const iterated = [];
for await (const event of source.events()) {
  iterated.push(event.data);
  if (iterated.length === 2) source.close();
}
// The fetch transport too: its wasm loads and runs in the worker.
const fetched = new self.EventSource('/test/script', { transport: 'fetch' });
const viaFetch = await new Promise((resolve) => {
  fetched.onmessage = (event) => {
    fetched.close();
    resolve([event.data, event.target === fetched, event.origin === self.location.origin]);
  };
});

self.postMessage({
  viaFetch,
  supported: isSupported(),
  installed: self.EventSource !== Native && new self.EventSource('/test/ticks') instanceof EventSource,
  eventTarget: source instanceof EventTarget,
  seen: seen.slice(0, 3),
  iterated,
  state: source.readyState,
});
