//! Shared sources ([`EventSourceOptions::shared`]): one connection for every
//! tab, window and worker of an origin that opens the same key.
//!
//! It speaks the protocol of the npm package's `js/shared.js`, on the same
//! names, so that Rust and JavaScript sources of one origin share too. The
//! sources of a key (URL, transport, credentials; on fetch the method,
//! headers and body) ask for a Web Lock named `web-sse:` + the key's JSON.
//! The holder leads: it opens an ordinary unshared connection and relays its
//! events, opens, errors and reconnect progress over a `BroadcastChannel` of
//! the same name. Each relayed event carries a sequence number that goes on
//! across leaders, so a new leader can resume from the last event ID it
//! delivered and the sources that are ahead of it drop the server's replay.
//!
//! Every source, the leader too, feeds its own hub from the channel's
//! messages by one path (`receive`): what a source delivers never depends on
//! its role. The lock is held until the leader closes (the promise its
//! callback returned resolves) or its page dies, and the browser hands it to
//! the next source in the queue.
//!
//! Each source also holds a member lock, `web-sse-member:<key>:<token>` (the
//! key's JSON, its own token), from its start to its close (taken after its channel
//! opened and before it asks for the leadership), so that a fatal refusal
//! makes exactly one request however many sources wait. The lock manager and
//! the channel are two paths with no order between them: were the leader to
//! release the leadership as it posts the fatal `error`, the next source in
//! the queue could get it before the message and ask the server again. So
//! the leader closes at once but keeps the leadership through a hand-off
//! (`refuse`, `hand_off`): it lists the member locks held
//! (`navigator.locks.query()`), posts the `error`, requests each listed
//! member lock, and releases the leadership once it got all of them, that is
//! once each of those sources has closed (it releases its member lock in
//! `close`, after it is closed, so a lock callback it gets later does
//! nothing) or its page has gone. A source opened after the list was taken
//! leads once the hand-off ends and asks again, as a new source would. A
//! backstop (`FATAL_HANDOFF_MS`) ends the hand-off if a listed source never
//! answers. This is js/shared.js's hand-off, on the same names, so JS and
//! Rust leaders wait for each other's sources.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::event::{ConnectionState, ErrorEvent, MessageEvent, ReadyState, SharedRole};
use crate::facts;
use crate::hub::{Driver, Hub};
use crate::{Error, EventSourceOptions, Transport};

/// `EventSource.CLOSED` and `OPEN`, as the channel's messages carry them.
const OPEN: u16 = 1;
const CLOSED: u16 = 2;
/// What a relayed event tells JS followers as the reconnection time: the
/// hub does not track the server's `retry:`, so the spec's usual default.
const RECONNECTION_TIME: f64 = 3000.0;
/// The longest a fatal hand-off holds the leadership (js/shared.js's
/// `FATAL_HANDOFF_MS`). It ends long before, as soon as the listed sources
/// have closed; this only bounds the wait of a source that opened after the
/// refusal when a listed one is stuck.
const FATAL_HANDOFF_MS: u32 = 5000;

