//! The one way parsing can fail: a hostile or broken server exceeding the size limit.

/// Why [`Parser::feed`](super::Parser::feed) dropped part of the stream.
///
/// The parser never fails on malformed input (the spec gives every byte
/// sequence a meaning); it only refuses to buffer more than its size limit.
/// After either error the parser is still usable: it skips the rest of the
/// oversized event, up to the blank line that ends it, and carries on with
/// the next one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// One line (a field or a comment) was longer than the limit.
    #[error(
        "a text/event-stream line is longer than the {}-byte limit, so its event was skipped; \
         if the server really sends lines this long, raise the limit with Parser::with_max_event_size",
        as_u64(*.limit)
    )]
    LineTooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The `data` lines of one event added up to more than the limit.
    #[error(
        "an event's data is larger than the {}-byte limit, so the event was skipped; \
         if the server really sends events this large, raise the limit with Parser::with_max_event_size",
        as_u64(*.limit)
    )]
    EventTooLarge {
        /// The limit in force, in bytes.
        limit: usize,
    },
}

/// Every number in the crate's messages is formatted as a `u64`: each integer
/// type's `Display` is its own code in the wasm.
fn as_u64(limit: usize) -> u64 {
    u64::try_from(limit).unwrap_or(u64::MAX)
}
