//! What a source is opened with: credentials, the transport and, on the fetch
//! transport, the request.

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
    Fetch,
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSourceOptions {
    pub(crate) with_credentials: bool,
    pub(crate) transport: Transport,
    pub(crate) method: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<String>,
    pub(crate) retry_statuses: Vec<u16>,
}

impl EventSourceOptions {
    /// The defaults: the native transport, no credentials on cross-origin
    /// requests.
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

    /// The request body on the fetch transport, sent again on each reconnect.
    pub fn body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }

    /// On the fetch transport, reconnect after this HTTP status (a `503`
    /// from a proxy during a deploy, say) instead of giving up, waiting the
    /// reconnection time first. By default every non-200 status ends the
    /// source, as the spec says.
    pub fn retry_on_status(mut self, status: u16) -> Self {
        self.retry_statuses.push(status);
        self
    }
}