/// Opens a shared source, or an unshared one where this global scope cannot
/// share.
pub(super) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Hub>, Error> {
    let mut unshared = options.clone();
    unshared.shared = false;
    let Some((locks, request)) = lock_manager() else {
        return super::open(url, &unshared);
    };
    let resolved = super::resolve(url)?;
    let name = format!("web-sse:{}", key(&resolved, options)?);
    let Ok(channel) = web_sys::BroadcastChannel::new(&name) else {
        return super::open(url, &unshared);
    };
    let hub = Rc::new(
        Hub::new(resolved.clone(), options.with_credentials)
            .with_stream_capacity(options.stream_capacity),
    );
    let resumable = options.transport != Transport::Native || options.last_event_id_param.is_some();
    let members = format!("web-sse-member:{}:", &name["web-sse:".len()..]);
    let token = format!(
        "{}-{}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 1e12) as u64
    );
    let inner = Rc::new(Inner {
        hub: Rc::downgrade(&hub),
        url: url.to_owned(),
        resolved,
        resumable,
        options: unshared.clone(),
        member: format!("{members}{token}"),
        members,
        token,
        locks,
        request,
        channel,
        listener: RefCell::new(None),
        abort: web_sys::AbortController::new().ok(),
        lock_callback: RefCell::new(None),
        member_callback: RefCell::new(None),
        release: RefCell::new(None),
        leave: RefCell::new(None),
        handing_off: Cell::new(false),
        connection: RefCell::new(None),
        types: RefCell::new(Vec::new()),
        seq: Cell::new(0.0),
        id: RefCell::new(options.last_event_id.clone().unwrap_or_default()),
        relay_seq: Cell::new(0.0),
        relay_id: RefCell::new(String::new()),
        term: RefCell::new(None),
        role: Cell::new(SharedRole::Follower),
        closed: Cell::new(false),
    });
    let weak = Rc::downgrade(&inner);
    let listener = EventListener::new(&inner.channel, "message", {
        let weak = weak.clone();
        move |event| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let data = event
                .dyn_ref::<web_sys::MessageEvent>()
                .map(web_sys::MessageEvent::data);
            if let Some(message) = data.and_then(|data| Message::from_js(&data, &inner.resolved)) {
                inner.receive(message);
            }
        }
    });
    inner.listener.replace(Some(listener));
    inner.post(&Message::Hello(Vec::new()));

    // The callbacks are kept until the source is dropped, not just closed: a
    // lock granted just before the close still calls one, and it then
    // returns at once, which releases the lock.
    let member_callback = LockCallback::new({
        let weak = weak.clone();
        move |_lock: JsValue| {
            weak.upgrade()
                .map_or(JsValue::UNDEFINED, |inner| inner.hold())
        }
    });
    let callback = LockCallback::new(move |_lock: JsValue| {
        weak.upgrade()
            .map_or(JsValue::UNDEFINED, |inner| inner.lead())
    });
    // The member lock is requested after the channel opened, and before the
    // leadership: a leader that lists it knows this source hears its posts
    // (see the module docs).
    let requested = inner
        .request_lock(&inner.member, &member_callback)
        .and_then(|()| inner.request_lock(&name, &callback));
    inner.member_callback.replace(Some(member_callback));
    inner.lock_callback.replace(Some(callback));
    if requested.is_err() {
        // An opaque origin, say: no lock, so no sharing.
        inner.close();
        return super::open(url, &unshared);
    }
    hub.set_driver(Box::new(SharedDriver(inner)));
    Ok(hub)
}

/// `navigator.locks` and its `request`, where this global scope can share:
/// it has Web Locks and `BroadcastChannel` (windows and workers alike).
fn lock_manager() -> Option<(JsValue, Function)> {
    let global = js_sys::global();
    if !Reflect::get(&global, &"BroadcastChannel".into())
        .ok()?
        .is_function()
    {
        return None;
    }
    let navigator = Reflect::get(&global, &"navigator".into()).ok()?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    let request = Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((locks, request))
}

/// What makes two sources one stream, as `sharedKey` in js/options.js
/// writes it (JSON of the URL, the transport, on fetch the method, the
/// headers as `Headers` normalizes them and the body, and the credentials
/// flag): equal keys in Rust and JS give one lock and one channel.
fn key(url: &str, options: &EventSourceOptions) -> Result<String, Error> {
    let parts = Array::new();
    parts.push(&url.into());
    match options.transport {
        Transport::Native => {
            parts.push(&"native".into());
        }
        #[cfg(feature = "fetch")]
        Transport::Fetch => {
            // Headers lower-cases and sorts the names, so equal header sets
            // give one key.
            let headers = web_sys::Headers::new().map_err(|e| Error::from_js(&e))?;
            for (name, value) in &options.headers {
                headers
                    .append(name, value)
                    .map_err(|e| Error::from_js(&e))?;
            }
            let method =
                js_sys::JsString::from(options.method.as_deref().unwrap_or("GET")).to_upper_case();
            parts.push(&"fetch".into());
            parts.push(&method);
            parts.push(&Array::from(&headers));
            parts.push(
                &options
                    .body
                    .as_deref()
                    .map_or(JsValue::NULL, JsValue::from_str),
            );
        }
    }
    parts.push(&options.with_credentials.into());
    js_sys::JSON::stringify(&parts)
        .map(String::from)
        .map_err(|e| Error::from_js(&e))
}

/// What `navigator.locks.request` calls with the lock: it returns the
/// promise that holds it.
type LockCallback = Closure<dyn FnMut(JsValue) -> JsValue>;

struct SharedDriver(Rc<Inner>);

