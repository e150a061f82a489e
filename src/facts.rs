//! The facts of an error as a page sees them, one mapping for both ways:
//! [`write`] turns an [`Error`] into the properties of the npm package's
//! `error` events (`kind`, `status`, `statusText`, `contentType`, `body`,
//! `message`, and a kind's own: `headers`; `idleTimeout`; `attempts` and `lastKind`;
//! `limit`; `skipped`; `replay` and `lastKind`; `lastEventId` and `lastKind`), and [`read`] turns those properties back into an
//! [`Error`]. The wasm half of the npm package (`js`) writes them; a shared
//! source (`shared`) writes and reads them on the channel, where JS and Rust
//! sources meet. Both matches name every variant, so a new one does not
//! compile until it has its facts here.
//!
//! The native transport's failure carries none: the browser says nothing of
//! why, and a page's `error` event has no `kind` then.

#[cfg(feature = "shared")]
use std::time::Duration;

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use crate::parse::ParseError;
use crate::Error;

/// Writes `error`'s facts on `details` (a fresh plain object), and returns
/// its kind (none for the native transport's failure). No message
/// is formatted here: the JS class words its own, so the npm wasm carries
/// no formatting code for it.
pub(crate) fn write<'e>(details: &Object, error: &'e Error) -> Option<&'e str> {
    // One `kind`, `message` and `contentType` write for every arm: the npm
    // wasm pays for each call site.
    let mut message = None;
    let mut content_type = None;
    let kind: &str = match error {
        Error::ConnectionFailed { .. } => return None,
        Error::Unsupported => "unsupported",
        Error::InvalidUrl { message: said, .. } => {
            message = Some(said);
            "request"
        }
        Error::Js {
            name,
            message: said,
        } => {
            message = Some(said);
            name
        }
        Error::Http {
            status,
            status_text,
            content_type: sent,
            body,
            ..
        } => {
            number(details, "status", f64::from(*status));
            text(details, "statusText", status_text);
            text(details, "body", body);
            content_type = Some(sent);
            "http"
        }
        Error::NotEventStream {
            content_type: sent, ..
        } => {
            content_type = Some(sent);
            "content-type"
        }
        Error::Network { message: said, .. } => {
            message = Some(said);
            "network"
        }
        #[cfg(feature = "fetch")]
        Error::Cors { headers, .. } => {
            text(details, "headers", headers);
            "cors"
        }
        Error::Parse { error, .. } => {
            let (limit, kind) = match error {
                ParseError::LineTooLong { limit } => (*limit, "parse-line"),
                ParseError::EventTooLarge { limit } => (*limit, "parse"),
            };
            number(details, "limit", limit as f64);
            kind
        }
        Error::Stream { message: said } => {
            message = Some(said);
            "stream"
        }
        Error::Timeout { idle, .. } => {
            number(details, "idleTimeout", idle.as_secs_f64() * 1000.0);
            "timeout"
        }
        Error::AttemptsExhausted { attempts, last, .. } => {
            // The last failure's facts (status, body...), under the kind
            // that says the policy gave up.
            if let Some(kind) = last.as_deref().and_then(|last| write(details, last)) {
                text(details, "lastKind", kind);
            }
            number(details, "attempts", f64::from(*attempts));
            "attempts"
        }
        #[cfg(feature = "fetch")]
        Error::RequestHook { message: said, .. } => {
            message = Some(said);
            "request-hook"
        }
        #[cfg(feature = "fetch")]
        Error::NotReplayed { replay, last, .. } => {
            // As `attempts`: the failure that was not retried, under its kind.
            if let Some(kind) = last.as_deref().and_then(|last| write(details, last)) {
                text(details, "lastKind", kind);
            }
            text(details, "replay", replay.name());
            "not-replayed"
        }
        Error::Lagged { skipped } => {
            number(details, "skipped", *skipped as f64);
            "lagged"
        }
        #[cfg(feature = "fetch")]
        Error::Truncated {
            last_event_id,
            cause,
            ..
        } => {
            // What broke the response off, as `attempts` writes its last failure.
            if let Some(kind) = cause.as_deref().and_then(|cause| write(details, cause)) {
                text(details, "lastKind", kind);
            }
            text(details, "lastEventId", last_event_id);
            "truncated"
        }
        #[cfg(feature = "json")]
        Error::Json {
            event_type,
            message: said,
        } => {
            text(details, "eventType", event_type);
            message = Some(said);
            "json"
        }
    };
    text(details, "kind", kind);
    if let Some(sent) = content_type {
        set(details, "contentType", &sent.as_deref().into());
    }
    if let Some(said) = message {
        text(details, "message", said);
    }
    Some(kind)
}

