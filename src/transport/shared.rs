//! Shared sources ([`EventSourceOptions::shared`]): one connection for every
//! tab, window and worker of an origin that opens the same key.
//!
//! The cross-tab protocol has one implementation, the npm package's: this
//! module runs its two import-free files, `js/shared-seat.js` (the channel
//! and the places in the lock queues, taken at once) and `js/shared.js` (the
//! election's outcome, the relay with sequence numbers, resuming by last
//! event ID and the fatal hand-off; its header is the spec), and is their
//! host. The protocol asks this source for its state, to lead (open an
//! ordinary unshared connection, whose opens, errors, reconnect progress and
//! events go back to it through `relay*` and `refuse`), and delivers what
//! every source of the key takes to this source's hub. So Rust and
//! JavaScript sources of one origin share one connection, on one protocol.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::event::{ConnectionState, ErrorEvent, MessageEvent, ReadyState, SharedRole};
use crate::facts;
use crate::hub::{Driver, Hub};
use crate::{Error, EventSourceOptions, Transport};

/// What a relayed event tells JS followers as the reconnection time: the
/// hub does not track the server's `retry:`, so the spec's usual default.
const RECONNECTION_TIME: f64 = 3000.0;

#[wasm_bindgen(module = "/js/shared-seat.js")]
extern "C" {
    #[wasm_bindgen(js_name = canShare)]
    fn can_share() -> bool;

    type Seat;

    #[wasm_bindgen(constructor, catch)]
    fn new(key: &str) -> Result<Seat, JsValue>;

    #[wasm_bindgen(method)]
    fn attach(this: &Seat, member: &Member);

    #[wasm_bindgen(method)]
    fn want(this: &Seat, event_type: &str) -> bool;

    #[wasm_bindgen(method)]
    fn close(this: &Seat);
}

#[wasm_bindgen(module = "/js/shared.js")]
extern "C" {
    type Member;

    #[wasm_bindgen(constructor)]
    fn new(seat: &Seat, host: &Function, resumable: bool, id: &str) -> Member;

    #[wasm_bindgen(method, js_name = relayEvent)]
    fn relay_event(this: &Member, event_type: &str, data: &str, id: &str, origin: &str, r: f64);

    #[wasm_bindgen(method, js_name = relayOpen)]
    fn relay_open(this: &Member);

    #[wasm_bindgen(method, js_name = relayError)]
    fn relay_error(this: &Member, ready_state: u16, details: &JsValue);

    #[wasm_bindgen(method, js_name = relayPolicy)]
    fn relay_policy(
        this: &Member,
        attempt: u32,
        retry_delay: &JsValue,
        next_attempt_at: &JsValue,
        last_error: &JsValue,
    );

    #[wasm_bindgen(method)]
    fn refuse(this: &Member, details: &JsValue);
}

/// What `js/shared.js` asks of its host: `host(what, a, b, c, d)`.
type Host = Closure<dyn Fn(String, JsValue, JsValue, JsValue, JsValue) -> JsValue>;

/// Opens a shared source, or an unshared one where this global scope cannot
/// share.
pub(super) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Hub>, Error> {
    let mut unshared = options.clone();
    unshared.shared = false;
    // A request hook runs in the tab that connects, so its source connects
    // on its own.
    #[cfg(feature = "fetch")]
    let hooked = options.request.is_some();
    #[cfg(not(feature = "fetch"))]
    let hooked = false;
    if !can_share() || hooked {
        return super::open(url, &unshared);
    }
    let resolved = super::resolve(url)?;
    let Ok(seat) = Seat::new(&key(&resolved, options)?) else {
        // An opaque origin, say: no channel or no lock, so no sharing.
        return super::open(url, &unshared);
    };
    let hub = Rc::new(
        Hub::new(resolved.clone(), options.with_credentials)
            .with_stream_capacity(options.stream_capacity),
    );
    let resumable = options.transport != Transport::Native || options.last_event_id_param.is_some();
    let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
        let weak = weak.clone();
        let host = Host::new(move |what: String, a, b, c, d| {
            weak.upgrade()
                .map_or(JsValue::UNDEFINED, |inner| inner.host(&what, a, b, c, d))
        });
        let member = Member::new(
            &seat,
            host.as_ref().unchecked_ref(),
            resumable,
            options.last_event_id.as_deref().unwrap_or_default(),
        );
        Inner {
            hub: Rc::downgrade(&hub),
            url: url.to_owned(),
            resolved,
            options: unshared,
            seat,
            member,
            _host: host,
            connection: RefCell::new(None),
            fatal: RefCell::new(None),
            closed: Cell::new(false),
        }
    });
    // No listener yet: nobody hears this one.
    hub.set_shared_role(SharedRole::Pending);
    inner.seat.attach(&inner.member);
    hub.set_driver(Box::new(SharedDriver(inner)));
    Ok(hub)
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

