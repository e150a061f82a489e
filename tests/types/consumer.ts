// A TypeScript consumer of the npm package: tests/e2e/types.test.mjs runs
// `tsc --noEmit` on it against pkg/ (the built package, resolved through its
// package.json). Every line that must not compile says so with @ts-expect-error.
import init, { EventIterator, EventSource, isFetchSupported, isSupported, type JsonErrorEvent } from 'web-sse';

await init();
if (!isSupported()) throw new Error('no EventSource here');
const fetchable: boolean = isFetchSupported();

const source = new EventSource(new URL('/events', location.href), { withCredentials: true });
const posted = new EventSource('/chat', {
  transport: 'fetch',
  method: 'POST',
  headers: { Authorization: 'Bearer token' },
  body: JSON.stringify({ prompt: 'hi' }),
  retryOn: [502, 503],
});
posted.addEventListener('error', (event) => {
  if (!event.willRetry && event.status === 401) posted.close();
});

// The request per attempt, and the replay rule.
let token = 'first';
const fresh = new EventSource('/chat', {
  transport: 'fetch',
  method: 'POST',
  headers: async ({ attempt, lastEventId, refresh }) => ({ Authorization: `Bearer ${token}#${attempt}${lastEventId}${refresh ?? ''}` }),
  body: ({ attempt }) => JSON.stringify({ prompt: 'hi', attempt }),
  url: () => new URL('/chat?sig=1', location.href),
  refreshOn: [401],
  replay: 'resume',
});
fresh.addEventListener('error', (event) => {
  const rule: 'resume' | 'never' | undefined = event.replay;
  if (event.kind === 'request-hook') token = `${event.cause}`;
  return rule;
});
// @ts-expect-error: not a replay rule
new EventSource('/chat', { transport: 'fetch', replay: 'sometimes' });

// A drop-in: usable wherever the DOM's type is expected, and as the global.
const asDom: globalThis.EventSource = source;
const constructor: typeof globalThis.EventSource = EventSource;
globalThis.EventSource = EventSource;
const state: number = asDom.readyState + constructor.OPEN + EventSource.CLOSED + source.CONNECTING;

source.onmessage = function (event) {
  const data: string = event.data;
  if (data === 'stop' && state >= 0) this.close();
};
source.onerror = (event) => event.target;
source.addEventListener('open', (event) => event.timeStamp);
source.addEventListener('info', (event) => {
  const data: string = event.data;
  return data;
});
source.addEventListener('jsonerror', (event: JsonErrorEvent) => {
  const eventType: string = event.error.eventType;
  event.preventDefault();
  return eventType;
});
source.addEventListener('message', { handleEvent: (event: Event) => event.type }, { once: true, signal: AbortSignal.timeout(1000) });

interface Stats {
  seq: number;
}
source.addJsonListener<Stats>('stats', (stats, event) => stats.seq + event.lastEventId.length);
source.removeJsonListener('stats', () => undefined);

for await (const event of source.events(['message', 'info'])) {
  const text: string = event.data;
  if (text) break;
}
for await (const event of source.jsonEvents<Stats>('stats')) {
  const seq: number = event.data.seq;
  if (seq) break;
}
const iterator: EventIterator<MessageEvent<string>> = source.events();
const first: IteratorResult<MessageEvent<string>, undefined> = await iterator.next();
if (!first.done) first.value.lastEventId.trim();
await iterator.return();

const response = await fetch('/chat', { method: 'POST', body: '{}', headers: { Authorization: 'Bearer t' } });
if (response.body) {
  const streamed = EventSource.fromReadableStream(response.body);
  const id: string = streamed.lastEventId;
  const retry: number = streamed.reconnectionTime;
  for await (const token of streamed.events()) console.log(token.data, id, retry);
}

// @ts-expect-error: iterators come from events() and jsonEvents()
new EventIterator();
// @ts-expect-error: readyState is read-only
source.readyState = 1;
// @ts-expect-error: the URL is a string or a URL
new EventSource(42);
// @ts-expect-error: event types are strings
source.events([1]);
// @ts-expect-error: only the two transports
new EventSource('/events', { transport: 'xhr' });

// One connection for all tabs: the option, and this tab's part.
const sharedSource = new EventSource('/events', { shared: true, transport: 'fetch' });
const part: 'pending' | 'leader' | 'follower' | 'unshared' = sharedSource.shared;
sharedSource.addEventListener('rolechange', (event: Event) => console.log(event.type, sharedSource.shared));
const settling: typeof sharedSource.shared = 'pending';
console.log(part, settling);
// @ts-expect-error: `shared` is read-only
sharedSource.shared = 'leader';
// @ts-expect-error: `shared` is a boolean
new EventSource('/events', { shared: 'yes' });

// Staying connected: the policy options, the state, statechange, bounded iterators.
const resilient = new EventSource('/events', {
  reconnect: { base: 500, cap: 10_000, maxAttempts: 8, resetAfter: 30_000 },
  idleTimeout: 60_000,
  lastEventIdParam: 'lastEventId',
  whenHidden: { pause: 30000 },
  lastEventId: '41',
});
new EventSource('/events', { transport: 'fetch', reconnect: false, retryOn: [503], idleTimeout: 0 });
new EventSource('/events', { whenHidden: 'stay' });
// @ts-expect-error: a pause needs its grace period
new EventSource('/events', { whenHidden: 'pause' });
resilient.addEventListener('statechange', (event) => {
  const wait: number | null = resilient.retryDelay;
  const at: number | null = resilient.nextAttemptAt;
  const attempt: number = resilient.attempt;
  const status: number | undefined = resilient.lastError?.status;
  return [event.type, wait, at, attempt, status];
});
resilient.addEventListener('error', (event) => event.kind === 'timeout' && event.attempt);
const bounded = resilient.events(['message'], { capacity: 1024 });
for await (const event of bounded) {
  const skipped: number = bounded.lagged;
  if (skipped > 0 || event.data) break;
}
resilient.jsonEvents<Stats>('stats', { capacity: Infinity });
// @ts-expect-error: `reconnect` is a boolean or the policy's numbers
new EventSource('/events', { reconnect: 'always' });
// @ts-expect-error: `lagged` is read-only
bounded.lagged = 0;
// @ts-expect-error: `attempt` is read-only
resilient.attempt = 0;

// Clean ends, comments and reconnect().
const chat = new EventSource('/v1/chat', { transport: 'fetch', method: 'POST', body: '{}', endOn: '[DONE]' });
chat.addEventListener('close', (event) => {
  const reason: 'end' = event.reason;
  return reason;
});
chat.addEventListener('comment', (event) => {
  const text: string = event.data;
  return text;
});
chat.addEventListener('error', (event) => event.kind === 'truncated' && event.lastEventId);
chat.reconnect();
const ended = new EventSource('/s', { transport: 'fetch', endOn: { event: 'end', delivered: true } });
const judged = new EventSource('/s', { transport: 'fetch', endOn: (event) => event.data.includes('"stop"') });
ended.close();
judged.close();
// @ts-expect-error endOn is a string, a predicate or one of its objects
new EventSource('/s', { transport: 'fetch', endOn: 42 });