impl Driver for SharedDriver {
    fn watch(&self, event_type: &str) {
        if self.0.adopt(event_type) {
            self.0.post(&Message::Want(vec![event_type.to_owned()]));
        }
    }

    fn close(&self) {
        self.0.close();
    }

    fn shared_role(&self) -> SharedRole {
        self.0.role.get()
    }
}

/// One source's part: its channel, its place in the lock's queue, and, while
/// it leads, the connection.
struct Inner {
    hub: Weak<Hub>,
    /// As given, for the leader's connection.
    url: String,
    /// As resolved, for errors.
    resolved: String,
    /// Whether a new leader can resume from an ID: fetch sends the header,
    /// native needs the query parameter.
    resumable: bool,
    /// The leader's connection's options: these, unshared.
    options: EventSourceOptions,
    /// Tells this source's messages, while it leads, from earlier leaders'.
    token: String,
    /// The member locks' common prefix, and this source's own member lock.
    members: String,
    member: String,
    /// `navigator.locks` and its `request`.
    locks: JsValue,
    request: Function,
    channel: web_sys::BroadcastChannel,
    listener: RefCell<Option<EventListener>>,
    /// Withdraws the lock request on close.
    abort: Option<web_sys::AbortController>,
    lock_callback: RefCell<Option<LockCallback>>,
    member_callback: RefCell<Option<LockCallback>>,
    /// Resolves the promise the lock callback returned: releases the lock.
    release: RefCell<Option<Function>>,
    /// The same for the member lock.
    leave: RefCell<Option<Function>>,
    /// A fatal hand-off owns the leadership and the channel (`refuse`).
    handing_off: Cell<bool>,
    /// The leader's unshared connection.
    connection: RefCell<Option<Rc<Hub>>>,
    /// The event types any source of this key listens to.
    types: RefCell<Vec<String>>,
    /// The sequence number and event ID of the last event this source took.
    seq: Cell<f64>,
    id: RefCell<String>,
    /// The leader's counter and the ID of its last relayed event.
    relay_seq: Cell<f64>,
    relay_id: RefCell<String>,
    /// The leader this source last heard of: its token, and whether it resumed.
    term: RefCell<Option<(String, bool)>>,
    role: Cell<SharedRole>,
    closed: Cell<bool>,
}

impl Inner {
    /// Asks for the lock `name`, withdrawn on close.
    fn request_lock(&self, name: &str, callback: &LockCallback) -> Result<(), JsValue> {
        let options = Object::new();
        if let Some(abort) = &self.abort {
            set(&options, "signal", &abort.signal());
        }
        let promise = self
            .request
            .call3(&self.locks, &name.into(), &options, callback.as_ref())?;
        // Settles when the lock is released, or rejects (AbortError) when the
        // source closes while waiting: handled, not reported to the page.
        let promise = Promise::resolve(&promise);
        spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
        Ok(())
    }

    /// The member lock's callback: held until close().
    fn hold(&self) -> JsValue {
        if self.closed.get() {
            return JsValue::UNDEFINED;
        }
        let mut leave = None;
        let held = Promise::new(&mut |resolve, _reject| leave = Some(resolve));
        self.leave.replace(leave);
        held.into()
    }

    fn post(&self, message: &Message) {
        if !self.closed.get() {
            // Plain objects of strings and numbers always clone.
            let _ = self.channel.post_message(&message.to_js());
        }
    }

    /// Sends a message to the other sources and takes it here too, by the
    /// same path.
    fn broadcast(self: &Rc<Self>, message: Message) {
        self.post(&message);
        self.receive(message);
    }

    /// Listens to `event_type` from now on (the leader's connection too);
    /// whether it is new.
    fn adopt(self: &Rc<Self>, event_type: &str) -> bool {
        // The DOM's `open` and `error` are not event types the server sends.
        if event_type == "open"
            || event_type == "error"
            || self.types.borrow().iter().any(|t| t == event_type)
        {
            return false;
        }
        self.types.borrow_mut().push(event_type.to_owned());
        let connection = self.connection.borrow().clone();
        if let Some(connection) = connection {
            self.relay_type(&connection, event_type);
        }
        true
    }

    fn adopt_all(self: &Rc<Self>, types: &[String]) {
        for event_type in types {
            self.adopt(event_type);
        }
    }

