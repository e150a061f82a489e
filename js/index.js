// The npm package's entry: a drop-in `EventSource` that is a real
// `EventTarget`, plus async iteration and JSON. This module only re-exports;
// each concept has its module:
//
//   eventsource.js        the page's EventSource class: the browser's own
//                         object where no option needs more, else a facade
//   options.js            the page's options, read and checked
//   connection.js         the base of the connections below: state, `statechange`
//   connect.js            which connection an unshared source gets
//   native.js             native: the page's object itself, the browser's
//                         object forwarded, or under a policy
//   parsed.js             fetch and fromReadableStream: the wasm parser reads them;
//   parsing.js            what they run, loaded with the wasm
//   shared-connection.js  `shared: true`: the source, its seat taken at once
//   shared-seat.js        the protocol's part that cannot wait: channel, locks
//   shared.js             the cross-tab protocol (Rust's too), loaded with the
//   shared-host.js        first shared source, with the package's host of it
//   wasm.js               the wasm loader (and its glue, web_sse.js), loaded on first use
//   facts.js              the facts of a failure: `error` events, `lastError`
//   iterator.js, json.js  `events()`, `jsonEvents()`, `addJsonListener()`
//
// Five kinds of connection: the browser's object as the page's, native under
// a policy, fetch, a stream the page owns, and shared. Only fetch and streams
// load the wasm module (with parsing.js); only shared sources load shared.js and shared-host.js.

export { default, isFetchSupported } from './wasm.js';
export { EventSource } from './eventsource.js';
export { EventIterator } from './iterator.js';
export { isSupported } from './native.js';
