//! The native transport: the browser's own `EventSource`.
//!
//! The only module that touches `web_sys::EventSource`, and the only one that
//! reads its `readyState` to tell a reconnect from the end.
//!
//! The browser reconnects by itself at a fixed delay, and gives up for good on
//! a non-200 status. With a reconnect policy, this driver takes over where the
//! browser gives up: it waits the policy's delay and opens a new browser
//! object, which cannot send `Last-Event-ID`, so the last event ID can go in
//! a query parameter. The idle timeout works the same way.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;

use super::online::{is_online, on_online};
use crate::event::MessageEvent;
use crate::hub::{Driver, Hub};
use crate::reconnect::{now, random, Backoff};
use crate::{Error, EventSourceOptions};

/// `EventSource.CLOSED`: the browser gave up, or `close()` was called.
const CLOSED: u16 = 2;
/// Without a policy, an idle timeout reopens after what Chromium waits
/// before a reconnect.
const IDLE_REOPEN: Duration = Duration::from_secs(3);

pub(super) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Hub>, Error> {
    if !crate::is_supported() {
        return Err(Error::Unsupported);
    }
    let param = options.last_event_id_param.clone();
    let last_event_id = options.last_event_id.clone().unwrap_or_default();
    let raw = new_raw(
        &super::with_param(url, param.as_deref(), &last_event_id),
        options.with_credentials,
    )
    .map_err(|exception| Error::from_constructor(url, exception))?;
    let hub = Rc::new(
        Hub::new(raw.url(), raw.with_credentials()).with_stream_capacity(options.stream_capacity),
    );
    let inner = Rc::new(Inner {
        hub: Rc::downgrade(&hub),
        url: url.to_owned(),
        resolved: raw.url(),
        with_credentials: options.with_credentials,
        param,
        backoff: RefCell::new(options.policy().map(Backoff::new)),
        delivered: Cell::new(false),
        idle: options.idle(),
        last_event_id: RefCell::new(last_event_id),
        id_set: Cell::new(false),
        connection: RefCell::new(None),
        watched: RefCell::new(Vec::new()),
        idle_timer: RefCell::new(None),
        wait: RefCell::new(None),
        closed: Cell::new(false),
    });
    Inner::attach(&inner, raw);
    hub.set_driver(Box::new(Native(inner)));
    Ok(hub)
}

fn new_raw(
    url: &str,
    with_credentials: bool,
) -> Result<web_sys::EventSource, wasm_bindgen::JsValue> {
    let init = web_sys::EventSourceInit::new();
    init.set_with_credentials(with_credentials);
    web_sys::EventSource::new_with_event_source_init_dict(url, &init)
}

struct Native(Rc<Inner>);

/// The driver's state, shared weakly with the listeners and timers it owns.
struct Inner {
    hub: Weak<Hub>,
    /// As given, for reopening.
    url: String,
    /// As the browser resolved it, for errors.
    resolved: String,
    with_credentials: bool,
    param: Option<String>,
    backoff: RefCell<Option<Backoff>>,
    /// The open connection delivered an event (a cell, not the backoff's
    /// borrow, on the path of every event).
    delivered: Cell<bool>,
    idle: Option<Duration>,
    last_event_id: RefCell<String>,
    /// The current browser object has delivered an event with an `id:`.
    id_set: Cell<bool>,
    connection: RefCell<Option<Connection>>,
    watched: RefCell<Vec<String>>,
    idle_timer: RefCell<Option<Timeout>>,
    /// While waiting to reopen: the timer and the `online` listener.
    wait: RefCell<Option<(Option<Timeout>, Option<EventListener>)>>,
    closed: Cell<bool>,
}

/// One browser object and the listeners on it, removed when dropped.
struct Connection {
    raw: web_sys::EventSource,
    listeners: Vec<EventListener>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.raw.close();
    }
}

impl Inner {
    /// Listens to `raw` and makes it the current connection.
    fn attach(this: &Rc<Self>, raw: web_sys::EventSource) {
        let weak = Rc::downgrade(this);
        let mut listeners = vec![
            EventListener::new(&raw, "open", {
                let weak = weak.clone();
                move |_| {
                    if let Some(inner) = weak.upgrade() {
                        inner.opened();
                    }
                }
            }),
            EventListener::new(&raw, "error", {
                let weak = weak.clone();
                let raw = raw.clone();
                move |_| {
                    if let Some(inner) = weak.upgrade() {
                        inner.errored(raw.ready_state() == CLOSED);
                    }
                }
            }),
        ];
        for event_type in this.watched.borrow().iter() {
            listeners.push(Self::listen(&weak, &raw, event_type));
        }
        this.id_set.set(false);
        let old = this.connection.replace(Some(Connection { raw, listeners }));
        drop(old);
    }

