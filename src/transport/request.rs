//! The fetch transport's request, built for each attempt: the options' method,
//! headers and body, the last event ID, and what the page's request hook
//! (`EventSourceOptions::request_with`) sets for this attempt.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use wasm_bindgen::JsValue;

use super::cors;
use super::task::Control;
use crate::request::{Attempt, Replay, Request, RequestHook};
use crate::{Error, EventSourceOptions};

/// Builds one attempt's `Request`: from web-sys calls for a Rust app, from
/// one JS function for the npm package (whose wasm then holds none of the
/// web-sys request code).
pub(crate) trait MakeRequest {
    /// The request to `url` with the options' method, headers and body, the
    /// hook's `extra` headers and body over them, and `last_event_id` in the
    /// `Last-Event-ID` header when not empty; the exception when the values
    /// make no request.
    fn make(
        &self,
        url: &str,
        last_event_id: &str,
        signal: Option<&web_sys::AbortSignal>,
        extra: Option<&Request>,
    ) -> Result<web_sys::Request, JsValue>;
}

/// What every attempt's request starts from.
pub(crate) struct RequestSpec {
    /// The source's URL: what errors name, and what the request goes to
    /// unless the hook says otherwise.
    pub(super) url: String,
    maker: Box<dyn MakeRequest>,
    pub(super) retry_statuses: Vec<u16>,
    pub(super) refresh_statuses: Vec<u16>,
    pub(super) replay: Replay,
    hook: Option<RequestHook>,
    /// The query parameter that carries the last event ID instead of the
    /// header.
    id_param: Option<String>,
    /// The page's headers that are not CORS-safelisted, for a CORS error.
    preflighted: Vec<String>,
}

/// The request of a Rust app, built with web-sys.
struct WebRequest {
    init: web_sys::RequestInit,
    headers: web_sys::Headers,
    /// The options' body, for an attempt whose hook sets none.
    body: JsValue,
}

impl WebRequest {
    fn new(options: &EventSourceOptions) -> Result<Self, JsValue> {
        let headers = web_sys::Headers::new()?;
        for (name, value) in &options.headers {
            headers.append(name, value)?;
        }
        if !headers.has("accept").unwrap_or(false) {
            let _ = headers.set("accept", "text/event-stream");
        }
        let init = web_sys::RequestInit::new();
        init.set_method(options.method.as_deref().unwrap_or("GET"));
        let body = options
            .body
            .as_deref()
            .map_or(JsValue::UNDEFINED, JsValue::from_str);
        init.set_mode(web_sys::RequestMode::Cors);
        init.set_cache(web_sys::RequestCache::NoStore);
        init.set_credentials(if options.with_credentials {
            web_sys::RequestCredentials::Include
        } else {
            web_sys::RequestCredentials::SameOrigin
        });
        Ok(WebRequest {
            init,
            headers,
            body,
        })
    }
}

impl MakeRequest for WebRequest {
    fn make(
        &self,
        url: &str,
        last_event_id: &str,
        signal: Option<&web_sys::AbortSignal>,
        extra: Option<&Request>,
    ) -> Result<web_sys::Request, JsValue> {
        let headers = web_sys::Headers::new_with_headers(&self.headers)?;
        self.init.set_body(&self.body);
        if let Some(extra) = extra {
            // Each of the hook's names replaces the options'.
            for (name, _) in &extra.headers {
                headers.delete(name)?;
            }
            for (name, value) in &extra.headers {
                headers.append(name, value)?;
            }
            if let Some(body) = &extra.body {
                self.init.set_body(&JsValue::from_str(body));
            }
        }
        // The parser never keeps an ID with CR, LF or NUL, which no header
        // may carry.
        if !last_event_id.is_empty() {
            let _ = headers.set("last-event-id", last_event_id);
        }
        self.init.set_headers(&headers);
        self.init.set_signal(signal);
        web_sys::Request::new_with_str_and_init(url, &self.init)
    }
}

/// One attempt's request, and what a CORS error about it names.
pub(super) struct Prepared {
    pub(super) request: web_sys::Request,
    /// Where it goes, resolved (the CORS probe asks the same server).
    pub(super) url: String,
    /// The hook's headers that are not CORS-safelisted.
    preflighted: Vec<String>,
}

impl RequestSpec {
    pub(super) fn new(url: &str, options: &EventSourceOptions) -> Result<Self, Error> {
        let maker = WebRequest::new(options).map_err(|e| Error::from_js(&e))?;
        Self::with_maker(url, options, Box::new(maker))
    }