    /// Whether a message comes from the leader this source knows (any,
    /// before it knows one).
    fn current(&self, token: &str) -> bool {
        self.term.borrow().as_ref().is_none_or(|(e, _)| e == token)
    }

    /// The lock's callback: this source leads until the returned promise
    /// settles.
    fn lead(self: &Rc<Self>) -> JsValue {
        if self.closed.get() {
            return JsValue::UNDEFINED;
        }
        self.role.set(SharedRole::Leader);
        let mut release = None;
        let held = Promise::new(&mut |resolve, _reject| release = Some(resolve));
        self.release.replace(release);
        // Resume after the last event this source took; sources that are
        // ahead drop the server's replay by sequence number.
        let id = self.id.borrow().clone();
        let resume = !id.is_empty() && self.resumable;
        let mut options = self.options.clone();
        if resume {
            options.last_event_id = Some(id.clone());
        }
        self.relay_seq.set(self.seq.get());
        self.relay_id.replace(id);
        self.broadcast(Message::Elected {
            e: self.token.clone(),
            s: self.seq.get(),
            resume,
        });
        // An error listener may have closed the source (and released the lock).
        if self.closed.get() {
            return held.into();
        }
        match super::open(&self.url, &options) {
            Ok(connection) => {
                self.connection.replace(Some(Rc::clone(&connection)));
                self.relay(&connection);
            }
            Err(error) => self.refuse(Some(error)),
        }
        held.into()
    }

    /// Relays what the leader's connection reports.
    fn relay(self: &Rc<Self>, connection: &Hub) {
        let weak = Rc::downgrade(self);
        let on = |f: fn(&Rc<Inner>)| {
            let weak = weak.clone();
            move || {
                if let Some(inner) = weak.upgrade().filter(|inner| !inner.closed.get()) {
                    f(&inner);
                }
            }
        };
        let opened = on(|inner| {
            inner.broadcast(Message::Open {
                e: inner.token.clone(),
            });
        });
        connection.on_open(move |_| opened());
        let weak_error = weak.clone();
        connection.on_error(move |event: &ErrorEvent| {
            if let Some(inner) = weak_error.upgrade().filter(|inner| !inner.closed.get()) {
                inner.relay_error(event);
            }
        });
        // Open resets the schedule; drops report it with their error.
        let weak_state = weak;
        connection.on_state_change(move |state: &ConnectionState| {
            if state.ready_state != ReadyState::Open {
                return;
            }
            if let Some(inner) = weak_state.upgrade().filter(|inner| !inner.closed.get()) {
                inner.broadcast(inner.policy(state));
            }
        });
        let types = self.types.borrow().clone();
        for event_type in &types {
            self.relay_type(connection, event_type);
        }
    }

    fn relay_type(self: &Rc<Self>, connection: &Hub, event_type: &str) {
        let weak = Rc::downgrade(self);
        connection.on_message(event_type, move |event| {
            let Some(inner) = weak.upgrade().filter(|inner| !inner.closed.get()) else {
                return;
            };
            let s = inner.relay_seq.get() + 1.0;
            inner.relay_seq.set(s);
            inner.relay_id.replace(event.last_event_id().to_owned());
            inner.broadcast(Message::Event {
                e: inner.token.clone(),
                s,
                event: event.clone(),
            });
        });
    }

    fn relay_error(self: &Rc<Self>, event: &ErrorEvent) {
        if event.is_fatal() {
            self.refuse(event.error().cloned());
            return;
        }
        self.broadcast(Message::Error {
            e: self.token.clone(),
            ready_state: event.ready_state().as_u16(),
            error: event.error().cloned(),
        });
        let state = self
            .connection
            .borrow()
            .as_ref()
            .map(|connection| connection.connection_state());
        if let (Some(state), true) = (state, event.is_reconnecting()) {
            self.broadcast(self.policy(&state));
        }
    }

    fn policy(&self, state: &ConnectionState) -> Message {
        Message::Policy {
            e: self.token.clone(),
            attempt: state.attempt,
            delay: state.delay,
            next_attempt_at: state.next_attempt_at,
            last_error: state.last_error.clone(),
        }
    }