    fn listen(weak: &Weak<Self>, raw: &web_sys::EventSource, event_type: &str) -> EventListener {
        let weak = weak.clone();
        EventListener::new(raw, event_type.to_owned(), move |event| {
            if let Some(inner) = weak.upgrade() {
                inner.message(from_dom(event));
            }
        })
    }

    fn opened(self: Rc<Self>) {
        if let Some(backoff) = self.backoff.borrow_mut().as_mut() {
            backoff.opened(now());
        }
        self.delivered.set(false);
        self.restart_idle_timer();
        if let Some(hub) = self.hub.upgrade() {
            hub.opened();
        }
    }

    fn message(self: Rc<Self>, event: MessageEvent) {
        self.delivered.set(true);
        // A new browser object's own last event ID starts empty, though this
        // source resumes from ours (in the query): its events carry "" until
        // the server sends an `id:`. Taking that "" would lose our ID, and
        // the next attempt would start the stream afresh. js/native.js keeps
        // the same rule; an empty `id:` before any other reads as not yet set.
        if !event.last_event_id().is_empty() {
            self.id_set.set(true);
        }
        let event = if self.id_set.get() {
            // In place: no allocation per event.
            let mut ours = self.last_event_id.borrow_mut();
            if *ours != event.last_event_id() {
                ours.clear();
                ours.push_str(event.last_event_id());
            }
            drop(ours);
            event
        } else if self.last_event_id.borrow().is_empty() {
            // Both are "": nothing to carry, and no copy per event of a
            // stream that sends no IDs.
            event
        } else {
            event.with_last_event_id(self.last_event_id.borrow().as_str().into())
        };
        self.restart_idle_timer();
        if let Some(hub) = self.hub.upgrade() {
            hub.message(&event);
        }
    }

    fn errored(self: Rc<Self>, browser_gave_up: bool) {
        self.idle_timer.replace(None);
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        if !browser_gave_up {
            // The browser reconnects by itself, at its own delay. This
            // connection is over all the same: whether it worked counts now,
            // not after the browser's attempt, which may fail.
            if let Some(backoff) = self.backoff.borrow_mut().as_mut() {
                if self.delivered.take() {
                    backoff.delivered();
                }
                backoff.ended(now());
                hub.set_attempt(backoff.attempt());
            }
            hub.reconnecting(None, None);
            return;
        }
        let error = Error::ConnectionFailed {
            url: self.resolved.clone(),
        };
        let policy_delay = {
            let mut backoff = self.backoff.borrow_mut();
            backoff
                .as_mut()
                .map(|backoff| (self.next_delay(backoff), backoff.attempt()))
        };
        match policy_delay {
            None => hub.failed(error),
            Some((None, attempts)) => hub.failed(Error::AttemptsExhausted {
                url: self.resolved.clone(),
                attempts,
                last: Some(Box::new(error)),
            }),
            Some((Some(delay), attempt)) => self.reopen_after(&hub, error, attempt, delay),
        }
    }

    /// The policy's wait after the current connection, which worked if it
    /// delivered an event.
    fn next_delay(&self, backoff: &mut Backoff) -> Option<Duration> {
        if self.delivered.take() {
            backoff.delivered();
        }
        backoff.next_delay(now(), None, random())
    }

    /// Nothing arrived for the idle timeout: the connection is taken for
    /// half-open, closed, and reopened.
    fn idle_expired(self: Rc<Self>, idle: Duration) {
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        let error = Error::Timeout {
            url: self.resolved.clone(),
            idle,
        };
        let scheduled = {
            let mut backoff = self.backoff.borrow_mut();
            match backoff.as_mut() {
                Some(backoff) => self
                    .next_delay(backoff)
                    .map(|delay| (delay, backoff.attempt())),
                // No policy: as on the fetch transport, attempts count from
                // the last connection that opened, as this one did.
                None => Some((IDLE_REOPEN, 1)),
            }
        };
        match scheduled {
            Some((delay, attempt)) => self.reopen_after(&hub, error, attempt, delay),
            None => {
                // Failed for good: the silent browser object goes too, as
                // after close().
                let old = self.connection.replace(None);
                drop(old);
                let attempts = self.backoff.borrow().map_or(0, |b| b.attempt());
                hub.failed(Error::AttemptsExhausted {
                    url: self.resolved.clone(),
                    attempts,
                    last: Some(Box::new(error)),
                });
            }
        }
    }

