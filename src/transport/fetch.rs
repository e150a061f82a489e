//! The fetch transport: `fetch()` with the page's method, headers and body,
//! read chunk by chunk into [`crate::parse::Parser`], following the spec's
//! processing model (WHATWG HTML §9.2.3): `Last-Event-ID` on every reconnect,
//! `retry:` as the delay, a network drop or the end of the body reconnects,
//! a 204, any other non-200 status or a wrong `Content-Type` ends the source,
//! unless the options retry that status.

use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use futures_core::Future;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::task::{read_body, reader, BodyEnd, Control, HubOutput, Output, TaskDriver};
use crate::error::message_of;
use crate::hub::Hub;
use crate::parse::Parser;
use crate::{Error, EventSourceOptions};

/// The reconnection time until the server sends `retry:`, as in Chromium
/// (Firefox waits 5 s).
pub(crate) const DEFAULT_RETRY: Duration = Duration::from_secs(3);
/// How much of an error response's body an [`Error::Http`] keeps.
const BODY_LIMIT: usize = 1024;

#[wasm_bindgen]
extern "C" {
    // The global `fetch`, so that windows and workers both work.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &web_sys::Request) -> js_sys::Promise;
}

pub(super) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Hub>, Error> {
    let url = resolve(url)?;
    let hub = Rc::new(Hub::new(url.clone(), options.with_credentials));
    let control = start(&url, options, Box::new(HubOutput::new(Rc::downgrade(&hub))))?;
    hub.set_driver(Box::new(TaskDriver(control)));
    Ok(hub)
}

/// Starts the connection task, which reports to `output` until it ends.
pub(crate) fn start(
    url: &str,
    options: &EventSourceOptions,
    output: Box<dyn Output>,
) -> Result<Rc<Control>, Error> {
    let request = RequestSpec::new(url, options)?;
    let control = Rc::new(Control::default());
    spawn_local(run(output, Rc::clone(&control), request));
    Ok(control)
}

/// The URL resolved against the global's location, as `EventSource` does.
fn resolve(url: &str) -> Result<String, Error> {
    let base = js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .and_then(|location| js_sys::Reflect::get(&location, &"href".into()))
        .ok()
        .and_then(|href| href.as_string());
    let parsed = match &base {
        Some(base) => web_sys::Url::new_with_base(url, base),
        None => web_sys::Url::new(url),
    };
    parsed
        .map(|parsed| parsed.href())
        .map_err(|exception| Error::InvalidUrl {
            url: url.to_owned(),
            message: message_of(&exception),
        })
}

/// The request, built once and re-sent on each reconnect.
struct RequestSpec {
    url: String,
    init: web_sys::RequestInit,
    headers: web_sys::Headers,
    retry_statuses: Vec<u16>,
}

impl RequestSpec {
    fn new(url: &str, options: &EventSourceOptions) -> Result<Self, Error> {
        let headers = web_sys::Headers::new().map_err(|e| Error::from_js(&e))?;
        for (name, value) in &options.headers {
            headers
                .append(name, value)
                .map_err(|e| Error::from_js(&e))?;
        }
        if !headers.has("accept").unwrap_or(false) {
            let _ = headers.set("accept", "text/event-stream");
        }
        let init = web_sys::RequestInit::new();
        init.set_method(options.method.as_deref().unwrap_or("GET"));
        if let Some(body) = &options.body {
            init.set_body(&JsValue::from_str(body));
        }
        init.set_mode(web_sys::RequestMode::Cors);
        init.set_cache(web_sys::RequestCache::NoStore);
        init.set_credentials(if options.with_credentials {
            web_sys::RequestCredentials::Include
        } else {
            web_sys::RequestCredentials::SameOrigin
        });
        let spec = RequestSpec {
            url: url.to_owned(),
            init,
            headers,
            retry_statuses: options.retry_statuses.clone(),
        };
        // A bad method or a GET with a body throws here, at once, rather
        // than on every reconnect.
        spec.request("", None)?;
        Ok(spec)
    }