struct SharedDriver(Rc<Inner>);

impl Driver for SharedDriver {
    fn watch(&self, event_type: &str) {
        if self.0.seat.want(event_type) {
            self.0.listen(event_type);
        }
    }

    fn close(&self) {
        self.0.close();
    }

    fn shared_role(&self) -> SharedRole {
        self.0.hub.upgrade().map_or(SharedRole::Pending, |hub| {
            hub.connection_state().shared_role
        })
    }
}

/// One source as the protocol's host: its seat and member, and, while it
/// leads, the connection.
struct Inner {
    hub: Weak<Hub>,
    /// As given, for the leader's connection.
    url: String,
    /// As resolved, for errors.
    resolved: String,
    /// The leader's connection's options: these, unshared.
    options: EventSourceOptions,
    seat: Seat,
    member: Member,
    /// The member calls it until the source closes (the seat's `closed`
    /// silences it).
    _host: Host,
    /// The leader's unshared connection.
    connection: RefCell<Option<Rc<Hub>>>,
    /// The leader's own fatal error, as its connection told it: delivered
    /// as it is, not as the facts the others read.
    fatal: RefCell<Option<Error>>,
    closed: Cell<bool>,
}

impl Inner {
    /// What the protocol asks of this source (js/shared.js's header lists it).
    fn host(
        self: &Rc<Self>,
        what: &str,
        a: JsValue,
        b: JsValue,
        c: JsValue,
        d: JsValue,
    ) -> JsValue {
        let Some(hub) = self.hub.upgrade() else {
            return JsValue::UNDEFINED;
        };
        match what {
            "state" => return hub.ready_state().as_u16().into(),
            "role" => hub.set_shared_role(match a.as_string().as_deref() {
                Some("leader") => SharedRole::Leader,
                Some("follower") => SharedRole::Follower,
                _ => SharedRole::Pending,
            }),
            "lead" => self.lead(&a.as_string().unwrap_or_default()),
            // Dropping the connection closes it, before the seat lets the
            // next source lead.
            "unlead" => drop(self.connection.replace(None)),
            "handover" => hub.handing_over(),
            "resume" => hub.resumed(),
            "listen" => {
                if let Some(event_type) = a.as_string() {
                    self.listen(&event_type);
                }
            }
            "open" => hub.opened(),
            "error" => {
                let error = facts::read(&b, &self.resolved, false);
                if a.as_f64() == Some(f64::from(ReadyState::Open.as_u16())) {
                    // A skipped event (an oversized one): the stream goes on.
                    if let Some(error) = error {
                        hub.problem(error);
                    }
                } else {
                    hub.reconnecting(error, None);
                }
            }
            "fatal" => {
                let own = self.fatal.take();
                self.close();
                hub.ended(own.or_else(|| facts::read(&a, &self.resolved, true)));
            }
            "policy" => hub.relayed_progress(
                a.as_f64().unwrap_or(0.0) as u32,
                // `as` saturates: a negative or NaN delay is none.
                b.as_f64().map(|ms| Duration::from_millis(ms as u64)),
                c.as_f64(),
                if d.is_object() {
                    facts::read(&d, &self.resolved, true)
                } else {
                    None
                },
            ),
            "event" => hub.message(&MessageEvent::new(
                a.as_string().unwrap_or_else(|| "message".to_owned()).into(),
                b.as_string().unwrap_or_default().into(),
                c.as_string().unwrap_or_default().into(),
                d.as_string().unwrap_or_default().into(),
            )),
            _ => {}
        }
        JsValue::UNDEFINED
    }