    /// Drops the current browser object, tells the hub, and opens a new one
    /// after `delay`, or as soon as the browser is back online.
    fn reopen_after(self: Rc<Self>, hub: &Hub, error: Error, attempt: u32, delay: Duration) {
        let old = self.connection.replace(None);
        drop(old);
        hub.reconnecting(Some(error), Some((attempt, delay)));
        // An error listener may have closed the source.
        if self.closed.get() {
            return;
        }
        let weak = Rc::downgrade(&self);
        let online = on_online({
            let weak = weak.clone();
            move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.reopen();
                }
            }
        });
        let millis = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
        let timer = Timeout::new(millis, move || {
            if let Some(inner) = weak.upgrade() {
                // Offline, an attempt cannot succeed: the `online` listener
                // reopens instead.
                if is_online() {
                    inner.reopen();
                } else if let Some(wait) = inner.wait.borrow_mut().as_mut() {
                    wait.0 = None;
                }
            }
        });
        self.wait.replace(Some((Some(timer), online)));
    }

    fn reopen(self: Rc<Self>) {
        let wait = self.wait.replace(None);
        drop(wait);
        if self.closed.get() {
            return;
        }
        let url = super::with_param(
            &self.url,
            self.param.as_deref(),
            &self.last_event_id.borrow(),
        );
        match new_raw(&url, self.with_credentials) {
            Ok(raw) => Inner::attach(&self, raw),
            Err(exception) => {
                if let Some(hub) = self.hub.upgrade() {
                    hub.failed(Error::from_constructor(&url, exception));
                }
            }
        }
    }

    fn restart_idle_timer(self: &Rc<Self>) {
        let Some(idle) = self.idle else {
            return;
        };
        let weak = Rc::downgrade(self);
        let millis = u32::try_from(idle.as_millis()).unwrap_or(u32::MAX);
        let timer = Timeout::new(millis, move || {
            if let Some(inner) = weak.upgrade() {
                inner.idle_timer.replace(None);
                inner.idle_expired(idle);
            }
        });
        // The old timer is cancelled as it drops.
        let old = self.idle_timer.replace(Some(timer));
        drop(old);
    }
}

impl Driver for Native {
    fn watch(&self, event_type: &str) {
        let inner = &self.0;
        if inner.watched.borrow().iter().any(|t| t == event_type) {
            return;
        }
        inner.watched.borrow_mut().push(event_type.to_owned());
        let weak = Rc::downgrade(inner);
        if let Some(connection) = inner.connection.borrow_mut().as_mut() {
            let listener = Inner::listen(&weak, &connection.raw, event_type);
            connection.listeners.push(listener);
        }
    }

    fn close(&self) {
        let inner = &self.0;
        inner.closed.set(true);
        // Moved out first: dropping them runs no callback, but keep the
        // borrows short anyway.
        let connection = inner.connection.replace(None);
        let wait = inner.wait.replace(None);
        let idle = inner.idle_timer.replace(None);
        drop((connection, wait, idle));
    }

    fn can_reconnect(&self) -> bool {
        true
    }

    fn reconnect(&self) {
        let inner = &self.0;
        inner.closed.set(false);
        let connection = inner.connection.replace(None);
        let wait = inner.wait.replace(None);
        let idle = inner.idle_timer.replace(None);
        drop((connection, wait, idle));
        if let Some(backoff) = inner.backoff.borrow_mut().as_mut() {
            backoff.reset();
        }
        inner.delivered.set(false);
        // A new browser object: it sends the last event ID only in the query
        // parameter, when one is named.
        Rc::clone(inner).reopen();
    }

    fn raw(&self) -> Option<web_sys::EventSource> {
        self.0
            .connection
            .borrow()
            .as_ref()
            .map(|connection| connection.raw.clone())
    }
}

/// Copies what the DOM event carries into Rust strings.
fn from_dom(event: &web_sys::Event) -> MessageEvent {
    let event_type = event.type_();
    match event.dyn_ref::<web_sys::MessageEvent>() {
        Some(message) => MessageEvent::new(
            event_type.into(),
            message.data().as_string().unwrap_or_default().into(),
            message.last_event_id().into(),
            message.origin().into(),
        ),
        // Only a page calling dispatchEvent with a plain Event gets here.
        None => MessageEvent::new(event_type.into(), "".into(), "".into(), "".into()),
    }
}