    fn receive(self: &Rc<Self>, message: Message) {
        if self.closed.get() {
            return;
        }
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        match message {
            Message::Hello(types) => {
                self.adopt_all(&types);
                if self.role.get() == SharedRole::Leader {
                    let resume = self
                        .term
                        .borrow()
                        .as_ref()
                        .is_none_or(|(_, resume)| *resume);
                    self.post(&Message::State {
                        e: self.token.clone(),
                        s: self.relay_seq.get(),
                        id: self.relay_id.borrow().clone(),
                        ready_state: hub.ready_state().as_u16(),
                        resume,
                        types: self.types.borrow().clone(),
                    });
                }
            }
            Message::Want(types) => self.adopt_all(&types),
            Message::State {
                e,
                s,
                id,
                ready_state,
                resume,
                types,
            } => {
                self.adopt_all(&types);
                // A source that has taken no event yet joins the leader's
                // stream where it is.
                if self.term.borrow().is_none() {
                    self.term.replace(Some((e.clone(), resume)));
                    if self.seq.get() == 0.0 {
                        self.seq.set(s);
                        self.id.replace(id);
                    }
                }
                if self.current(&e) && ready_state == OPEN {
                    Self::open(&hub);
                }
            }
            Message::Elected { e, resume, .. } => {
                self.term.replace(Some((e, resume)));
                // The hand-over is a reconnection, never an end.
                if hub.ready_state() == ReadyState::Open {
                    hub.reconnecting(None, None);
                }
            }
            Message::Open { e } => {
                if self.current(&e) {
                    Self::open(&hub);
                }
            }
            Message::Error {
                e,
                ready_state,
                error,
            } => {
                if !self.current(&e) {
                    return;
                }
                match ready_state {
                    CLOSED => {
                        self.close();
                        hub.ended(error);
                    }
                    // A skipped event (an oversized one): the stream goes on.
                    OPEN => {
                        if let Some(error) = error {
                            hub.problem(error);
                        }
                    }
                    _ => hub.reconnecting(error, None),
                }
            }
            Message::Policy {
                e,
                attempt,
                delay,
                next_attempt_at,
                last_error,
            } => {
                if self.current(&e) {
                    hub.relayed_progress(attempt, delay, next_attempt_at, last_error);
                }
            }
            Message::Event { e, s, event } => {
                // A leader that could not resume (no ID yet, or native
                // without `last_event_id_param`) starts a fresh stream: its
                // events are all new.
                let fresh = self
                    .term
                    .borrow()
                    .as_ref()
                    .is_some_and(|(term, resume)| *term == e && !resume);
                if !fresh && s <= self.seq.get() {
                    // Already taken: a replay after a hand-over.
                    return;
                }
                self.seq.set(s);
                self.id.replace(event.last_event_id().to_owned());
                // The leader's events come after its `open`; one from an
                // earlier leader can arrive after the new one's `elected`,
                // and is delivered in order.
                Self::open(&hub);
                hub.message(&event);
            }
        }
    }

    fn open(hub: &Hub) {
        if hub.ready_state() == ReadyState::Connecting {
            hub.opened();
        }
    }

    /// Stops this source's part: a follower leaves the queue, a leader
    /// closes its connection and releases the lock, and the next source in
    /// line takes over.
    fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        if let Some(abort) = &self.abort {
            abort.abort();
        }
        // Moved out first, and dropped outside the borrows: dropping the
        // connection closes it.
        let connection = self.connection.replace(None);
        drop(connection);
        let release = self.release.replace(None);
        if let Some(release) = release {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        let leave = self.leave.replace(None);
        if let Some(leave) = leave {
            let _ = leave.call0(&JsValue::UNDEFINED);
        }
        let listener = self.listener.replace(None);
        drop(listener);
        if !self.handing_off.get() {
            self.channel.close();
        }
    }

    /// The leader's connection failed for good: this source closes at once,
    /// and the other sources hear of it before anyone else may lead (see the
    /// module docs for why this order holds).
    fn refuse(self: &Rc<Self>, error: Option<Error>) {
        let message = Message::Error {
            e: self.token.clone(),
            ready_state: CLOSED,
            error: error.clone(),
        }
        .to_js();
        // close() must neither release the leadership nor close the channel:
        // the hand-off owns both now.
        let release = self.release.replace(None);
        self.handing_off.set(true);
        self.close();
        spawn_local(hand_off(HandOff {
            locks: self.locks.clone(),
            request: self.request.clone(),
            channel: self.channel.clone(),
            message,
            members: self.members.clone(),
            own: self.member.clone(),
            release,
        }));
        if let Some(hub) = self.hub.upgrade() {
            hub.ended(error);
        }
    }
}

