// `shared: true`: the seat (shared-seat.js) takes its places at once; the
// host (shared-host.js) and the protocol (shared.js) load with the first
// shared source.

import { Connection } from './connection.js';
import { errorEvent } from './facts.js';
import { CLOSED, resolveUrl, sharedKey } from './options.js';
import { Seat } from './shared-seat.js';

export { canShare } from './shared-seat.js';

/** The page's wanted types: a new one goes to every tab (a native leader sees only those). */
class Wanted extends Set {
  onAdd = null;

  add(type) {
    if (!this.has(type)) {
      super.add(type);
      this.onAdd?.(type);
    }
    return this;
  }
}

/** A shared source, fed by the leader's relay; `shared` is this tab's part. */
export class SharedConnection extends Connection {
  /** 'pending' until the tabs have settled this tab's part (shared.js). */
  shared = 'pending';
  wanted = new Wanted(['open', 'error']);
  #seat;
  /** shared-host.js's Host, once it has loaded. */
  #host = null;

  constructor(url, init, dispatchEvent) {
    const resolved = resolveUrl(url);
    const key = sharedKey(resolved, init);
    super(resolved, Boolean(init.withCredentials), dispatchEvent);
    const unshared = { ...init, shared: false };
    const resumable = init.transport === 'fetch' || init.lastEventIdParam != null;
    const id = init.lastEventId == null ? '' : `${init.lastEventId}`;
    const seat = new Seat(key);
    this.#seat = seat;
    this.wanted.onAdd = (type) => {
      if (seat.want(type)) this.#host?.listen(type);
    };
    import('./shared-host.js').then(({ Host }) => {
      if (this.readyState !== CLOSED) this.#host = new Host(this, seat, unshared, resumable, id);
    }, (error) => {
      if (this.readyState === CLOSED) return;
      this.failed = true;
      this.close();
      this.dispatch(errorEvent({ kind: 'module', message: `web-sse could not load its shared.js: ${error.message}` }, false));
      this.notify();
    });
  }

  close() {
    if (this.readyState === CLOSED) return;
    super.close();
    // The connection closes before the lock moves on: never two at once.
    this.#host?.stop();
    this.#seat.close();
  }
}
