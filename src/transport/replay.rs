//! Whether the fetch transport may send its request again, by the source's
//! [`Replay`] rule: asked at the one point where a reconnect is decided, so
//! every end that would reconnect (a drop, the end of the body, a truncated
//! body, the idle timeout, a network error, a retried status) meets it.
//!
//! `fetch()` cannot tell a refused connection from one that broke after the
//! server read the request, so a failure before any response counts as
//! possibly processed too. The one exception is the refresh of
//! `refresh_on`: the server answered that status without processing the
//! request, and the retry is made whatever the rule (see `fetch::run`).

use crate::request::Replay;
use crate::Error;

/// `Ok(error)`, to reconnect and report `error` on the way, when `replay`
/// allows the request to be sent again with `last_event_id`; otherwise the
/// error that ends the source.
pub(super) fn check(
    replay: Replay,
    last_event_id: &str,
    url: &str,
    error: Option<Error>,
) -> Result<Option<Error>, Error> {
    let replayable = match replay {
        Replay::Always => true,
        Replay::Resume => !last_event_id.is_empty(),
        Replay::Never => false,
    };
    if replayable {
        return Ok(error);
    }
    Err(Error::NotReplayed {
        url: url.to_owned(),
        replay,
        last: error.map(Box::new),
    })
}
