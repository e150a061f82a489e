// The demo page, written against the web-sse JS API the way page code is
// written against the native EventSource, plus what the package adds: the
// transport, the reconnect state, the shared role, lossless resumes.
import init, { EventSource, isFetchSupported, isSupported } from './pkg/index.js';

const $ = (id) => document.getElementById(id);
const STATES = ['CONNECTING', 'OPEN', 'CLOSED'];
const MAX_ROWS = 200;
const REFUSALS = 2;
const ROLES = {
  leader: 'this tab holds the connection and relays its events to the other tabs',
  follower: "another tab's connection serves this tab",
  pending: 'finding out whether this tab leads or follows',
  unshared: 'this tab has a connection of its own',
};

let source = null;
const counts = new Map();
// The id of the last clock message shown, and the one shown when the
// connection went down: the next message says whether anything was lost.
let lastId = null;
let resumeFrom = null;
let shownState = '';
let loggedState = '';
let shownRole = '';
let rowCount = 0;
// A source the page closed is just closed, whatever failure came before.
let closedHere = false;

/** The settings the page was opened with (?transport=fetch&shared=0), so a second tab can copy them. */
function readSettings() {
  const query = new URLSearchParams(location.search);
  const transport = query.get('transport') === 'fetch' ? 'fetch' : 'native';
  document.querySelector(`input[name="transport"][value="${transport}"]`).checked = true;
  $('shared').checked = query.get('shared') !== '0';
}

function writeSettings() {
  const query = new URLSearchParams(location.search);
  query.set('transport', transport());
  if ($('shared').checked) query.delete('shared');
  else query.set('shared', '0');
  history.replaceState(null, '', `?${query}`);
  $('second-tab').href = location.href;
}

const transport = () => document.querySelector('input[name="transport"]:checked').value;

/** The reconnect state in words, from the source's own state. */
function stateWords() {
  if (!source) return 'closed';
  if (source.readyState === EventSource.OPEN) return 'open';
  if (source.readyState === EventSource.CLOSED) {
    return source.lastError && !closedHere ? `failed: ${source.lastError.message}` : 'closed';
  }
  if (source.nextAttemptAt !== null) {
    const seconds = Math.max(0, Math.ceil((source.nextAttemptAt - Date.now()) / 1000));
    return `reconnecting in ${seconds} s (attempt ${source.attempt})`;
  }
  // The browser's own reconnect (native), or an attempt under way.
  if (resumeFrom !== null) return source.attempt ? `reconnecting now (attempt ${source.attempt})` : 'reconnecting';
  return 'connecting';
}

function showState() {
  const state = source ? STATES[source.readyState] : 'CLOSED';
  $('state').textContent = state;
  $('state').dataset.state = state;
  // Written only when it changes: the line is a live region.
  const words = stateWords();
  if (words !== shownState) {
    shownState = words;
    $('state-text').textContent = words;
  }
  $('close').disabled = !source || source.readyState === EventSource.CLOSED;
  showRole();
}

/** The log gets each state a statechange reports, not the countdown's every second. */
function logState() {
  // A follower may see its leader's reconnect only as a state.
  if (source?.readyState === EventSource.CONNECTING) wentDown();
  showState();
  if (shownState !== loggedState) {
    loggedState = shownState;
    log('statechange', shownState);
  }
}

/** `es.shared`, with room for roles this page does not know. */
function showRole() {
  const open = source && source.readyState !== EventSource.CLOSED;
  const role = open ? String(source.shared) : '–';
  if (role === shownRole) return;
  // A new source's first role is no change.
  const first = shownRole === '';
  shownRole = role;
  $('role').textContent = role;
  $('role').dataset.role = role;
  $('role-text').textContent = open ? ROLES[role] ?? 'a role this page does not know' : 'no source is open';
  if (!first && open) log('role', role);
}

function log(type, data, id = '') {
  counts.set(type, (counts.get(type) ?? 0) + 1);
  $('counts').textContent = [...counts].map(([t, n]) => `${t} ${n}`).join(' · ');
  const row = document.createElement('tr');
  row.dataset.type = type;
  rowCount += 1;
  row.dataset.seq = String(rowCount);
  for (const text of [new Date().toLocaleTimeString(), type, data, id]) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
  $('log').prepend(row);
  while ($('log').rows.length > MAX_ROWS) $('log').lastElementChild.remove();
}

/** Remembers where the stream stood when it went down. */
function wentDown() {
  if (lastId === null || resumeFrom !== null) return;
  resumeFrom = lastId;
  const resume = $('resume');
  resume.textContent = `connection down after id ${lastId}; resuming…`;
  resume.dataset.state = 'waiting';
  resume.dataset.from = String(lastId);
}

