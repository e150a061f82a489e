//! The one error type of the crate.

use wasm_bindgen::{JsCast, JsValue};

/// Everything that can go wrong when opening or reading an event source.
///
/// Each message says what happened and what to do about it. The enum is
/// `#[non_exhaustive]`: match with a wildcard arm so that new variants are not
/// a breaking change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The global scope has no `EventSource` constructor.
    #[error(
        "EventSource is not available in this environment: run in a browser window or \
         worker that has it, and check web_sse::is_supported() first"
    )]
    Unsupported,

    /// The browser could not parse the URL (the constructor threw `SyntaxError`).
    #[error("cannot open an event source at \"{url}\": {message}; pass an absolute URL or one relative to the page")]
    InvalidUrl {
        /// The URL as it was given.
        url: String,
        /// The browser's own explanation.
        message: String,
    },

    /// A JavaScript exception that no other variant describes.
    #[error("the browser threw {name}: {message}")]
    Js {
        /// The exception's `name`, for example `SecurityError`.
        name: String,
        /// The exception's `message`.
        message: String,
    },

    /// The browser failed the connection and will not reconnect.
    ///
    /// On the native transport, this is what a non-200 status, a
    /// `Content-Type` other than `text/event-stream` or a CORS refusal looks
    /// like: the browser does not say which. A refused first connection is
    /// one too in Firefox; Chromium treats it as a reconnect and keeps
    /// trying. The fetch transport reports [`Error::Http`] and
    /// [`Error::NotEventStream`] instead, with the facts.
    #[error(
        "the event source at {url} failed and the browser will not reconnect (a non-200 \
         status, a wrong Content-Type, a CORS refusal or, in Firefox, a refused first \
         connection); check the server's response in the network panel, then open a new \
         EventSource, or use the fetch transport to see the status"
    )]
    ConnectionFailed {
        /// The source's URL, resolved by the browser.
        url: String,
    },

    /// The server answered with a status other than 200 (fetch transport).
    ///
    /// Fatal unless the status was chosen with
    /// [`EventSourceOptions::retry_on_status`](crate::EventSourceOptions::retry_on_status).
    #[error(
        "the event source at {url} answered HTTP {} {status_text}, not a 200 event stream; \
         check the server (the response body is in this error), or retry this status with \
         EventSourceOptions::retry_on_status",
        u64::from(*.status)
    )]
    Http {
        /// The source's URL.
        url: String,
        /// The HTTP status, for example 401.
        status: u16,
        /// The status text, for example `Unauthorized` (empty over HTTP/2).
        status_text: String,
        /// The response's `Content-Type`, if it had one.
        content_type: Option<String>,
        /// Up to the first 1 KiB of the response body, as text.
        body: String,
    },

    /// The server answered 200 with a `Content-Type` other than
    /// `text/event-stream` (fetch transport). Always fatal, as in the spec.
    #[error(
        "the event source at {url} answered with Content-Type {}, not \
         text/event-stream; make the server send text/event-stream for this URL",
        .content_type.as_deref().unwrap_or("(none)")
    )]
    NotEventStream {
        /// The source's URL.
        url: String,
        /// The response's `Content-Type`, if it had one.
        content_type: Option<String>,
    },

    /// The server answered, but the browser refused to share the response
    /// with this page (fetch transport): a cross-origin response without
    /// `Access-Control-Allow-Origin` for this origin, or a refused preflight
    /// for the request's headers. Fatal, as the browser's own `EventSource`
    /// fails for good on a CORS refusal.
    ///
    /// `fetch()` reports a refusal as it reports a network failure, so after
    /// a cross-origin failure the transport sends one `no-cors` `GET` probe
    /// to the URL, aborted at once: it completes only when the server
    /// answered. On a cross-origin-isolated page (`Cross-Origin-Embedder-Policy:
    /// require-corp`) the probe needs the server's
    /// `Cross-Origin-Resource-Policy: cross-origin`; without it a refusal
    /// looks like [`Error::Network`] and is retried.
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    #[error(
        "the event source at {url} answered, but the browser refused its response (CORS): the server must send Access-Control-Allow-Origin, and allow these request headers: [{headers}] (last_event_id_param avoids a Last-Event-ID preflight)"
    )]
    Cors {
        /// The source's URL.
        url: String,
        /// The request's headers that need a preflight (such as
        /// `Last-Event-ID`), comma-separated; empty when there were none.
        headers: String,
    },

    /// The request failed before a response arrived, or the body broke off
    /// (fetch transport): offline, DNS, a refused connection. The source
    /// reconnects after the reconnection time.
    #[error("could not read the event source at {url} ({message}); it reconnects on its own")]
    Network {
        /// The source's URL.
        url: String,
        /// The browser's explanation, for example `Failed to fetch`.
        message: String,
    },

    /// The stream broke the parser's size limit (fetch transport). The
    /// oversized event was skipped; the stream goes on with the next one.
    #[error("the event source at {url} sent an oversized event: {error}")]
    Parse {
        /// The source's URL.
        url: String,
        /// Which limit, and how to raise it.
        error: crate::parse::ParseError,
    },

    /// The stream a source was made from failed (`EventSource::from_readable_stream`
    /// or `EventSource::from_stream`, feature `fetch`). The source is closed: a
    /// stream is read once.
    #[error("the stream this event source reads failed ({message}); the source is closed")]
    Stream {
        /// What the stream reported.
        message: String,
    },

    /// No byte (not even a comment) arrived for the idle timeout: the
    /// connection is taken for half-open, aborted and reopened with the last
    /// event ID. Reported on the way to a reconnect; see
    /// [`EventSourceOptions::idle_timeout`](crate::EventSourceOptions::idle_timeout).
    #[error(
        "nothing arrived from the event source at {url} for {} ms, so the connection was taken for dead and reopened; if the server is just quiet, make it send a comment (`:`) more often than that, or raise EventSourceOptions::idle_timeout",
        millis(.idle)
    )]
    Timeout {
        /// The source's URL.
        url: String,
        /// The idle timeout that expired.
        idle: std::time::Duration,
    },

    /// The response ended, or dropped, before the sentinel of
    /// [`EventSourceOptions::end_on`](crate::EventSourceOptions::end_on)
    /// (fetch transport): the answer is incomplete. Error listeners hear it
    /// on the way to a reconnect, as any drop; a stream does not yield it.
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    #[error(
        "the event source at {url} ended before its end sentinel (last event ID \"{last_event_id}\"), so the answer is incomplete; it reconnects"
    )]
    Truncated {
        /// The source's URL.
        url: String,
        /// The last event ID when the response ended: where a resumption
        /// starts.
        last_event_id: String,
        /// What broke the response off ([`Error::Network`],
        /// [`Error::Timeout`]); `None` when it ended cleanly.
        #[source]
        cause: Option<Box<Error>>,
    },

    /// The reconnect policy's attempt limit was reached without a stable
    /// connection; the source is closed. The last failure is in
    /// [`ConnectionState::last_error`](crate::ConnectionState::last_error).
    #[error(
        "the event source at {url} gave up after {} reconnection attempts; check the server, then open a new EventSource (or raise ReconnectPolicy::max_attempts)",
        u64::from(*.attempts)
    )]
    AttemptsExhausted {
        /// The source's URL.
        url: String,
        /// How many reconnections were tried.
        attempts: u32,
        /// The failure that used up the last attempt, when there was one (a
        /// clean end of the response is none).
        #[source]
        last: Option<Box<Error>>,
    },

    /// The request hook of
    /// [`EventSourceOptions::request_with`](crate::EventSourceOptions::request_with)
    /// failed, or made a request that cannot be sent (a bad header name, a
    /// body on a `GET`): the source cannot connect, and is closed.
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    #[error(
        "the request hook of the event source at {url} failed ({message}), so the source is closed; make the hook succeed (fetch the token again, say), then open a new EventSource"
    )]
    RequestHook {
        /// The source's URL.
        url: String,
        /// The cause: the text of the hook's error, or the browser's
        /// explanation of why its request could not be made.
        message: String,
    },

    /// The connection ended, and the [`Replay`](crate::Replay) rule forbade
    /// sending the request again (fetch transport): by default, a `POST`
    /// whose server had sent no event ID to resume from. Replaying it could
    /// repeat what the server did, a chat prompt answered twice, say. The
    /// source is closed.
    #[cfg(feature = "fetch")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
    #[error(
        "the connection to the event source at {url} ended and its request was not sent again, {}; make the server send event IDs (`id:`) so that the source can resume, or choose EventSourceOptions::replay(Replay::Always) if the request is safe to repeat",
        not_replayed_because(*.replay)
    )]
    NotReplayed {
        /// The source's URL.
        url: String,
        /// The rule that forbade it: [`Replay::Resume`](crate::Replay::Resume)
        /// (no event ID yet) or [`Replay::Never`](crate::Replay::Never).
        replay: crate::Replay,
        /// Why the connection ended, when there was an error (a clean end of
        /// the body is none).
        #[source]
        last: Option<Box<Error>>,
    },

    /// A stream's consumer fell behind by more than the stream's capacity
    /// ([`EventSourceOptions::stream_capacity`](crate::EventSourceOptions::stream_capacity)):
    /// the `skipped` oldest events were dropped, and the stream goes on with
    /// the newest. Only a stream item; it never ends a stream.
    #[error(
        "the stream was not polled, and skipped its {skipped} oldest events; raise EventSourceOptions::stream_capacity or poll it"
    )]
    Lagged {
        /// How many events were dropped.
        skipped: u64,
    },

    /// An event's data did not decode as the requested JSON type.
    ///
    /// Only a stream item or a call result: it never ends a stream.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    #[error("the data of a \"{event_type}\" event is not the expected JSON: {message}")]
    Json {
        /// The type of the event whose data failed to decode.
        event_type: String,
        /// What serde_json reported.
        message: String,
    },
}