    fn request(
        &self,
        last_event_id: &str,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<web_sys::Request, Error> {
        let headers =
            web_sys::Headers::new_with_headers(&self.headers).map_err(|e| Error::from_js(&e))?;
        // The parser never keeps an ID with CR, LF or NUL, which no header
        // may carry.
        if !last_event_id.is_empty() {
            let _ = headers.set("last-event-id", last_event_id);
        }
        self.init.set_headers(&headers);
        self.init.set_signal(signal);
        web_sys::Request::new_with_str_and_init(&self.url, &self.init)
            .map_err(|e| Error::from_js(&e))
    }
}

/// How one connection ended.
enum Ended {
    /// Reconnect after the reconnection time, telling error listeners why.
    Retry(Option<Error>),
    /// Give up.
    Fatal(Error),
    /// Closed by the page, or nobody holds the source any more.
    Closed,
}

async fn run(output: Box<dyn Output>, control: Rc<Control>, request: RequestSpec) {
    let output = output.as_ref();
    let mut parser = Parser::new();
    loop {
        let ended = connect(output, &control, &request, &mut parser).await;
        // A partial event cut off by the end is discarded, never delivered.
        parser.finish();
        control.set_abort(None);
        if control.is_closed() || !output.alive() {
            return;
        }
        match ended {
            Ended::Closed => return,
            Ended::Fatal(error) => {
                output.ended(Some(error));
                return;
            }
            Ended::Retry(error) => output.reconnecting(error),
        }
        wait(parser.retry().unwrap_or(DEFAULT_RETRY), &control).await;
        if control.is_closed() {
            return;
        }
    }
}

async fn connect(
    output: &dyn Output,
    control: &Control,
    spec: &RequestSpec,
    parser: &mut Parser,
) -> Ended {
    let abort = match web_sys::AbortController::new() {
        Ok(abort) => abort,
        Err(e) => return Ended::Fatal(Error::from_js(&e)),
    };
    let request = match spec.request(parser.last_event_id(), Some(&abort.signal())) {
        Ok(request) => request,
        Err(error) => return Ended::Fatal(error),
    };
    control.set_abort(Some(abort));
    let response = match JsFuture::from(global_fetch(&request)).await {
        Ok(response) => response.unchecked_into::<web_sys::Response>(),
        Err(e) => return network_error(control, &spec.url, &e),
    };
    if let Some(ended) = check(&response, spec).await {
        return ended;
    }
    let Some(body) = response.body() else {
        return Ended::Retry(None);
    };
    if control.is_closed() || !output.alive() {
        return Ended::Closed;
    }
    let origin = web_sys::Url::new(&response.url())
        .map(|url| url.origin())
        .unwrap_or_default();
    output.opened(&origin);
    match read_body(reader(&body), parser, &spec.url, output, control).await {
        // A clean end of the body reconnects, as a drop does.
        BodyEnd::Done => Ended::Retry(None),
        BodyEnd::Gone => Ended::Closed,
        BodyEnd::Failed(exception) => network_error(control, &spec.url, &exception),
    }
}

/// `None` when the response is a 200 event stream; otherwise how it ends.
async fn check(response: &web_sys::Response, spec: &RequestSpec) -> Option<Ended> {
    let content_type = response.headers().get("content-type").ok().flatten();
    let status = response.status();
    if status != 200 {
        let error = Error::Http {
            url: spec.url.clone(),
            status,
            status_text: response.status_text(),
            content_type,
            body: body_start(response).await,
        };
        return Some(if spec.retry_statuses.contains(&status) {
            Ended::Retry(Some(error))
        } else {
            Ended::Fatal(error)
        });
    }
    let is_event_stream = content_type.as_deref().is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("text/event-stream")
    });
    if !is_event_stream {
        return Some(Ended::Fatal(Error::NotEventStream {
            url: spec.url.clone(),
            content_type,
        }));
    }
    None
}

/// Up to [`BODY_LIMIT`] bytes of the body, cut at a character boundary.
async fn body_start(response: &web_sys::Response) -> String {
    let Ok(text) = response.text() else {
        return String::new();
    };
    let mut text = JsFuture::from(text)
        .await
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default();
    if text.len() > BODY_LIMIT {
        let mut end = BODY_LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn network_error(control: &Control, url: &str, exception: &JsValue) -> Ended {
    if control.is_closed() {
        return Ended::Closed;
    }
    Ended::Retry(Some(Error::Network {
        url: url.to_owned(),
        message: message_of(exception),
    }))
}

/// Waits `delay`, or less if the source is closed meanwhile.
async fn wait(delay: Duration, control: &Control) {
    let millis = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
    let mut timer = TimeoutFuture::new(millis);
    poll_fn(|cx| {
        if control.is_closed() {
            return Poll::Ready(());
        }
        control.set_waker(Some(cx.waker()));
        Pin::new(&mut timer).poll(cx)
    })
    .await;
    control.set_waker(None);
}
