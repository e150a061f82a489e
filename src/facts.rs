//! The facts of an error as a page sees them, one mapping for both ways:
//! [`write`] turns an [`Error`] into the properties of the npm package's
//! `error` events (`kind`, `status`, `statusText`, `contentType`, `body`,
//! `message`, and a kind's own: `idleTimeout`; `attempts` and `lastKind`;
//! `limit`; `skipped`), and [`read`] turns those properties back into an
//! [`Error`]. The wasm half of the npm package (`js`) writes them; a shared
//! source (`shared`) writes and reads them on the channel, where JS and Rust
//! sources meet. Both matches name every variant, so a new one does not
//! compile until it has its facts here.
//!
//! The native transport's failure carries none: the browser says nothing of
//! why, and a page's `error` event has no `kind` then.

use std::time::Duration;

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use crate::parse::ParseError;
use crate::Error;

/// Writes `error`'s facts on `details` (a fresh plain object). No message
/// is formatted here: the JS class words its own, so the npm wasm carries
/// no formatting code for it.
pub(crate) fn write(details: &Object, error: &Error) {
    let put = |key: &str, value: JsValue| set(details, key, &value);
    match error {
        Error::ConnectionFailed { .. } => {}
        Error::Unsupported => put("kind", "unsupported".into()),
        Error::InvalidUrl { message, .. } => {
            put("kind", "request".into());
            put("message", message.into());
        }
        Error::Js { name, message } => {
            put("kind", name.into());
            put("message", message.into());
        }
        Error::Http {
            status,
            status_text,
            content_type,
            body,
            ..
        } => {
            put("kind", "http".into());
            put("status", (*status).into());
            put("statusText", status_text.into());
            put("contentType", content_type.as_deref().into());
            put("body", body.into());
        }
        Error::NotEventStream { content_type, .. } => {
            put("kind", "content-type".into());
            put("contentType", content_type.as_deref().into());
        }
        Error::Network { message, .. } => {
            put("kind", "network".into());
            put("message", message.into());
        }
        Error::Parse { error, .. } => {
            put("kind", "parse".into());
            let (limit, line) = match error {
                ParseError::LineTooLong { limit } => (*limit, true),
                ParseError::EventTooLarge { limit } => (*limit, false),
            };
            put("limit", (limit as f64).into());
            if line {
                put("line", JsValue::TRUE);
            }
        }
        Error::Stream { message } => {
            put("kind", "stream".into());
            put("message", message.into());
        }
        Error::Timeout { idle, .. } => {
            put("kind", "timeout".into());
            put("idleTimeout", (idle.as_secs_f64() * 1000.0).into());
        }
        Error::AttemptsExhausted { attempts, last, .. } => {
            // The last failure's facts (status, body...), under the kind
            // that says the policy gave up.
            if let Some(last) = last {
                write(details, last);
                put("lastKind", get(details, "kind"));
            }
            put("kind", "attempts".into());
            put("attempts", (*attempts).into());
        }
        Error::Lagged { skipped } => {
            put("kind", "lagged".into());
            put("skipped", (*skipped as f64).into());
        }
        #[cfg(feature = "json")]
        Error::Json {
            event_type,
            message,
        } => {
            put("kind", "json".into());
            put("eventType", event_type.into());
            put("message", message.into());
        }
    }
}

/// The error whose facts `details` holds, for the source at `url`: any
/// script of the origin may have posted them, so a missing or wrong field
/// reads as empty. Without a `kind`, the native transport's end when
/// `fatal`, else none.
#[cfg(feature = "shared")]
pub(crate) fn read(details: &JsValue, url: &str, fatal: bool) -> Option<Error> {
    read_kind(details, text(details, "kind"), url, fatal)
}

/// [`read`], with `kind` in place of the one `details` says (the last
/// failure of an `attempts` error is written under `lastKind`).
#[cfg(feature = "shared")]
fn read_kind(details: &JsValue, kind: Option<String>, url: &str, fatal: bool) -> Option<Error> {
    let url = url.to_owned();
    let message = || text(details, "message").unwrap_or_default();
    // `as` saturates: NaN and negatives are 0.
    let whole = |key: &str| number(details, key).unwrap_or(0.0);
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
            status_text: text(details, "statusText").unwrap_or_default(),
            content_type: text(details, "contentType"),
            body: text(details, "body").unwrap_or_default(),
        },
        Some("content-type") => Error::NotEventStream {
            url,
            content_type: text(details, "contentType"),
        },
        Some("network") => Error::Network {
            url,
            message: message(),
        },
        Some("parse") => {
            let limit = whole("limit") as usize;
            Error::Parse {
                url,
                error: if get(details, "line").is_truthy() {
                    ParseError::LineTooLong { limit }
                } else {
                    ParseError::EventTooLarge { limit }
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
            last: text(details, "lastKind")
                .and_then(|last| read_kind(details, Some(last), &url, fatal))
                .map(Box::new),
        },
        Some("lagged") => Error::Lagged {
            skipped: whole("skipped") as u64,
        },
        #[cfg(feature = "json")]
        Some("json") => Error::Json {
            event_type: text(details, "eventType").unwrap_or_default(),
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

fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a property on a plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

#[cfg(feature = "shared")]
fn text(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

#[cfg(feature = "shared")]
fn number(object: &JsValue, key: &str) -> Option<f64> {
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
                super::text(&details, "kind")
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
            Some("parse"),
            Some("parse"),
            Some("stream"),
            Some("timeout"),
            Some("attempts"),
            Some("attempts"),
            Some("lagged"),
        ];
        if cfg!(feature = "json") {
            expected.push(Some("json"));
        }
        assert_eq!(kinds, expected);
    }
}
