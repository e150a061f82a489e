// The demo page, written against the web-sse JS API the way page code is
// written against the native EventSource.
import init, { EventSource, isSupported } from './pkg/index.js';

const $ = (id) => document.getElementById(id);
const STATES = ['CONNECTING', 'OPEN', 'CLOSED'];
const MAX_ROWS = 200;

let source = null;
const counts = new Map();

function showState() {
  const state = source ? STATES[source.readyState] : 'CLOSED';
  $('state').textContent = state;
  $('state').dataset.state = state;
  $('close').disabled = !source || source.readyState === EventSource.CLOSED;
}

function log(type, data, id = '') {
  counts.set(type, (counts.get(type) ?? 0) + 1);
  $('counts').textContent = [...counts].map(([t, n]) => `${t} ${n}`).join(' · ');
  const row = document.createElement('tr');
  row.dataset.type = type;
  for (const text of [new Date().toLocaleTimeString(), type, data, id]) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
  $('log').prepend(row);
  while ($('log').rows.length > MAX_ROWS) $('log').lastElementChild.remove();
}

/** Reads `info` events with the async iterator; the loop ends on close(). */
async function followInfo(current) {
  for await (const event of current.events(['info'])) {
    $('info').textContent = event.data;
    $('info').dataset.count = Number($('info').dataset.count) + 1;
  }
}

function connect() {
  source?.close();
  const withCredentials = $('with-credentials').checked;
  try {
    source = new EventSource($('endpoint').value, { withCredentials });
  } catch (error) {
    source = null;
    log('exception', `${error.name}: ${error.message}`);
    showState();
    return;
  }
  $('url').textContent = source.url;
  $('credentials').textContent = String(source.withCredentials);

  // The same code would work with the browser's own EventSource.
  source.onopen = () => {
    log('open', '');
    showState();
  };
  source.onerror = (event) => {
    const what = event.target.readyState === EventSource.CLOSED ? 'failed; not reconnecting' : 'dropped; reconnecting';
    log('error', what);
    showState();
  };
  source.onmessage = (event) => {
    $('clock').textContent = event.data;
    log(event.type, event.data, event.lastEventId);
  };
  source.addEventListener('connecttime', (event) => log(event.type, event.data));
  source.addEventListener('info', (event) => log(event.type, event.data));

  // Extras: parsed JSON, and the error event for data that is not JSON.
  source.addJsonListener('stats', (stats) => {
    $('clients').textContent = String(stats.clients);
  });
  source.addEventListener('jsonerror', (event) => {
    event.preventDefault();
    log('jsonerror', event.message);
  });

  followInfo(source).catch((error) => log('exception', error.message));
  showState();
}

/**
 * The POST-stream panel: the page makes the request itself (a bearer token, a
 * JSON body) and hands the response body to EventSource.fromReadableStream.
 */
async function ask(prompt) {
  const answer = $('answer');
  answer.textContent = '';
  answer.dataset.state = 'streaming';
  const response = await fetch('/chat', {
    method: 'POST',
    headers: { Authorization: 'Bearer demo-token', 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });
  if (!response.ok) {
    answer.textContent = `HTTP ${response.status}: ${await response.text()}`;
    answer.dataset.state = 'failed';
    return;
  }
  const stream = EventSource.fromReadableStream(response.body);
  for await (const event of stream.events(['token', 'done'])) {
    if (event.type === 'done') break;
    answer.textContent += JSON.parse(event.data).text;
  }
  stream.close();
  answer.dataset.state = 'done';
}

await init();
$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  ask($('prompt').value).catch((error) => {
    $('answer').textContent = `${error.name}: ${error.message}`;
    $('answer').dataset.state = 'failed';
  });
});
$('supported').textContent = isSupported() ? 'yes' : 'no';
$('supported').dataset.supported = String(isSupported());
$('close').addEventListener('click', () => {
  source?.close();
  log('close', 'closed by the page');
  showState();
});
$('reconnect').addEventListener('click', connect);
$('with-credentials').addEventListener('change', connect);
$('clear').addEventListener('click', () => {
  $('log').replaceChildren();
  counts.clear();
  $('counts').textContent = '';
});
if (isSupported()) {
  connect();
} else {
  $('state').textContent = 'unsupported';
}
// readyState also changes without an event (the browser starts reconnecting).
setInterval(showState, 500);