/// Whole milliseconds: `u128` (what `Duration::as_millis` gives) formats
/// through several KiB of wasm that `u64` does not need.
fn millis(duration: &std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Why [`Error::NotReplayed`] did not replay, by its rule.
#[cfg(feature = "fetch")]
fn not_replayed_because(replay: crate::Replay) -> &'static str {
    match replay {
        crate::Replay::Never => "as its replay rule is Never",
        _ => "as the server had sent no event ID to resume from, and replaying the request from the start could repeat what the server did (its default for a method other than GET or HEAD)",
    }
}

impl Error {
    /// Wraps any other exception.
    #[cfg(any(feature = "fetch", feature = "shared"))]
    pub(crate) fn from_js(exception: &JsValue) -> Self {
        let (name, message) = name_and_message(exception);
        Error::Js { name, message }
    }

    /// Wraps an exception from the `EventSource` constructor.
    pub(crate) fn from_constructor(url: &str, exception: JsValue) -> Self {
        let (name, message) = name_and_message(&exception);
        if name == "SyntaxError" {
            Error::InvalidUrl {
                url: url.to_owned(),
                message,
            }
        } else {
            Error::Js { name, message }
        }
    }
}

/// The `message` of any thrown value.
#[cfg(feature = "fetch")]
pub(crate) fn message_of(exception: &JsValue) -> String {
    name_and_message(exception).1
}

