import init, { EventSource, isSupported } from 'web-sse';

const $ = (id) => document.getElementById(id);
const STATES = ['CONNECTING', 'OPEN', 'CLOSED'];

await init();
if (!isSupported()) throw new Error('EventSource is not supported here');

const source = new EventSource('/events');
const showState = () => {
  $('state').textContent = STATES[source.readyState];
  $('state').dataset.state = STATES[source.readyState];
};
source.onopen = showState;
source.onerror = showState;
source.onmessage = () => {
  $('listener').textContent = String(Number($('listener').textContent) + 1);
};
source.addEventListener('info', (event) => {
  $('info').textContent = event.data;
});
source.addJsonListener('stats', (stats) => {
  $('clients').textContent = String(stats.clients);
});
showState();
window.source = source;

for await (const event of source.events()) {
  if (event.data) $('iterator').textContent = String(Number($('iterator').textContent) + 1);
}
showState();
