//! What a source is opened with: credentials, the transport, on the fetch
//! transport the request, and how it stays connected.

use std::time::Duration;

use crate::ReconnectPolicy;

/// The statuses the fetch transport retries unless told otherwise: what a
/// proxy answers while the server behind it restarts.
const RETRY_STATUSES: [u16; 3] = [502, 503, 504];
/// The fetch transport's idle timeout: half again the 30 s that the slowest
/// common keep-alive (a comment every 15–30 s) leaves between bytes.
#[cfg(feature = "fetch")]
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// Events a stream holds for a consumer that lags, before it skips the oldest.
pub(crate) const STREAM_CAPACITY: usize = 16_384;

/// How a source reaches the server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// The browser's own `EventSource`: a GET with no custom headers. The
    /// browser reconnects, and gives up for good on any non-200 status.
    #[default]
    Native,
    /// `fetch()`, read through this crate's parser (cargo feature `fetch`):
    /// any method, headers and body, the HTTP status in errors, and statuses
    /// that may be retried. The spec's processing model otherwise: the last
    /// event ID goes out as `Last-Event-ID` on every reconnect, `retry:` sets
    /// the delay, and a non-200 status or a wrong `Content-Type` ends the
    /// source unless retried.
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    Fetch,
}

/// What a stream does when its consumer falls behind the server (see
/// [`EventSourceOptions::overflow`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Overflow {
    /// The default. A stream that is being read never loses an event: the
    /// reader stops pulling from the body while a stream holds half its
    /// capacity or 1,024 events, whichever is fewer, until its consumer has
    /// drained half of that. A stream whose consumer
    /// does not poll at all for 3 s is taken as abandoned: the reader goes
    /// on without it, and once full it drops its oldest events and yields
    /// one [`Error::Lagged`](crate::Error::Lagged), until it is polled again.
    #[default]
    Lag,
    /// Never skip: the reader waits for the slowest stream however long it
    /// takes, and the server's TCP window holds back the rest. One stream
    /// that nobody reads then stalls the whole source.
    Backpressure,
}

/// Options for [`EventSource::with_options`](crate::EventSource::with_options).
///
/// ```no_run
/// use web_sse::{EventSource, EventSourceOptions};
///
/// let options = EventSourceOptions::new().with_credentials(true);
/// let source = EventSource::with_options("https://api.example.com/events", &options)?;
/// # Ok::<(), web_sse::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSourceOptions {
    pub(crate) with_credentials: bool,
    pub(crate) transport: Transport,
    pub(crate) method: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<String>,
    pub(crate) retry_statuses: Vec<u16>,
    /// Statuses that run the request hook again and retry at once.
    pub(crate) refresh_statuses: Vec<u16>,
    #[cfg(feature = "fetch")]
    pub(crate) request: Option<crate::request::RequestHook>,
    /// `None`: the method's default.
    #[cfg(feature = "fetch")]
    pub(crate) replay: Option<crate::Replay>,
    /// `None`: the transport's default (the policy on fetch, none on native).
    pub(crate) reconnect: Option<Option<ReconnectPolicy>>,
    pub(crate) last_event_id_param: Option<String>,
    pub(crate) last_event_id: Option<String>,
    /// The reconnection time the server set on an earlier task of the same
    /// source (a restart carries it); never set by the page.
    pub(crate) reconnection_time: Option<Duration>,
    /// `None`: the transport's default.
    pub(crate) idle_timeout: Option<Option<Duration>>,
    pub(crate) stream_capacity: usize,
    pub(crate) overflow: Overflow,
    /// `None`: no limit.
    pub(crate) max_event_size: Option<usize>,
    pub(crate) when_hidden: crate::WhenHidden,
    #[cfg(feature = "shared")]
    pub(crate) shared: bool,
    #[cfg(feature = "fetch")]
    pub(crate) end_on: Option<crate::EndOn>,
}

impl Default for EventSourceOptions {
    fn default() -> Self {
        EventSourceOptions {
            with_credentials: false,
            transport: Transport::Native,
            method: None,
            headers: Vec::new(),
            body: None,
            retry_statuses: RETRY_STATUSES.to_vec(),
            refresh_statuses: Vec::new(),
            #[cfg(feature = "fetch")]
            request: None,
            #[cfg(feature = "fetch")]
            replay: None,
            reconnect: None,
            last_event_id_param: None,
            last_event_id: None,
            reconnection_time: None,
            idle_timeout: None,
            stream_capacity: STREAM_CAPACITY,
            overflow: Overflow::Lag,
            max_event_size: Some(crate::parse::DEFAULT_MAX_EVENT_SIZE),
            when_hidden: crate::WhenHidden::Stay,
            #[cfg(feature = "shared")]
            shared: false,
            #[cfg(feature = "fetch")]
            end_on: None,
        }
    }
}

