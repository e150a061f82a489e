//! What a hook connects to and how: one options type for every framework.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use web_sse::{EventSourceOptions, MessageEvent, ReconnectPolicy, Transport};

/// A callback for each collected event.
pub type OnEvent = Rc<dyn Fn(&MessageEvent)>;

/// A callback for when the source has failed for good.
pub type OnFailed = Rc<dyn Fn()>;

/// Options of `use_event_source` (web-sse-yew and web-sse-leptos): a small
/// builder, defaults in [`Options::new`].
///
/// ```
/// use std::time::Duration;
/// use web_sse_hooks::Options;
///
/// let options = Options::new()
///     .event_types(["message", "update"])
///     .keep(50)
///     .with_credentials(true)
///     .reconnect_limit(Some(5))
///     .reconnect_interval(Duration::from_millis(500))
///     .on_failed(|| { /* show a "retry" button */ });
/// assert_eq!(options.connection().event_types, ["message", "update"]);
/// ```
#[derive(Clone)]
pub struct Options {
    pub(crate) connection: ConnectionOptions,
    pub(crate) keep: usize,
    pub(crate) immediate: bool,
    pub(crate) batch: Batch,
    pub(crate) on_event: Option<OnEvent>,
    pub(crate) on_failed: Option<OnFailed>,
}

/// When the events reach the hook's state: each on its own, or all that
/// arrived within one animation frame together.
///
/// A fast stream (a chat model's tokens, a ticker) can bring hundreds of
/// events a second; with [`Batch::Event`] each one is a state update, and so a
/// render. With [`Batch::Frame`] the hook collects them and writes them in one
/// update just before the browser paints (`requestAnimationFrame`), so the
/// component renders at most once a frame, whatever the rate. It batches the
/// hook's own state (the latest event and the event list); `on_event` and a
/// typed JSON subscription (`use_json_event`) still see each event as it
/// arrives.
///
/// ```
/// use web_sse_hooks::{Batch, Options};
///
/// let options = Options::new().batch(Batch::Frame);
/// assert_eq!(options.batching(), Batch::Frame);
/// assert_eq!(Options::new().batching(), Batch::Event);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Batch {
    /// Each event is its own state update, at once (the default).
    #[default]
    Event,
    /// The events of one animation frame are one state update, made in that
    /// frame. Browsers run no frames in a hidden tab: its events wait (only
    /// the latest `keep`, at least one, are held) and land when it shows
    /// again, and where there is no `window` they land at once.
    Frame,
}

/// The options that shape the connection itself: when they change, the hook
/// reconnects. Callbacks and `keep` are not among them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionOptions {
    /// The event types collected into the hook's events, in arrival order.
    pub event_types: Vec<String>,
    /// Whether cross-origin requests carry cookies (`withCredentials`).
    pub with_credentials: bool,
    /// How the source reaches the server.
    pub transport: Transport,
    /// How many reconnection attempts in a row may fail before the source
    /// fails for good; `None` for no limit.
    pub reconnect_limit: Option<u32>,
    /// The base wait before a reconnection attempt.
    pub reconnect_interval: Duration,
    /// A whole policy instead of the limit and interval, when set.
    pub reconnect_policy: Option<ReconnectPolicy>,
    /// The query parameter that carries the last event ID when a native
    /// source is reopened; see web-sse's `EventSourceOptions::last_event_id_param`.
    pub last_event_id_param: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("connection", &self.connection)
            .field("keep", &self.keep)
            .field("immediate", &self.immediate)
            .field("batch", &self.batch)
            .field("on_event", &self.on_event.is_some())
            .field("on_failed", &self.on_failed.is_some())
            .finish()
    }
}

impl Options {
    /// The defaults: `message` events, the latest 20 kept, opened at once,
    /// no credentials, the native transport, and up to 3 reconnection
    /// attempts in a row, from 1 s apart (backing off with jitter), even
    /// where the browser gives up (a non-200 status).
    pub fn new() -> Self {
        Options {
            connection: ConnectionOptions {
                event_types: vec![String::from("message")],
                with_credentials: false,
                transport: Transport::default(),
                reconnect_limit: Some(3),
                reconnect_interval: Duration::from_secs(1),
                reconnect_policy: None,
                last_event_id_param: None,
            },
            keep: 20,
            immediate: true,
            batch: Batch::Event,
            on_event: None,
            on_failed: None,
        }
    }

    /// The event types to collect, in arrival order: `message` for events
    /// without an `event:` field, or the names the server sets. Any strings,
    /// known at run time or not.
    pub fn event_types<I, S>(mut self, event_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.connection.event_types = event_types.into_iter().map(Into::into).collect();
        self
    }

    /// How many of the latest events the hook keeps; `0` keeps none (the
    /// latest event and `on_event` still see every one).
    pub fn keep(mut self, keep: usize) -> Self {
        self.keep = keep;
        self
    }

    /// Whether to connect as soon as there is a URL (the default), or only
    /// when `open()` is called.
    pub fn immediate(mut self, immediate: bool) -> Self {
        self.immediate = immediate;
        self
    }

    /// Send cookies and HTTP authentication with cross-origin requests.
    pub fn with_credentials(mut self, with_credentials: bool) -> Self {
        self.connection.with_credentials = with_credentials;
        self
    }