/// What a fatal hand-off owns: it outlives the source, which may be dropped
/// meanwhile, and leaves nothing behind when it ends.
struct HandOff {
    locks: JsValue,
    request: Function,
    channel: web_sys::BroadcastChannel,
    /// The fatal `error` message.
    message: JsValue,
    members: String,
    own: String,
    /// Releases the leadership.
    release: Option<Function>,
}

/// Lists the member locks held, posts the refusal, then waits until each
/// listed member lock was granted (that source closed, or its page went)
/// or the backstop fired, and only then closes the channel and releases the
/// leadership.
async fn hand_off(handoff: HandOff) {
    let stop = web_sys::AbortController::new().ok();
    // Dropped, so cleared, when the hand-off ends.
    let _backstop = stop
        .clone()
        .map(|stop| Timeout::new(FATAL_HANDOFF_MS, move || stop.abort()));
    let listed = held_members(&handoff).await;
    let _ = handoff.channel.post_message(&handoff.message);
    // Granted once the member has released it; returns at once, so the lock
    // is released again.
    let granted = LockCallback::new(|_lock: JsValue| JsValue::UNDEFINED);
    let options = Object::new();
    if let Some(stop) = &stop {
        set(&options, "signal", &stop.signal());
    }
    // Every request is made (and its future listens) before any is awaited,
    // as Promise.all would.
    let waits: Vec<JsFuture> = listed
        .iter()
        .filter_map(|name| {
            handoff
                .request
                .call3(&handoff.locks, &name.into(), &options, granted.as_ref())
                .ok()
        })
        .map(|promise| JsFuture::from(Promise::resolve(&promise)))
        .collect();
    for wait in waits {
        // AbortError: the backstop.
        let _ = wait.await;
    }
    handoff.channel.close();
    if let Some(release) = handoff.release {
        let _ = release.call0(&JsValue::UNDEFINED);
    }
    drop(granted);
}

/// The names of the other sources' member locks held now
/// (`navigator.locks.query()`); none if the query fails.
async fn held_members(handoff: &HandOff) -> Vec<String> {
    let query = Reflect::get(&handoff.locks, &"query".into())
        .ok()
        .and_then(|query| query.dyn_into::<Function>().ok());
    let Some(promise) = query.and_then(|query| query.call0(&handoff.locks).ok()) else {
        return Vec::new();
    };
    let Ok(snapshot) = JsFuture::from(Promise::resolve(&promise)).await else {
        return Vec::new();
    };
    let held = get(&snapshot, "held");
    if !Array::is_array(&held) {
        return Vec::new();
    }
    Array::from(&held)
        .iter()
        .filter_map(|lock| text(&lock, "name"))
        .filter(|name| name.starts_with(&handoff.members) && *name != handoff.own)
        .collect()
}

/// The channel's messages (js/shared.js's header lists them; `e` is the
/// sending leader's token, `s` an event's sequence number).
enum Message {
    Hello(Vec<String>),
    Want(Vec<String>),
    State {
        e: String,
        s: f64,
        id: String,
        ready_state: u16,
        resume: bool,
        types: Vec<String>,
    },
    Elected {
        e: String,
        s: f64,
        resume: bool,
    },
    Open {
        e: String,
    },
    Error {
        e: String,
        ready_state: u16,
        error: Option<Error>,
    },
    Policy {
        e: String,
        attempt: u32,
        delay: Option<Duration>,
        next_attempt_at: Option<f64>,
        last_error: Option<Error>,
    },
    Event {
        e: String,
        s: f64,
        event: MessageEvent,
    },
}