/// Reads `name` and `message` off any thrown value, `Error` or `DOMException`
/// alike, without assuming its shape.
fn name_and_message(exception: &JsValue) -> (String, String) {
    let field = |key: &str| {
        js_sys::Reflect::get(exception, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) => (name, message),
        (name, _) => {
            let message = exception
                .dyn_ref::<js_sys::JsString>()
                .map(String::from)
                .unwrap_or_else(|| String::from("(no message)"));
            (name.unwrap_or_else(|| String::from("Error")), message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn messages_say_what_to_do() {
        let unsupported = Error::Unsupported.to_string();
        assert!(unsupported.contains("is_supported()"), "{unsupported}");
        let failed = Error::ConnectionFailed {
            url: "http://127.0.0.1/events".into(),
        }
        .to_string();
        assert!(failed.contains("http://127.0.0.1/events"), "{failed}");
        assert!(failed.contains("open a new EventSource"), "{failed}");
        let invalid = Error::InvalidUrl {
            url: "http://[".into(),
            message: "bad".into(),
        }
        .to_string();
        assert!(invalid.contains("\"http://[\""), "{invalid}");
    }

    #[test]
    fn messages_have_no_runs_of_spaces() {
        let url = String::from("http://127.0.0.1/events");
        let messages = [
            Error::Lagged { skipped: 3 }.to_string(),
            Error::Timeout {
                url: url.clone(),
                idle: std::time::Duration::from_secs(45),
            }
            .to_string(),
            Error::AttemptsExhausted {
                url: url.clone(),
                attempts: 3,
                last: None,
            }
            .to_string(),
            Error::Unsupported.to_string(),
            Error::NotEventStream {
                url: url.clone(),
                content_type: None,
            }
            .to_string(),
            #[cfg(feature = "fetch")]
            Error::Cors {
                url: url.clone(),
                headers: "Last-Event-ID".into(),
            }
            .to_string(),
            #[cfg(feature = "fetch")]
            Error::RequestHook {
                url: url.clone(),
                message: "no token".into(),
            }
            .to_string(),
            #[cfg(feature = "fetch")]
            Error::NotReplayed {
                url: url.clone(),
                replay: crate::Replay::Resume,
                last: None,
            }
            .to_string(),
            #[cfg(feature = "fetch")]
            Error::NotReplayed {
                url: url.clone(),
                replay: crate::Replay::Never,
                last: None,
            }
            .to_string(),
            Error::Http {
                url,
                status: 503,
                status_text: String::new(),
                content_type: None,
                body: String::new(),
            }
            .to_string(),
        ];
        for message in messages {
            assert!(!message.contains("  "), "{message}");
        }
    }

    #[cfg(feature = "fetch")]
    #[test]
    fn a_request_not_replayed_says_why_and_what_to_do() {
        let url = String::from("http://127.0.0.1/chat");
        let resume = Error::NotReplayed {
            url: url.clone(),
            replay: crate::Replay::Resume,
            last: None,
        }
        .to_string();
        assert!(resume.contains("no event ID"), "{resume}");
        assert!(resume.contains("Replay::Always"), "{resume}");
        let never = Error::NotReplayed {
            url,
            replay: crate::Replay::Never,
            last: None,
        }
        .to_string();
        assert!(never.contains("Never"), "{never}");
    }

    #[cfg(feature = "fetch")]
    #[test]
    fn a_cors_refusal_names_what_the_server_must_send() {
        let refusal = Error::Cors {
            url: "http://127.0.0.1:1/events".into(),
            headers: "Authorization, Last-Event-ID".into(),
        }
        .to_string();
        assert!(refusal.contains("Access-Control-Allow-Origin"), "{refusal}");
        assert!(
            refusal.contains("[Authorization, Last-Event-ID]"),
            "{refusal}"
        );
        assert!(refusal.contains("last_event_id_param"), "{refusal}");
    }
}