impl EventSourceOptions {
    /// The defaults: the native transport, no credentials on cross-origin
    /// requests, and each transport's own way of staying connected (see
    /// [`reconnect`](Self::reconnect) and [`idle_timeout`](Self::idle_timeout)).
    pub fn new() -> Self {
        Self::default()
    }

    /// Send cookies and HTTP authentication with a cross-origin request
    /// (`withCredentials`). The server must answer with
    /// `Access-Control-Allow-Credentials: true` and an explicit
    /// `Access-Control-Allow-Origin`.
    pub fn with_credentials(mut self, with_credentials: bool) -> Self {
        self.with_credentials = with_credentials;
        self
    }

    /// How to reach the server; [`Transport::Native`] unless set.
    ///
    /// ```no_run
    /// # #[cfg(feature = "fetch")] {
    /// use web_sse::{EventSource, EventSourceOptions, Transport};
    ///
    /// let options = EventSourceOptions::new()
    ///     .transport(Transport::Fetch)
    ///     .method("POST")
    ///     .header("Authorization", "Bearer secret")
    ///     .header("Content-Type", "application/json")
    ///     .body(r#"{"topic":"prices"}"#);
    /// let source = EventSource::with_options("/stream", &options)?;
    /// # }
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The request method on the fetch transport; `GET` unless set. The
    /// native transport always sends `GET`.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    /// Adds a request header on the fetch transport. A cross-origin server
    /// must allow it in its CORS preflight answer. `Last-Event-ID` is set by
    /// the source itself on reconnects.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The request body on the fetch transport, sent again on each reconnect
    /// that the [`replay`](Self::replay) rule allows.
    pub fn body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }

    /// On the fetch transport, also reconnect after this HTTP status instead
    /// of giving up. By default 502, 503 and 504 are retried (what a proxy
    /// answers while the server behind it restarts), and every other
    /// non-200 status ends the source, as the spec says.
    pub fn retry_on_status(mut self, status: u16) -> Self {
        self.retry_statuses.push(status);
        self
    }

    /// On the fetch transport, exactly these statuses are retried, replacing
    /// the default 502, 503 and 504; `&[]` retries none.
    pub fn retry_statuses(mut self, statuses: &[u16]) -> Self {
        self.retry_statuses = statuses.to_vec();
        self
    }

    /// Builds the request of every attempt on the fetch transport: `hook`
    /// runs before each connection, the first one included, with the
    /// [`Attempt`](crate::Attempt) it is for, and the source sends what the
    /// [`Request`](crate::Request) it resolves to sets (a URL, headers, a
    /// body) over what these options say. A token that expires during a long
    /// stream goes out fresh on every reconnect, and a re-signed URL too.
    ///
    /// The source waits for the hook before it connects; it stays
    /// `Connecting` meanwhile, and a close ends the wait. A hook that fails
    /// (its `Err`, whose text is kept) ends the source with
    /// [`Error::RequestHook`](crate::Error::RequestHook): a source cannot
    /// connect without its credentials. The future need not be `Send`.
    ///
    /// A source with a hook is never shared (feature `shared`): the hook of
    /// one tab cannot run in another.
    ///
    /// ```no_run
    /// use web_sse::{EventSource, EventSourceOptions, Request, Transport};
    /// # async fn current_token(_fresh: bool) -> Result<String, String> { Ok(String::new()) }
    ///
    /// let options = EventSourceOptions::new()
    ///     .transport(Transport::Fetch)
    ///     .request_with(|attempt| async move {
    ///         // A 401 from `refresh_on` asks for a new token, not the cached one.
    ///         let token = current_token(attempt.refresh().is_some()).await?;
    ///         Ok::<_, String>(Request::new().header("Authorization", &format!("Bearer {token}")))
    ///     })
    ///     .refresh_on(&[401]);
    /// let source = EventSource::with_options("/events", &options)?;
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    pub fn request_with<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn(crate::Attempt) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<crate::Request, E>> + 'static,
        E: std::fmt::Display,
    {
        use futures_core::future::LocalBoxFuture;
        let erased = move |attempt| -> LocalBoxFuture<'static, Result<crate::Request, String>> {
            let future = hook(attempt);
            Box::pin(async move { future.await.map_err(|cause| cause.to_string()) })
        };
        self.request = Some(crate::request::RequestHook::new(std::rc::Rc::new(erased)));
        self
    }

    /// On the fetch transport, a response with one of these statuses (401,
    /// say: the token expired) runs the [`request_with`](Self::request_with)
    /// hook again, with [`Attempt::refresh`](crate::Attempt::refresh) set,
    /// and sends the fresh request at once: no backoff, no `error` event,
    /// and the reconnect policy does not count it. The server refused the
    /// request without processing it, so the retry is made whatever the
    /// [`replay`](Self::replay) rule. If the fresh request is refused too,
    /// the usual rules apply: the source ends, unless the status is retried
    /// (see [`retry_on_status`](Self::retry_on_status)), in which case the
    /// next attempt, after the backoff, may refresh once more. None by default.
    pub fn refresh_on(mut self, statuses: &[u16]) -> Self {
        self.refresh_statuses = statuses.to_vec();
        self
    }

    /// When the fetch transport may send its request again after a
    /// connection ended: see [`Replay`](crate::Replay). By default
    /// [`Replay::Always`](crate::Replay::Always) for `GET` and `HEAD`, and
    /// [`Replay::Resume`](crate::Replay::Resume) for every other method, so a
    /// `POST` is sent again only to resume after the last event ID.
    ///
    /// The rule applies to every end that would reconnect: a drop, the end of
    /// the body, the idle timeout, a retried status, and a network error
    /// before any response (`fetch()` cannot tell a refused connection from
    /// one that broke after the server read the request). Where it forbids
    /// the reconnect, the source ends with
    /// [`Error::NotReplayed`](crate::Error::NotReplayed), which holds the
    /// failure that would have been retried. The refresh of
    /// [`refresh_on`](Self::refresh_on) is the one exception.
    ///
    /// ```no_run
    /// use web_sse::{EventSource, EventSourceOptions, Replay, Transport};
    ///
    /// // A chat answer: resumed where the server sends IDs, never asked twice.
    /// let options = EventSourceOptions::new()
    ///     .transport(Transport::Fetch)
    ///     .method("POST")
    ///     .body(r#"{"prompt":"Hello"}"#)
    ///     .replay(Replay::Resume);
    /// let source = EventSource::with_options("/chat", &options)?;
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    pub fn replay(mut self, replay: crate::Replay) -> Self {
        self.replay = Some(replay);
        self
    }

    /// How the source waits between reconnection attempts.
    ///
    /// - On the fetch transport a [`ReconnectPolicy::new()`] is on by default:
    ///   exponential backoff with full jitter, where the server's `retry:`
    ///   sets the base. `None` waits the spec's fixed reconnection time
    ///   (`retry:`, or 3 s) instead, with no limit.
    /// - On the native transport it is off by default, and the browser
    ///   reconnects at its fixed delay as long as it is willing to. With a
    ///   policy, when the browser gives up (a non-200 status, a wrong
    ///   `Content-Type`), the source waits the policy's delay and opens a new
    ///   browser `EventSource`. The browser hides `retry:` from pages, so the
    ///   policy's own base applies. Set
    ///   [`last_event_id_param`](Self::last_event_id_param) so that the new
    ///   one can resume.
    ///
    /// Either way the source stays `Connecting` while it waits, error
    /// listeners hear each drop with [`ErrorEvent::is_reconnecting`](crate::ErrorEvent::is_reconnecting),
    /// and [`EventSource::state`](crate::EventSource::state) tells the attempt and
    /// the time of the next one. Once the policy's
    /// [`max_attempts`](ReconnectPolicy::max_attempts) are used up, the source
    /// fails with [`Error::AttemptsExhausted`](crate::Error::AttemptsExhausted).
    /// While the browser reports itself offline no attempt is made, and
    /// going back online reconnects at once.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use web_sse::{EventSource, EventSourceOptions, ReconnectPolicy};
    ///
    /// let policy = ReconnectPolicy::new().max_attempts(10);
    /// let options = EventSourceOptions::new()
    ///     .reconnect(Some(policy))
    ///     .last_event_id_param("lastEventId");
    /// let source = EventSource::with_options("/events", &options)?;
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    pub fn reconnect(mut self, policy: Option<ReconnectPolicy>) -> Self {
        self.reconnect = Some(policy);
        self
    }

    /// What the source does while its page is hidden:
    /// [`WhenHidden::Stay`](crate::WhenHidden::Stay) connected (the default),
    /// or [`WhenHidden::Pause`](crate::WhenHidden::Pause): close the
    /// connection once the page has been hidden for the grace period, and
    /// reopen it from the last event ID when the page is visible again. The
    /// source stays `Connecting` meanwhile; no error is heard, listeners and
    /// streams stay attached. Mobile browsers cut a background page's
    /// connections without telling it; a pause closes them on the page's
    /// own terms and resumes them on return.
    ///
    /// Whatever this says, a source closes its connection when the page
    /// goes into the back/forward cache and reopens it, from the last event
    /// ID, when the page comes back; and a page resumed after being frozen
    /// reconnects at once. On the native transport the new connection
    /// carries the last event ID only with
    /// [`last_event_id_param`](Self::last_event_id_param). Shared sources
    /// leave this to their leader.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use web_sse::{EventSource, EventSourceOptions, WhenHidden};
    ///
    /// let options = EventSourceOptions::new().when_hidden(WhenHidden::Pause(Duration::from_secs(30)));
    /// let source = EventSource::with_options("/events", &options)?;
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    pub fn when_hidden(mut self, when_hidden: crate::WhenHidden) -> Self {
        self.when_hidden = when_hidden;
        self
    }

    /// Send the last event ID in this query parameter (`?lastEventId=42`)
    /// instead of the `Last-Event-ID` header.
    ///
    /// On the native transport, it is how a new browser `EventSource` (opened
    /// by the reconnect policy or the idle timeout) resumes: it cannot send
    /// the header. On the fetch transport it avoids a CORS preflight:
    /// `Last-Event-ID` is not a CORS-safelisted header, so a cross-origin
    /// `fetch()` that sends it is preflighted, and a server set up for the
    /// browser's `EventSource` (which sends the header without one) refuses
    /// the preflight. Choose it for a cross-origin server that does not
    /// answer `OPTIONS` with `Access-Control-Allow-Headers: Last-Event-ID`.
    /// Either way the server must read the parameter.
    pub fn last_event_id_param(mut self, name: &str) -> Self {
        self.last_event_id_param = Some(name.to_owned());
        self
    }

    /// Resume from this event ID: the fetch transport sends it as
    /// `Last-Event-ID` on its first request (a page that saved the ID before
    /// a reload, say); the native transport adds it to the URL's query when
    /// [`last_event_id_param`](Self::last_event_id_param) is set.
    pub fn last_event_id(mut self, id: &str) -> Self {
        self.last_event_id = Some(id.to_owned());
        self
    }

    /// Treat the connection as half-open when nothing arrives for this long,
    /// and reconnect with the last event ID.
    ///
    /// A connection whose far end vanished (a laptop lid, a NAT that forgot
    /// it) can stay open for many minutes without an error. On the fetch
    /// transport any byte counts, a comment too, and the default is 45 s,
    /// which suits servers that send a comment every 15–30 s. On the native
    /// transport it is off by default; the browser hides comments, so only
    /// the events of types with listeners count, and the timeout closes the
    /// browser's object and opens a new one (see
    /// [`last_event_id_param`](Self::last_event_id_param)). `None` turns it off.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// How many events a stream from [`EventSource::subscribe`](crate::EventSource::subscribe)
    /// holds for a consumer that lags (16 384 unless set). Past that, the
    /// stream drops its oldest events, yields one
    /// [`Error::Lagged`](crate::Error::Lagged) with their count, and goes on
    /// with the newest, as tokio's broadcast channel does. At least 1.
    ///
    /// A stream that is being read does not lag on the fetch transport or
    /// on a source read from a stream: see [`Overflow`]. The native
    /// transport cannot pause the browser, so there a consumer slower than
    /// the server lags once the stream is full.
    pub fn stream_capacity(mut self, capacity: usize) -> Self {
        self.stream_capacity = capacity.max(1);
        self
    }

    /// What streams do when their consumer falls behind: pause the reader
    /// for a consumer that is reading and let an abandoned one lag
    /// ([`Overflow::Lag`], the default), or pause for any consumer however
    /// long ([`Overflow::Backpressure`]). Applies where this crate reads the
    /// body (the fetch transport); the native transport always lags.
    ///
    /// ```no_run
    /// use web_sse::{EventSource, EventSourceOptions, Overflow};
    /// # #[cfg(feature = "fetch")]
    /// # fn run() -> Result<(), web_sse::Error> {
    /// let options = EventSourceOptions::new()
    ///     .transport(web_sse::Transport::Fetch)
    ///     .overflow(Overflow::Backpressure);
    /// let source = EventSource::with_options("/log", &options)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The largest event, and line, the fetch transport reads, in bytes
    /// ([`DEFAULT_MAX_EVENT_SIZE`](crate::parse::DEFAULT_MAX_EVENT_SIZE),
    /// 32 MiB, unless set); `None` for no limit, as the browser's own
    /// `EventSource` has none. An event over the limit is skipped and
    /// reported in order, as an [`Error::Parse`](crate::Error::Parse) stream
    /// item and error event; the source goes on. The parser holds a small
    /// multiple of the limit at most, so a limit is what stops a server that
    /// sends an endless line from filling the tab's memory.
    pub fn max_event_size(mut self, limit: Option<usize>) -> Self {
        self.max_event_size = limit;
        self
    }

    /// Share one connection with every source of the same key in the other
    /// tabs, windows and workers of the origin (cargo feature `shared`).
    ///
    /// On HTTP/1.1 a browser opens at most 6 connections per host, and each
    /// tab holding a stream takes one. With `shared(true)` the sources of a
    /// key elect a leader with a Web Lock; only the leader connects (with
    /// these options, unshared) and relays every event over a
    /// `BroadcastChannel`. The key is the resolved URL, the transport and the
    /// credentials, and on the fetch transport the method, headers and body:
    /// different keys never share. It speaks the protocol of the npm
    /// package's `shared: true`, on the same lock and channel names, so
    /// Rust and JavaScript sources of one origin share too.
    ///
    /// When the leader closes or its page goes away, the next source in the
    /// lock's queue connects from the last event ID it delivered (the
    /// `Last-Event-ID` header on fetch; on native the query parameter named by
    /// [`last_event_id_param`](Self::last_event_id_param)), and drops the
    /// events the others already had: nothing lost where the server honours
    /// the ID, nothing delivered twice. Every source sees the hand-over as a
    /// reconnection. Listeners, streams and state work as on any source;
    /// [`EventSource::shared_role`](crate::EventSource::shared_role) tells this
    /// source's part. Without `navigator.locks` or `BroadcastChannel` the
    /// source connects on its own and its role is
    /// [`SharedRole::Unshared`](crate::SharedRole::Unshared).
    ///
    /// ```no_run
    /// use web_sse::{EventSource, EventSourceOptions};
    ///
    /// let options = EventSourceOptions::new()
    ///     .shared(true)
    ///     .last_event_id_param("lastEventId");
    /// let source = EventSource::with_options("/events", &options)?;
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    #[cfg(feature = "shared")]
    #[cfg_attr(docsrs, doc(cfg(feature = "shared")))]
    pub fn shared(mut self, shared: bool) -> Self {
        self.shared = shared;
        self
    }

    /// End the source cleanly at this event, and take a response that ends
    /// before it for truncated (fetch transport; see [`EndOn`](crate::EndOn)).
    /// The native transport ignores it: the browser's `EventSource` cannot
    /// be stopped mid-event, nor tell a clean end of the response from a drop.
    ///
    /// ```no_run
    /// use web_sse::{EndOn, EventSource, EventSourceOptions, Transport};
    ///
    /// let options = EventSourceOptions::new()
    ///     .transport(Transport::Fetch)
    ///     .method("POST")
    ///     .body(r#"{"prompt":"hello"}"#)
    ///     .end_on(EndOn::data("[DONE]"));
    /// let source = EventSource::with_options("/v1/chat", &options)?;
    /// # Ok::<(), web_sse::Error>(())
    /// ```
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    pub fn end_on(mut self, end: crate::EndOn) -> Self {
        self.end_on = Some(end);
        self
    }

    /// The policy in force for this transport.
    pub(crate) fn policy(&self) -> Option<ReconnectPolicy> {
        match (self.reconnect, self.transport) {
            (Some(policy), _) => policy,
            #[cfg(feature = "fetch")]
            (None, Transport::Fetch) => Some(ReconnectPolicy::new()),
            (None, _) => None,
        }
    }

    /// The idle timeout in force for this transport.
    pub(crate) fn idle(&self) -> Option<Duration> {
        match (self.idle_timeout, self.transport) {
            (Some(timeout), _) => timeout.filter(|t| !t.is_zero()),
            #[cfg(feature = "fetch")]
            (None, Transport::Fetch) => Some(IDLE_TIMEOUT),
            (None, _) => None,
        }
    }
}
