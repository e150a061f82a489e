//! The request per attempt on the fetch transport, and when a request may be
//! sent again: [`Attempt`], [`Request`], [`Replay`], and the type-erased hook
//! behind [`EventSourceOptions::request_with`](crate::EventSourceOptions::request_with).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// What the request hook of
/// [`EventSourceOptions::request_with`](crate::EventSourceOptions::request_with)
/// is told about the connection attempt it builds the request for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub(crate) number: u32,
    pub(crate) last_event_id: String,
    pub(crate) refresh: Option<u16>,
}

impl Attempt {
    /// How many requests this source sent before this one: 0 for the first
    /// connection, then 1, 2, … for every later attempt, the refresh of
    /// [`refresh_on`](crate::EventSourceOptions::refresh_on) included. It
    /// never goes back to 0 (unlike the reconnect policy's count).
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The last event ID the request carries (as `Last-Event-ID`, or in the
    /// query parameter of
    /// [`last_event_id_param`](crate::EventSourceOptions::last_event_id_param));
    /// empty when it carries none.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// `Some(status)` when the previous response had a status of
    /// [`refresh_on`](crate::EventSourceOptions::refresh_on) (401, say), and
    /// this attempt is its one immediate retry: the time to fetch a new
    /// token rather than reuse a cached one.
    pub fn refresh(&self) -> Option<u16> {
        self.refresh
    }
}

/// What the request hook sets for one attempt, over the options' own
/// request (see
/// [`EventSourceOptions::request_with`](crate::EventSourceOptions::request_with)).
/// What it leaves unset stays as the options say; the method and the
/// credentials mode are always the options'.
///
/// ```
/// # #[cfg(feature = "fetch")] {
/// use web_sse::Request;
///
/// let request = Request::new()
///     .url("/events?sig=fresh-signature")
///     .header("Authorization", "Bearer fresh-token")
///     .body(r#"{"topic":"prices"}"#);
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub(crate) url: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<String>,
}

impl Request {
    /// A request that changes nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The URL to request this time (a re-signed URL, say), resolved
    /// against the page as the source's own. The source's
    /// [`url`](crate::EventSource::url), and the URL its errors name, stay
    /// the one it was opened with, so a signature in this one is not shown.
    pub fn url(mut self, url: &str) -> Self {
        self.url = Some(url.to_owned());
        self
    }

    /// A header for this request. It replaces the options' headers of that
    /// name; several calls with one name send each value.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The body of this request, in place of the options' body.
    pub fn body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }
}

/// When the fetch transport sends its request again after a connection
/// ended (see [`EventSourceOptions::replay`](crate::EventSourceOptions::replay)).
///
/// A reconnect re-sends the whole request. For a `GET` that only reads, that
/// is what the spec does. For a `POST` that asks a chat model for an
/// answer, it sends the prompt again: the model answers from the start, the
/// tokens are paid twice, and the page shows the answer twice. Unless the
/// server sends event IDs and resumes from `Last-Event-ID`, such a request
/// must not be replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Replay {
    /// Reconnect whenever the spec (and the reconnect policy, and the
    /// retried statuses) say to: the default for `GET` and `HEAD`.
    Always,
    /// Reconnect only when the source holds a last event ID, so that the
    /// new request carries it and the server can resume after it rather
    /// than start over: the default for every other method. Before the
    /// server sent an ID (or after it reset the ID with an empty `id:`), an
    /// end that would reconnect ends the source with
    /// [`Error::NotReplayed`](crate::Error::NotReplayed) instead.
    Resume,
    /// Never send the request a second time: any end that would reconnect
    /// ends the source with [`Error::NotReplayed`](crate::Error::NotReplayed).
    Never,
}

impl Replay {
    /// The rule for `method` when none is chosen: [`Replay::Always`] for
    /// `GET` and `HEAD`, which only read, [`Replay::Resume`] for the others.
    pub fn default_for(method: &str) -> Replay {
        if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
            Replay::Always
        } else {
            Replay::Resume
        }
    }

    /// The name the npm package gives it: `always`, `resume` or `never`.
    #[cfg(any(feature = "js", feature = "shared"))]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Replay::Always => "always",
            Replay::Resume => "resume",
            Replay::Never => "never",
        }
    }

    /// The rule named `name` (as [`Replay::name`] writes it).
    #[cfg(feature = "shared")]
    pub(crate) fn from_name(name: &str) -> Option<Replay> {
        [Replay::Always, Replay::Resume, Replay::Never]
            .into_iter()
            .find(|replay| replay.name() == name)
    }
}

/// The future a hook returns; `Err` holds the cause's message.
pub(crate) type HookFuture = Pin<Box<dyn Future<Output = Result<Request, String>>>>;

/// The request hook with its types erased: one `dyn` call per attempt, so
/// the transport is compiled once whatever the hook's type.
#[derive(Clone)]
pub(crate) struct RequestHook(Rc<dyn Fn(Attempt) -> HookFuture>);

impl RequestHook {
    pub(crate) fn new(hook: Rc<dyn Fn(Attempt) -> HookFuture>) -> Self {
        RequestHook(hook)
    }

    pub(crate) fn call(&self, attempt: Attempt) -> HookFuture {
        (self.0)(attempt)
    }
}

impl fmt::Debug for RequestHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestHook")
    }
}

// Options compare equal when they hold the same hook (clones of one).
impl PartialEq for RequestHook {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for RequestHook {}
