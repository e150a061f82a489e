//! Telling a CORS refusal from a network failure on the fetch transport, as
//! the browser's `EventSource` does (it fails for good on a refusal, and
//! retries a network failure): `fetch()` rejects both with the same
//! `TypeError`, so a probe asks whether the server answered at all.

use std::time::Duration;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::task::{global_fetch, within, Control};

/// How long the CORS probe may take before the failure is taken for the
/// network's.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The error `fetch()` rejects with for a network failure and a CORS
/// refusal alike.
pub(super) fn is_type_error(exception: &JsValue) -> bool {
    exception.is_instance_of::<js_sys::TypeError>()
}

/// After `fetch()` failed with a `TypeError` on a cross-origin URL: whether
/// the server answered all the same, so that the browser refused to share the
/// response (CORS) rather than the network failing. A `no-cors` `GET` needs
/// no permission from the server: it resolves, with an opaque response, as
/// soon as the server answers, and fails as the first request did when the
/// network is the problem. Its body is aborted at once. (A `HEAD` would be
/// lighter, but Chromium's opaque-response blocking fails a `no-cors` `HEAD`
/// of a `text/event-stream` as if the network had.) One request, only after
/// such a failure.
pub(super) async fn server_answered(url: &str, control: &Control) -> bool {
    if !is_cross_origin(url) {
        return false;
    }
    let Ok(abort) = web_sys::AbortController::new() else {
        return false;
    };
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::NoCors);
    init.set_cache(web_sys::RequestCache::NoStore);
    init.set_signal(Some(&abort.signal()));
    let Ok(probe) = web_sys::Request::new_with_str_and_init(url, &init) else {
        return false;
    };
    // A close() during the probe aborts it, as it would the request.
    control.set_abort(Some(abort));
    let answered = matches!(
        within(JsFuture::from(global_fetch(&probe)), Some(PROBE_TIMEOUT)).await,
        Some(Ok(_))
    );
    control.abort_request();
    answered && !control.is_closed()
}

/// Whether `url` has another origin than this global scope's.
fn is_cross_origin(url: &str) -> bool {
    let here = js_sys::Reflect::get(&js_sys::global(), &"origin".into())
        .ok()
        .and_then(|origin| origin.as_string());
    match (here, web_sys::Url::new(url)) {
        (Some(here), Ok(url)) => url.origin() != here,
        _ => false,
    }
}

/// Whether a cross-origin request may carry this header without a
/// preflight: the Fetch standard's CORS-safelisted request headers, by name
/// and, for `Content-Type`, by the start of the value (its length rules
/// aside).
pub(super) fn is_safelisted(name: &str, value: &str) -> bool {
    let is = |safe: &str| name.eq_ignore_ascii_case(safe);
    let starts = |essence: &str| {
        value
            .get(..essence.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(essence))
    };
    is("accept")
        || is("accept-language")
        || is("content-language")
        || (is("content-type")
            && (starts("text/plain")
                || starts("multipart/form-data")
                || starts("application/x-www-form-urlencoded")))
}