/// The error whose facts `details` holds, for the source at `url`: any
/// script of the origin may have posted them, so a missing or wrong field
/// reads as empty. Without a `kind`, the native transport's end when
/// `fatal`, else none.
#[cfg(feature = "shared")]
pub(crate) fn read(details: &JsValue, url: &str, fatal: bool) -> Option<Error> {
    read_kind(details, read_text(details, "kind"), url, fatal)
}

/// [`read`], with `kind` in place of the one `details` says (the last
/// failure of an `attempts` error is written under `lastKind`).
#[cfg(feature = "shared")]
fn read_kind(details: &JsValue, kind: Option<String>, url: &str, fatal: bool) -> Option<Error> {
    let url = url.to_owned();
    let message = || read_text(details, "message").unwrap_or_default();
    // `as` saturates: NaN and negatives are 0.
    let whole = |key: &str| read_number(details, key).unwrap_or(0.0);
    Some(match kind.as_deref() {
        None => return fatal.then_some(Error::ConnectionFailed { url }),
        Some("unsupported") => Error::Unsupported,
        Some("request") => Error::InvalidUrl {
            url,
            message: message(),
        },
        Some("http") => Error::Http {
            url,
            status: whole("status") as u16,
            status_text: read_text(details, "statusText").unwrap_or_default(),
            content_type: read_text(details, "contentType"),
            body: read_text(details, "body").unwrap_or_default(),
        },
        Some("content-type") => Error::NotEventStream {
            url,
            content_type: read_text(details, "contentType"),
        },
        Some("network") => Error::Network {
            url,
            message: message(),
        },
        #[cfg(feature = "fetch")]
        Some("cors") => Error::Cors {
            url,
            headers: read_text(details, "headers").unwrap_or_default(),
        },
        Some(kind @ ("parse" | "parse-line")) => {
            let limit = whole("limit") as usize;
            Error::Parse {
                url,
                error: if kind == "parse" {
                    ParseError::EventTooLarge { limit }
                } else {
                    ParseError::LineTooLong { limit }
                },
            }
        }
        Some("stream") => Error::Stream { message: message() },
        Some("timeout") => Error::Timeout {
            url,
            idle: Duration::from_millis(whole("idleTimeout") as u64),
        },
        Some("attempts") => Error::AttemptsExhausted {
            url: url.clone(),
            attempts: whole("attempts") as u32,
            last: read_text(details, "lastKind")
                .and_then(|last| read_kind(details, Some(last), &url, fatal))
                .map(Box::new),
        },
        #[cfg(feature = "fetch")]
        Some("request-hook") => Error::RequestHook {
            url,
            message: message(),
        },
        #[cfg(feature = "fetch")]
        Some("not-replayed") => Error::NotReplayed {
            url: url.clone(),
            replay: read_text(details, "replay")
                .and_then(|name| crate::Replay::from_name(&name))
                .unwrap_or(crate::Replay::Never),
            last: read_text(details, "lastKind")
                .and_then(|last| read_kind(details, Some(last), &url, fatal))
                .map(Box::new),
        },
        Some("lagged") => Error::Lagged {
            skipped: whole("skipped") as u64,
        },
        #[cfg(feature = "fetch")]
        Some("truncated") => Error::Truncated {
            url: url.clone(),
            last_event_id: read_text(details, "lastEventId").unwrap_or_default(),
            cause: read_text(details, "lastKind")
                .and_then(|last| read_kind(details, Some(last), &url, fatal))
                .map(Box::new),
        },
        #[cfg(feature = "json")]
        Some("json") => Error::Json {
            event_type: read_text(details, "eventType").unwrap_or_default(),
            message: message(),
        },
        // Any other kind is an exception's name (`Error::Js`), or a kind of
        // the JS package that Rust has no variant for (`wasm`, `end`).
        Some(name) => Error::Js {
            name: name.to_owned(),
            message: message(),
        },
    })
}

/// Out of line, as are [`text`] and [`number`]: one copy of the call, not
/// one per fact, in the npm wasm.
fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a property on a plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

fn text(object: &Object, key: &str, value: &str) {
    set(object, key, &JsValue::from_str(value));
}

pub(crate) fn number(object: &Object, key: &str, value: f64) {
    set(object, key, &JsValue::from_f64(value));
}

#[cfg(feature = "shared")]
fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