    /// This source leads: its own unshared connection, resumed after `id`
    /// unless it is empty, relayed to every source.
    fn lead(self: &Rc<Self>, id: &str) {
        let mut options = self.options.clone();
        if !id.is_empty() {
            options.last_event_id = Some(id.to_owned());
        }
        match super::open(&self.url, &options) {
            Ok(connection) => {
                self.connection.replace(Some(Rc::clone(&connection)));
                self.relay(&connection);
            }
            Err(error) => self.refuse(Some(error)),
        }
    }

    /// The leader's connection listens to `event_type` too.
    fn listen(self: &Rc<Self>, event_type: &str) {
        let connection = self.connection.borrow().clone();
        let Some(connection) = connection else {
            return;
        };
        let weak = Rc::downgrade(self);
        connection.on_message(event_type, move |event| {
            if let Some(inner) = weak.upgrade() {
                inner.member.relay_event(
                    event.event_type(),
                    event.data(),
                    event.last_event_id(),
                    event.origin(),
                    RECONNECTION_TIME,
                );
            }
        });
    }

    /// Relays what the leader's connection reports.
    fn relay(self: &Rc<Self>, connection: &Hub) {
        let weak = Rc::downgrade(self);
        connection.on_open(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.member.relay_open();
            }
        });
        let weak = Rc::downgrade(self);
        connection.on_error(move |event: &ErrorEvent| {
            if let Some(inner) = weak.upgrade() {
                inner.relay_error(event);
            }
        });
        // Open resets the schedule; drops report it with their error.
        let weak = Rc::downgrade(self);
        connection.on_state_change(move |state: &ConnectionState| {
            if state.ready_state != ReadyState::Open {
                return;
            }
            if let Some(inner) = weak.upgrade() {
                inner.relay_policy(state);
            }
        });
    }

    fn relay_error(self: &Rc<Self>, event: &ErrorEvent) {
        if event.is_fatal() {
            self.refuse(event.error().cloned());
            return;
        }
        self.member
            .relay_error(event.ready_state().as_u16(), &details(event.error()));
        let state = self
            .connection
            .borrow()
            .as_ref()
            .map(|connection| connection.connection_state());
        if let (Some(state), true) = (state, event.is_reconnecting()) {
            self.relay_policy(&state);
        }
    }

    fn relay_policy(&self, state: &ConnectionState) {
        let millis = |value: Option<f64>| value.map_or(JsValue::NULL, JsValue::from_f64);
        let last = state.last_error.as_ref().map_or(JsValue::NULL, |error| {
            let plain = details(Some(error));
            set(&plain, "message", &error.to_string().into());
            plain
        });
        self.member.relay_policy(
            state.attempt,
            &millis(state.delay.map(|delay| delay.as_secs_f64() * 1000.0)),
            &millis(state.next_attempt_at),
            &last,
        );
    }

    /// The leader's connection failed for good: the protocol closes this
    /// source and hands the refusal to every other one.
    fn refuse(&self, error: Option<Error>) {
        let plain = details(error.as_ref());
        self.fatal.replace(error);
        self.member.refuse(&plain);
    }

    /// Stops this source's part: the leader's connection closes before the
    /// seat lets the next source in line lead.
    fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        // Moved out first, and dropped outside the borrow: dropping the
        // connection closes it.
        let connection = self.connection.replace(None);
        drop(connection);
        self.seat.close();
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close();
    }
}

/// The facts of `error` as a plain object (empty without one).
fn details(error: Option<&Error>) -> JsValue {
    let plain = Object::new();
    if let Some(error) = error {
        facts::write(&plain, error);
    }
    plain.into()
}

fn set(object: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}