/** The first message after a resume: did the ids go on without a gap? */
function resumed(id) {
  const from = resumeFrom;
  resumeFrom = null;
  const resume = $('resume');
  resume.dataset.from = String(from);
  resume.dataset.next = String(id);
  if (id === from + 1) {
    resume.textContent = `resumed from id ${from}, nothing lost`;
    resume.dataset.state = 'lossless';
  } else if (id <= from) {
    resume.textContent = `resumed from id ${from}, but id ${id} came again`;
    resume.dataset.state = 'repeated';
  } else {
    resume.textContent = `resumed from id ${from}: ids ${from + 1} to ${id - 1} lost`;
    resume.dataset.state = 'lost';
  }
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
  closedHere = false;
  shownRole = '';
  wentDown();
  const options = {
    transport: transport(),
    withCredentials: $('with-credentials').checked,
    shared: $('shared').checked,
    // Backoff with jitter on both transports; on native it acts where the
    // browser gives up (a 503), and a new native object resumes by the query.
    reconnect: true,
    lastEventIdParam: 'lastEventId',
  };
  // A new source starts where the last one stopped: switching loses nothing.
  if (lastId !== null) options.lastEventId = String(lastId);
  try {
    source = new EventSource($('endpoint').value, options);
  } catch (error) {
    source = null;
    log('exception', `${error.name}: ${error.message}`);
    showState();
    return;
  }
  $('url').textContent = source.url;
  $('transport').textContent = options.transport;
  $('credentials').textContent = String(source.withCredentials);

  // The same code would work with the browser's own EventSource.
  source.onopen = () => {
    log('open', '');
    showState();
  };
  source.onerror = (event) => {
    const retry = event.willRetry ?? event.target.readyState !== EventSource.CLOSED;
    log('error', `${retry ? 'dropped; reconnecting' : 'failed; not reconnecting'}${event.kind ? ` (${event.kind})` : ''}`);
    if (retry) wentDown();
    showState();
  };
  source.onmessage = (event) => {
    const id = /^\d+$/.test(event.lastEventId) ? Number(event.lastEventId) : null;
    if (id !== null && resumeFrom !== null) resumed(id);
    if (id !== null) lastId = id;
    $('last-id').textContent = event.lastEventId || '–';
    log(event.type, event.data, event.lastEventId);
  };
  // Extras: attempt, retryDelay, nextAttemptAt, lastError and the role, in words.
  source.addEventListener('statechange', logState);
  source.addEventListener('connecttime', (event) => log(event.type, event.data));
  source.addEventListener('info', (event) => log(event.type, event.data));
  // Parsed JSON, and the error event for data that is not JSON.
  source.addJsonListener('stats', (stats) => {
    $('clock').textContent = stats.time;
  });
  source.addEventListener('jsonerror', (event) => {
    event.preventDefault();
    log('jsonerror', event.message);
  });

  followInfo(source).catch((error) => log('exception', error.message));
  logState();
}

/** The server's own count of open /events streams: one, however many tabs share it. */
async function pollServer() {
  try {
    const stats = await (await fetch('/stats', { cache: 'no-store' })).json();
    $('server-open').textContent = String(stats.events);
    $('server-open').dataset.open = String(stats.events);
    $('server-text').textContent = `open event stream${stats.events === 1 ? '' : 's'} (${stats.total} served)`;
  } catch {
    $('server-open').textContent = '?';
    $('server-open').dataset.open = '';
  }
}

/** Asks the server to cut every open stream, and maybe refuse the next attempts. */
async function drop() {
  const refuse = $('refuse').checked ? `?refuse=${REFUSALS}` : '';
  const response = await fetch(`/drop${refuse}`, { method: 'POST' });
  const { dropped } = await response.json();
  log('drop', `the server cut ${dropped} stream(s)${refuse ? ` and refuses the next ${REFUSALS}` : ''}`);
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

readSettings();
writeSettings();
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
  closedHere = true;
  log('close', 'closed by the page');
  logState();
});
$('reconnect').addEventListener('click', connect);
$('drop').addEventListener('click', () => drop().catch((error) => log('exception', error.message)));
for (const input of document.querySelectorAll('input[name="transport"], #shared')) {
  input.addEventListener('change', () => {
    writeSettings();
    connect();
  });
}
$('with-credentials').addEventListener('change', connect);
$('clear').addEventListener('click', () => {
  $('log').replaceChildren();
  counts.clear();
  $('counts').textContent = '';
});
if (isSupported() || isFetchSupported()) {
  connect();
} else {
  $('state').textContent = 'unsupported';
}
// The countdown runs between events, and the browser starts reconnecting
// and a role can change without one.
setInterval(showState, 250);
pollServer();
setInterval(pollServer, 1000);