#[cfg(feature = "shared")]
fn read_text(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

#[cfg(feature = "shared")]
fn read_number(object: &JsValue, key: &str) -> Option<f64> {
    get(object, key).as_f64()
}

#[cfg(all(test, target_arch = "wasm32", feature = "shared"))]
mod tests {
    use std::time::Duration;

    use js_sys::Object;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::{read, write};
    use crate::parse::ParseError;
    use crate::Error;

    wasm_bindgen_test_configure!(run_in_browser);

    const URL: &str = "http://127.0.0.1/events";

    fn every_error() -> Vec<Error> {
        let url = || URL.to_owned();
        let http = Error::Http {
            url: url(),
            status: 503,
            status_text: "Service Unavailable".into(),
            content_type: Some("text/plain".into()),
            body: "down".into(),
        };
        #[cfg_attr(not(any(feature = "json", feature = "fetch")), allow(unused_mut))]
        let mut errors = vec![
            Error::Unsupported,
            Error::InvalidUrl {
                url: url(),
                message: "bad".into(),
            },
            Error::Js {
                name: "SecurityError".into(),
                message: "no".into(),
            },
            Error::ConnectionFailed { url: url() },
            http.clone(),
            Error::NotEventStream {
                url: url(),
                content_type: None,
            },
            Error::Network {
                url: url(),
                message: "Failed to fetch".into(),
            },
            #[cfg(feature = "fetch")]
            Error::Cors {
                url: url(),
                headers: "Last-Event-ID".into(),
            },
            Error::Parse {
                url: url(),
                error: ParseError::LineTooLong { limit: 1024 },
            },
            Error::Parse {
                url: url(),
                error: ParseError::EventTooLarge { limit: 2048 },
            },
            Error::Stream {
                message: "broke".into(),
            },
            Error::Timeout {
                url: url(),
                idle: Duration::from_millis(1500),
            },
            Error::AttemptsExhausted {
                url: url(),
                attempts: 3,
                last: Some(Box::new(http)),
            },
            Error::AttemptsExhausted {
                url: url(),
                attempts: 0,
                last: None,
            },
            Error::Lagged { skipped: 7 },
        ];
        #[cfg(feature = "fetch")]
        errors.extend([
            Error::RequestHook {
                url: url(),
                message: "no token".into(),
            },
            Error::NotReplayed {
                url: url(),
                replay: crate::Replay::Resume,
                last: Some(Box::new(Error::Network {
                    url: url(),
                    message: "Failed to fetch".into(),
                })),
            },
            Error::NotReplayed {
                url: url(),
                replay: crate::Replay::Never,
                last: None,
            },
            Error::Truncated {
                url: url(),
                last_event_id: "41".into(),
                cause: None,
            },
            Error::Truncated {
                url: url(),
                last_event_id: String::new(),
                cause: Some(Box::new(Error::Network {
                    url: url(),
                    message: "network error".into(),
                })),
            },
        ]);
        #[cfg(feature = "json")]
        errors.push(Error::Json {
            event_type: "tick".into(),
            message: "expected a number".into(),
        });
        errors
    }

    #[wasm_bindgen_test]
    fn every_error_crosses_and_comes_back() {
        for error in every_error() {
            let details = Object::new();
            write(&details, &error);
            assert_eq!(read(&details, URL, true), Some(error.clone()), "{error:?}");
        }
    }

    #[wasm_bindgen_test]
    fn a_kind_names_the_error_for_js() {
        let kinds: Vec<Option<String>> = every_error()
            .iter()
            .map(|error| {
                let details = Object::new();
                write(&details, error);
                super::read_text(&details, "kind")
            })
            .collect();
        let kinds: Vec<Option<&str>> = kinds.iter().map(Option::as_deref).collect();
        let mut expected = vec![
            Some("unsupported"),
            Some("request"),
            Some("SecurityError"),
            None,
            Some("http"),
            Some("content-type"),
            Some("network"),
            Some("parse-line"),
            Some("parse"),
            Some("stream"),
            Some("timeout"),
            Some("attempts"),
            Some("attempts"),
            Some("lagged"),
        ];
        if cfg!(feature = "fetch") {
            expected.insert(7, Some("cors"));
        }
        if cfg!(feature = "fetch") {
            expected.extend([
                Some("request-hook"),
                Some("not-replayed"),
                Some("not-replayed"),
                Some("truncated"),
                Some("truncated"),
            ]);
        }
        if cfg!(feature = "json") {
            expected.push(Some("json"));
        }
        assert_eq!(kinds, expected);
    }
}