impl Message {
    fn to_js(&self) -> JsValue {
        let out = Object::new();
        let put = |key: &str, value: JsValue| set(&out, key, &value);
        let types = |types: &[String]| -> JsValue {
            types
                .iter()
                .map(|t| JsValue::from_str(t))
                .collect::<Array>()
                .into()
        };
        let millis = |value: Option<f64>| value.map_or(JsValue::NULL, JsValue::from_f64);
        match self {
            Message::Hello(list) | Message::Want(list) => {
                let t = if matches!(self, Message::Hello(_)) {
                    "hello"
                } else {
                    "want"
                };
                put("t", t.into());
                put("types", types(list));
            }
            Message::State {
                e,
                s,
                id,
                ready_state,
                resume,
                types: list,
            } => {
                put("t", "state".into());
                put("e", e.into());
                put("s", (*s).into());
                put("id", id.into());
                put("readyState", (*ready_state).into());
                put("resume", (*resume).into());
                put("types", types(list));
            }
            Message::Elected { e, s, resume } => {
                put("t", "elected".into());
                put("e", e.into());
                put("s", (*s).into());
                put("resume", (*resume).into());
            }
            Message::Open { e } => {
                put("t", "open".into());
                put("e", e.into());
            }
            Message::Error {
                e,
                ready_state,
                error,
            } => {
                let details = Object::new();
                if let Some(error) = error {
                    facts::write(&details, error);
                }
                put("t", "error".into());
                put("e", e.into());
                put("readyState", (*ready_state).into());
                put("details", details.into());
            }
            Message::Policy {
                e,
                attempt,
                delay,
                next_attempt_at,
                last_error,
            } => {
                put("t", "policy".into());
                put("e", e.into());
                put("attempt", (*attempt).into());
                put(
                    "retryDelay",
                    millis(delay.map(|delay| delay.as_secs_f64() * 1000.0)),
                );
                put("nextAttemptAt", millis(*next_attempt_at));
                let last = last_error.as_ref().map_or(JsValue::NULL, |error| {
                    let plain = Object::new();
                    facts::write(&plain, error);
                    set(&plain, "message", &error.to_string().into());
                    plain.into()
                });
                put("lastError", last);
            }
            Message::Event { e, s, event } => {
                put("t", "event".into());
                put("e", e.into());
                put("s", (*s).into());
                put("type", event.event_type().into());
                put("data", event.data().into());
                put("id", event.last_event_id().into());
                put("origin", event.origin().into());
                put("r", RECONNECTION_TIME.into());
            }
        }
        out.into()
    }

    /// Reads a message any script of the origin may have posted: anything
    /// malformed is ignored or read as empty, never trusted to be well formed.
    fn from_js(data: &JsValue, url: &str) -> Option<Message> {
        if !data.is_object() {
            return None;
        }
        let e = || text(data, "e").unwrap_or_default();
        let s = || number(data, "s").unwrap_or(0.0);
        let ready_state = || number(data, "readyState").unwrap_or(0.0) as u16;
        let types = || {
            let list = get(data, "types");
            if Array::is_array(&list) {
                Array::from(&list)
                    .iter()
                    .filter_map(|t| t.as_string())
                    .collect()
            } else {
                Vec::new()
            }
        };
        Some(match text(data, "t")?.as_str() {
            "hello" => Message::Hello(types()),
            "want" => Message::Want(types()),
            "state" => Message::State {
                e: e(),
                s: s(),
                id: text(data, "id").unwrap_or_default(),
                ready_state: ready_state(),
                resume: get(data, "resume").is_truthy(),
                types: types(),
            },
            "elected" => Message::Elected {
                e: e(),
                s: s(),
                resume: get(data, "resume").is_truthy(),
            },
            "open" => Message::Open { e: e() },
            "error" => {
                let ready_state = ready_state();
                Message::Error {
                    e: e(),
                    ready_state,
                    error: facts::read(&get(data, "details"), url, ready_state == CLOSED),
                }
            }
            "policy" => {
                let last = get(data, "lastError");
                Message::Policy {
                    e: e(),
                    attempt: number(data, "attempt").unwrap_or(0.0) as u32,
                    // `as` saturates: a negative or NaN delay is none.
                    delay: number(data, "retryDelay").map(|ms| Duration::from_millis(ms as u64)),
                    next_attempt_at: number(data, "nextAttemptAt"),
                    last_error: if last.is_object() {
                        facts::read(&last, url, true)
                    } else {
                        None
                    },
                }
            }
            "event" => Message::Event {
                e: e(),
                s: s(),
                event: MessageEvent::new(
                    text(data, "type")
                        .unwrap_or_else(|| "message".to_owned())
                        .into(),
                    text(data, "data").unwrap_or_default().into(),
                    text(data, "id").unwrap_or_default().into(),
                    text(data, "origin").unwrap_or_default().into(),
                ),
            },
            _ => return None,
        })
    }
}

fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn text(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

fn number(object: &JsValue, key: &str) -> Option<f64> {
    get(object, key).as_f64()
}