    /// How to reach the server; `Transport::Fetch` needs web-sse's `fetch`
    /// feature (this crate's `fetch` feature turns it on).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.connection.transport = transport;
        self
    }

    /// How many reconnection attempts in a row may fail before the source
    /// fails for good and `on_failed` is called; `None` retries forever.
    /// The count starts over once a connection has stayed open for a
    /// minute. This is web-sse's `ReconnectPolicy::max_attempts`.
    pub fn reconnect_limit(mut self, limit: Option<u32>) -> Self {
        self.connection.reconnect_limit = limit;
        self
    }

    /// The wait before the first reconnection attempt; each failed one
    /// doubles it (up to 30 s), with full jitter. This is web-sse's
    /// `ReconnectPolicy::base`.
    pub fn reconnect_interval(mut self, interval: Duration) -> Self {
        self.connection.reconnect_interval = interval;
        self
    }

    /// The whole reconnect policy (cap, reset time too), instead of
    /// [`reconnect_limit`](Self::reconnect_limit) and
    /// [`reconnect_interval`](Self::reconnect_interval).
    pub fn reconnect_policy(mut self, policy: ReconnectPolicy) -> Self {
        self.connection.reconnect_policy = Some(policy);
        self
    }

    /// Resume after a reopened native source with the last event ID in this
    /// query parameter (the browser cannot send `Last-Event-ID` on a new
    /// object).
    pub fn last_event_id_param(mut self, name: impl Into<String>) -> Self {
        self.connection.last_event_id_param = Some(name.into());
        self
    }

    /// When events reach the hook's state: [`Batch::Event`] (the default)
    /// or [`Batch::Frame`], at most one update per animation frame. Changing
    /// it does not reconnect.
    pub fn batch(mut self, batch: Batch) -> Self {
        self.batch = batch;
        self
    }

    /// Called for each collected event, as it arrives: after the hook's own
    /// state has it with [`Batch::Event`], before the frame that writes it
    /// with [`Batch::Frame`]. A state update made here renders per event.
    pub fn on_event(mut self, on_event: impl Fn(&MessageEvent) + 'static) -> Self {
        self.on_event = Some(Rc::new(on_event));
        self
    }

    /// Called once the source has failed for good: it gave up and the
    /// reconnect limit is spent.
    pub fn on_failed(mut self, on_failed: impl Fn() + 'static) -> Self {
        self.on_failed = Some(Rc::new(on_failed));
        self
    }

    /// The options that shape the connection.
    pub fn connection(&self) -> &ConnectionOptions {
        &self.connection
    }

    /// How many events to keep.
    pub fn keep_count(&self) -> usize {
        self.keep
    }

    /// Whether to connect at once.
    pub fn is_immediate(&self) -> bool {
        self.immediate
    }

    /// When events reach the hook's state.
    pub fn batching(&self) -> Batch {
        self.batch
    }

    /// The `on_event` and `on_failed` callbacks.
    pub fn callbacks(&self) -> (Option<OnEvent>, Option<OnFailed>) {
        (self.on_event.clone(), self.on_failed.clone())
    }
}

impl ConnectionOptions {
    /// The reconnect policy: the one given, or the limit and interval on
    /// web-sse's defaults.
    pub fn policy(&self) -> ReconnectPolicy {
        if let Some(policy) = self.reconnect_policy {
            return policy;
        }
        let policy = ReconnectPolicy::new().base(self.reconnect_interval);
        match self.reconnect_limit {
            Some(limit) => policy.max_attempts(limit),
            None => policy,
        }
    }

    /// The options the source is opened with. The policy is on for both
    /// transports: on the native one it reopens the source where the browser
    /// gives up.
    pub fn source_options(&self) -> EventSourceOptions {
        let options = EventSourceOptions::new()
            .with_credentials(self.with_credentials)
            .transport(self.transport)
            .reconnect(Some(self.policy()));
        match &self.last_event_id_param {
            Some(name) => options.last_event_id_param(name),
            None => options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_docs() {
        let options = Options::new();
        assert_eq!(options.connection().event_types, ["message"]);
        assert_eq!(options.keep_count(), 20);
        assert!(options.is_immediate());
        assert_eq!(options.batching(), Batch::Event);
        assert!(!options.connection().with_credentials);
        assert_eq!(options.connection().transport, Transport::Native);
        assert_eq!(options.connection().reconnect_limit, Some(3));
        assert_eq!(
            options.connection().reconnect_interval,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn event_types_come_from_runtime_strings() {
        let names: Vec<String> = "a,b".split(',').map(String::from).collect();
        let options = Options::new().event_types(names.iter().map(String::as_str));
        assert_eq!(options.connection().event_types, ["a", "b"]);
    }

    #[test]
    fn limit_and_interval_map_onto_the_core_policy() {
        let interval = Duration::from_millis(250);
        let options = Options::new()
            .reconnect_limit(Some(2))
            .reconnect_interval(interval)
            .with_credentials(true)
            .last_event_id_param("lastEventId");
        let policy = ReconnectPolicy::new().base(interval).max_attempts(2);
        assert_eq!(options.connection().policy(), policy);
        assert_eq!(
            options.connection().source_options(),
            EventSourceOptions::new()
                .with_credentials(true)
                .reconnect(Some(policy))
                .last_event_id_param("lastEventId")
        );
        let forever = Options::new().reconnect_limit(None);
        assert_eq!(forever.connection().policy(), ReconnectPolicy::new());
        let custom = ReconnectPolicy::new().cap(Duration::from_secs(5));
        let given = Options::new()
            .reconnect_limit(Some(9))
            .reconnect_policy(custom);
        assert_eq!(given.connection().policy(), custom);
    }

    #[test]
    fn callbacks_and_keep_do_not_change_the_connection() {
        let a = Options::new();
        let b = Options::new()
            .keep(0)
            .batch(Batch::Frame)
            .on_event(|_| {})
            .on_failed(|| {});
        assert_eq!(a.connection(), b.connection());
        assert_ne!(
            a.connection(),
            a.clone().with_credentials(true).connection()
        );
    }
}