    /// The spec of `options`, whose requests `maker` builds.
    pub(crate) fn with_maker(
        url: &str,
        options: &EventSourceOptions,
        maker: Box<dyn MakeRequest>,
    ) -> Result<Self, Error> {
        let method = options.method.as_deref().unwrap_or("GET");
        let spec = RequestSpec {
            url: url.to_owned(),
            maker,
            retry_statuses: options.retry_statuses.clone(),
            refresh_statuses: options.refresh_statuses.clone(),
            replay: options
                .replay
                .unwrap_or_else(|| Replay::default_for(method)),
            hook: options.request.clone(),
            id_param: options.last_event_id_param.clone(),
            preflighted: preflighted(&options.headers),
        };
        // A bad method or a GET with a body throws here, at once, rather
        // than on every reconnect.
        spec.request("", None, None)?;
        Ok(spec)
    }

    /// The hook's request for `attempt`: `Ok(None)` without a hook,
    /// `Err(None)` when the source was closed while the hook ran, and
    /// `Err(Some(_))` when it failed.
    pub(super) async fn run_hook(
        &self,
        attempt: Attempt,
        control: &Control,
    ) -> Result<Option<Request>, Option<Error>> {
        let Some(hook) = &self.hook else {
            return Ok(None);
        };
        let mut future = hook.call(attempt);
        // Waits for the hook, or for a close: a hook that never settles must
        // not keep the task (and what it reports to) alive.
        let settled = poll_fn(|cx| {
            if control.is_closed() {
                return Poll::Ready(None);
            }
            control.set_waker(Some(cx.waker()));
            Pin::new(&mut future).poll(cx).map(Some)
        })
        .await;
        control.set_waker(None);
        match settled {
            None => Err(None),
            Some(Ok(request)) => Ok(Some(request)),
            Some(Err(message)) => Err(Some(self.hook_failed(message))),
        }
    }

    fn hook_failed(&self, message: String) -> Error {
        Error::RequestHook {
            url: self.url.clone(),
            message,
        }
    }

    /// The request headers that a cross-origin server must allow in a
    /// preflight, comma-separated.
    pub(super) fn preflighted_headers(&self, prepared: &Prepared, sent_id: bool) -> String {
        let mut names = String::new();
        let id = (sent_id && self.id_param.is_none()).then_some("Last-Event-ID");
        let hook = prepared.preflighted.iter();
        for name in self
            .preflighted
            .iter()
            .chain(hook)
            .map(String::as_str)
            .chain(id)
        {
            if !names.is_empty() {
                names.push_str(", ");
            }
            names.push_str(name);
        }
        names
    }

    /// The request of one attempt: the options' request, with the hook's
    /// `extra` over it, and the last event ID.
    pub(super) fn request(
        &self,
        last_event_id: &str,
        signal: Option<&web_sys::AbortSignal>,
        extra: Option<&Request>,
    ) -> Result<Prepared, Error> {
        // `Request` resolves the hook's URL against the page, as `fetch()`
        // does.
        let url = extra.and_then(|extra| extra.url.as_deref());
        let url = super::with_param(
            url.unwrap_or(&self.url),
            self.id_param.as_deref(),
            last_event_id,
        );
        let header_id = if self.id_param.is_none() {
            last_event_id
        } else {
            ""
        };
        let request = match (self.maker.make(&url, header_id, signal, extra), extra) {
            (Ok(request), _) => request,
            (Err(e), None) => return Err(Error::from_js(&e)),
            // A bad header name or a body on a `GET` from the hook: the
            // hook's failure.
            (Err(e), Some(_)) => return Err(self.bad_request(e)),
        };
        Ok(Prepared {
            url: request.url(),
            request,
            preflighted: extra.map_or_else(Vec::new, |extra| preflighted(&extra.headers)),
        })
    }

    /// A request the hook's values made impossible (a bad header name, a
    /// body on a `GET`): the hook's failure.
    fn bad_request(&self, exception: JsValue) -> Error {
        self.hook_failed(crate::error::message_of(&exception))
    }
}

/// The names of `headers` that are not CORS-safelisted.
fn preflighted(headers: &[(String, String)]) -> Vec<String> {
    headers
        .iter()
        .filter(|(name, value)| !cors::is_safelisted(name, value))
        .map(|(name, _)| name.clone())
        .collect()
}
