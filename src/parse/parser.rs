//! The incremental parser: line assembly over byte chunks, then the spec's
//! per-line field processing.

use core::mem;
use core::time::Duration;
use std::borrow::Cow;

use memchr::{memchr, memchr2};

use super::{Event, Item, ParseError};

/// The size limit a [`Parser::new`] parser uses: 32 MiB.
///
/// Browsers have no limit, and real servers do send events of megabytes (a
/// whole document, a base64 image, a model's long answer in one event), so
/// the default is far past any of those. It still bounds what a server that
/// sends an endless line can make a tab hold: a small multiple of the limit.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 32 << 20;

/// The UTF-8 byte order mark, which the decoder strips once at the start of a body.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// An incremental, spec-exact `text/event-stream` parser.
///
/// Feed it the bytes of a response body in chunks of any size with
/// [`feed`](Parser::feed); it calls you back with each [`Item`] as soon as
/// the bytes that complete it arrive. Chunk boundaries never change the
/// result: the chunks give exactly the items the whole body gives, even when
/// a boundary falls inside `\r\n` or inside a multi-byte character.
///
/// At the end of each response body, clean or not, call
/// [`finish`](Parser::finish). It discards the unfinished event, as the spec
/// requires, and readies the parser for the body of the next connection,
/// keeping the last event ID and the reconnection time.
///
/// The parser follows WHATWG HTML §9.2.6 "Interpreting an event stream" as a
/// browser does:
/// - one leading byte order mark is stripped from each body;
/// - lines end at `\r\n`, `\n` or `\r`, and a `\r` at the end of a chunk
///   ends its line at once (a `\n` starting the next chunk is then skipped);
/// - bytes that are not valid UTF-8 become U+FFFD, exactly as the browser's
///   decoder replaces them;
/// - an `id` containing NUL is ignored, `retry` is accepted only when it is
///   all ASCII digits, and a block with an `id` but no `data` still sets the
///   last event ID;
/// - a block without `data` dispatches nothing, and the event type defaults
///   to `message`.
///
/// # Memory
/// No line, and no event's data, may exceed the size limit
/// ([`DEFAULT_MAX_EVENT_SIZE`] unless set with
/// [`with_max_event_size`](Parser::with_max_event_size)). Beyond it the
/// parser stops buffering, skips that event, and `feed` returns a
/// [`ParseError`]; so its memory stays bounded by a small multiple of the
/// limit whatever the server sends.
///
/// # Speed
/// Line ends are found with `memchr`, and reporting an item allocates
/// nothing: items borrow from the parser. An event's data is copied once, into
/// the parser's reused buffer, and not at all when its one `data` line and
/// the blank line that ends it arrive in the same chunk. docs/performance.md
/// has measurements.
///
/// # Example
/// ```
/// use web_sse::parse::{Item, Parser};
///
/// let mut parser = Parser::new();
/// let mut items = Vec::new();
/// // A chunk boundary may fall anywhere, here inside "data". Items borrow
/// // from the parser; keeping them past the callback takes `into_owned`.
/// parser.feed(b"id: 7\nda", |item| items.push(item.into_owned()))?;
/// parser.feed(b"ta: hello\n\n: ping\n", |item| items.push(item.into_owned()))?;
///
/// let Item::Event(event) = &items[0] else { panic!("expected an event") };
/// assert_eq!(event.event_type, "message");
/// assert_eq!(event.data, "hello");
/// assert_eq!(event.last_event_id, "7");
/// assert_eq!(items[1], Item::Comment(" ping".into()));
///
/// // The connection ended: the next one resumes from event 7.
/// parser.finish();
/// assert_eq!(parser.last_event_id(), "7");
/// # Ok::<(), web_sse::parse::ParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Parser {
    max_size: usize,
    /// How many bytes of a BOM the body has started with so far, while the
    /// body is too short to tell; `None` once past the start of the body.
    bom_matched: Option<u8>,
    /// The last line ended in a `\r` at the very end of a chunk, so a `\n`
    /// at the start of the next one belongs to that line end.
    skip_lf: bool,
    /// The start of a line that a chunk boundary split. Lines that lie
    /// wholly inside a chunk are parsed in place and never copied here.
    line: Vec<u8>,
    /// The current line went over the limit; drop its bytes until it ends.
    skipping_line: bool,
    /// The current line is a `data` line split by a chunk boundary, whose
    /// value goes straight into `data` instead of through `line`, so that
    /// long data is copied once. `line_len` counts the line's bytes so far.
    streaming_data: bool,
    line_len: usize,
    /// The current block went over the limit; ignore it until the blank
    /// line that ends it.
    skipping_block: bool,
    /// The data buffer as raw bytes, without the spec's trailing `\n` (see
    /// `has_data`). Kept undecoded so that it is decoded once per event, and
    /// reused so that a steady stream of events allocates nothing.
    data: Vec<u8>,
    /// Whether the block had a `data` line, i.e. whether the spec's data
    /// buffer is non-empty.
    has_data: bool,
    event_type: String,
    /// The block's `id` field, if it had one. With `last_event_id` it is
    /// the spec's "last event ID buffer", which the end of the block commits.
    id_buffer: String,
    has_id: bool,
    last_event_id: String,
    retry: Option<Duration>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the [default size limit](DEFAULT_MAX_EVENT_SIZE), an
    /// empty last event ID and no reconnection time.
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A parser that accepts lines, and event data, of at most `max_size` bytes.
    ///
    /// The limit counts bytes as sent, before U+FFFD replacement, and
    /// excludes line ends. A line longer than the limit, or an event whose
    /// `data` lines add up to more, makes [`feed`](Parser::feed) skip that
    /// event and return a [`ParseError`].
    pub fn with_max_event_size(max_size: usize) -> Self {
        Self {
            max_size,
            bom_matched: Some(0),
            skip_lf: false,
            line: Vec::new(),
            skipping_line: false,
            streaming_data: false,
            line_len: 0,
            skipping_block: false,
            data: Vec::new(),
            has_data: false,
            event_type: String::new(),
            id_buffer: String::new(),
            has_id: false,
            last_event_id: String::new(),
            retry: None,
        }
    }

    /// The size limit in bytes; see [`with_max_event_size`](Parser::with_max_event_size).
    pub fn max_event_size(&self) -> usize {
        self.max_size
    }

    /// The last event ID: what a reconnect sends as `Last-Event-ID`
    /// (when not empty).
    ///
    /// It changes only when a block ends (an unfinished block's `id` does
    /// not count), and it survives [`finish`](Parser::finish).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Sets the last event ID, for resuming a stream from an ID kept elsewhere.
    ///
    /// Call it before feeding a body, or right after
    /// [`finish`](Parser::finish); called in the middle of a block it also
    /// drops that block's `id` field, if it had one.
    pub fn set_last_event_id(&mut self, id: &str) {
        self.last_event_id.clear();
        self.last_event_id.push_str(id);
        self.has_id = false;
    }

    /// The reconnection time the server last set with a valid `retry`
    /// field, if it ever did. It survives [`finish`](Parser::finish).
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Carries a reconnection time the server set on an earlier connection
    /// of the same source into this parser: it is the source's, not the
    /// connection's, and a new task must not forget it.
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(crate) fn set_retry(&mut self, retry: Option<Duration>) {
        self.retry = retry;
    }

    /// Parses the next chunk of the body, calling `on_item` for each
    /// [`Item`] that the chunk completes, in stream order.
    ///
    /// Items borrow from the parser's buffers for the duration of the call;
    /// use [`Item::into_owned`] to keep one.
    ///
    /// The whole chunk is always consumed; an incomplete line at its end is
    /// kept for the next call.
    ///
    /// # Errors
    /// A [`ParseError`] when a line or an event in this chunk went over the
    /// size limit. That event was skipped (nothing of it is reported), but
    /// the rest of the chunk was parsed and its items were reported; the
    /// parser stays usable. If several events went over, the error is the
    /// first one's.
    pub fn feed<F>(&mut self, chunk: &[u8], on_item: F) -> Result<(), ParseError>
    where
        F: FnMut(Item<'_>),
    {
        let mut first_error = None;
        self.feed_reporting(chunk, on_item, |error| {
            first_error.get_or_insert(error);
        });
        match first_error {
            None => Ok(()),
            Some(error) => Err(error),
        }
    }

    /// [`feed`](Parser::feed), with each error reported where it happens in
    /// the stream, between the items around it.
    pub(crate) fn feed_reporting<F, E>(&mut self, chunk: &[u8], mut on_item: F, mut on_error: E)
    where
        F: FnMut(Item<'_>),
        E: FnMut(ParseError),
    {
        let mut rest = chunk;
        if let Some(matched) = self.bom_matched {
            rest = self.strip_bom(matched, rest);
        }
        // The value of the block's only data line so far, still in `chunk`:
        // copied into `data` only if the block does not end in this chunk.
        let mut in_chunk_data: Option<&[u8]> = None;
        while !rest.is_empty() {
            if mem::take(&mut self.skip_lf) && rest[0] == b'\n' {
                rest = &rest[1..];
                continue;
            }
            let Some(end) = memchr2(b'\r', b'\n', rest) else {
                if let Some(value) = in_chunk_data.take() {
                    self.data.extend_from_slice(value);
                }
                if let Err(error) = self.buffer_partial_line(rest) {
                    on_error(error);
                }
                break;
            };
            let next = if rest[end] == b'\n' {
                end + 1
            } else if end + 1 == rest.len() {
                self.skip_lf = true;
                end + 1
            } else if rest[end + 1] == b'\n' {
                end + 2
            } else {
                end + 1
            };
            let line = &rest[..end];
            rest = &rest[next..];
            let in_place = self.line.is_empty()
                && !self.streaming_data
                && !self.skipping_line
                && !self.skipping_block
                && line.len() <= self.max_size;
            if in_place {
                if let Some(value) = in_chunk_data {
                    if line.is_empty() {
                        in_chunk_data = None;
                        self.dispatch(Some(value), &mut on_item);
                        continue;
                    }
                } else if !self.has_data {
                    if let Some(value) = data_value(line) {
                        in_chunk_data = Some(value);
                        self.has_data = true;
                        continue;
                    }
                }
            }
            if let Some(value) = in_chunk_data.take() {
                self.data.extend_from_slice(value);
            }
            if let Err(error) = self.end_line(line, &mut on_item) {
                on_error(error);
            }
        }
        if let Some(value) = in_chunk_data {
            self.data.extend_from_slice(value);
        }
    }

    /// Ends the current body: call it when the response ends, cleanly or not.
    ///
    /// As the spec requires, the unfinished event is discarded, with its
    /// `id`, `event` and `data` fields and any incomplete last line. The
    /// parser is then ready for the body of the next connection (whose
    /// byte order mark it will strip), keeping the
    /// [last event ID](Parser::last_event_id) and the
    /// [reconnection time](Parser::retry).
    pub fn finish(&mut self) {
        self.bom_matched = Some(0);
        self.skip_lf = false;
        self.line.clear();
        self.skipping_line = false;
        self.streaming_data = false;
        self.skipping_block = false;
        self.clear_block();
    }

    /// Strips the body's leading BOM, which may itself arrive split over
    /// chunks, and returns the bytes after it.
    fn strip_bom<'a>(&mut self, mut matched: u8, mut rest: &'a [u8]) -> &'a [u8] {
        while let Some((&byte, after)) = rest.split_first() {
            if byte != BOM[usize::from(matched)] {
                // Not a BOM after all: what looked like one starts the first line.
                self.line.extend_from_slice(&BOM[..usize::from(matched)]);
                self.bom_matched = None;
                return rest;
            }
            matched += 1;
            rest = after;
            if usize::from(matched) == BOM.len() {
                self.bom_matched = None;
                return rest;
            }
        }
        self.bom_matched = Some(matched);
        rest
    }

    /// Keeps the start of a line that the chunk boundary split.
    fn buffer_partial_line(&mut self, part: &[u8]) -> Result<(), ParseError> {
        if self.skipping_line {
            return Ok(());
        }
        if self.streaming_data {
            if self.line_len + part.len() > self.max_size {
                self.skipping_line = true;
                return Err(self.line_too_long());
            }
            self.line_len += part.len();
            self.data.extend_from_slice(part);
            return Ok(());
        }
        if self.line.len() + part.len() > self.max_size {
            self.skipping_line = true;
            return Err(self.line_too_long());
        }
        self.line.extend_from_slice(part);
        self.start_streaming_data();
        Ok(())
    }

    /// Switches a buffered partial `data` line to streaming its value into
    /// `data`, once the byte after the colon, which may be the space to
    /// strip, has arrived.
    ///
    /// The data size limit is checked only when the line ends, as for a
    /// line that arrives whole, so that the outcome does not depend on the
    /// chunking; meanwhile the line limit bounds what streaming can add.
    fn start_streaming_data(&mut self) {
        const PREFIX: &[u8] = b"data:";
        if self.skipping_block || self.line.len() <= PREFIX.len() || !self.line.starts_with(PREFIX)
        {
            return;
        }
        let value = &self.line[PREFIX.len()..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if self.has_data {
            self.data.push(b'\n');
        }
        self.data.extend_from_slice(value);
        self.has_data = true;
        self.streaming_data = true;
        self.line_len = self.line.len();
        self.line.clear();
    }

    /// Handles a line end; `tail` is the part of the line in the current chunk.
    fn end_line(
        &mut self,
        tail: &[u8],
        on_item: &mut impl FnMut(Item<'_>),
    ) -> Result<(), ParseError> {
        if mem::take(&mut self.skipping_line) {
            return Ok(());
        }
        if mem::take(&mut self.streaming_data) {
            if self.line_len + tail.len() > self.max_size {
                return Err(self.line_too_long());
            }
            self.data.extend_from_slice(tail);
            if self.data.len() > self.max_size {
                self.skip_block();
                return Err(ParseError::EventTooLarge {
                    limit: self.max_size,
                });
            }
            return Ok(());
        }
        if self.line.is_empty() {
            if tail.len() > self.max_size {
                return Err(self.line_too_long());
            }
            return self.process_line(tail, on_item);
        }
        if self.line.len() + tail.len() > self.max_size {
            return Err(self.line_too_long());
        }
        let mut line = mem::take(&mut self.line);
        line.extend_from_slice(tail);
        let result = self.process_line(&line, on_item);
        line.clear();
        release_if_large(&mut line);
        self.line = line;
        result
    }

    fn line_too_long(&mut self) -> ParseError {
        self.line.clear();
        self.streaming_data = false;
        self.skip_block();
        ParseError::LineTooLong {
            limit: self.max_size,
        }
    }

    /// Drops what the block has gathered, and the rest of it, up to its blank line.
    fn skip_block(&mut self) {
        self.clear_block();
        self.skipping_block = true;
    }

    /// Forgets the current block's fields, as if it had not started.
    fn clear_block(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.event_type.clear();
        self.has_id = false;
    }

    /// The spec's per-line steps, on one complete line without its line end.
    fn process_line(
        &mut self,
        line: &[u8],
        on_item: &mut impl FnMut(Item<'_>),
    ) -> Result<(), ParseError> {
        if line.is_empty() {
            if mem::take(&mut self.skipping_block) {
                return Ok(());
            }
            self.dispatch(None, on_item);
            return Ok(());
        }
        if self.skipping_block {
            return Ok(());
        }
        let (name, value) = match memchr(b':', line) {
            Some(0) => {
                on_item(Item::Comment(decode(&line[1..])));
                return Ok(());
            }
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match name {
            b"data" => {
                let separator = usize::from(self.has_data);
                if self.data.len() + separator + value.len() > self.max_size {
                    self.skip_block();
                    return Err(ParseError::EventTooLarge {
                        limit: self.max_size,
                    });
                }
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(&decode(value));
            }
            // An id containing NUL is ignored.
            b"id" if memchr(0, value).is_none() => {
                self.id_buffer.clear();
                self.id_buffer.push_str(&decode(value));
                self.has_id = true;
            }
            b"retry" => {
                if let Some(millis) = parse_retry(value) {
                    let retry = Duration::from_millis(millis);
                    self.retry = Some(retry);
                    on_item(Item::Retry(retry));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The spec's "dispatch the event" steps, at a blank line. The data is
    /// `in_chunk_data` when given, else the data buffer.
    fn dispatch(&mut self, in_chunk_data: Option<&[u8]>, on_item: &mut impl FnMut(Item<'_>)) {
        // A flag rather than comparing the strings: comparing two empty
        // strings calls memcmp on dangling pointers, which glibc's AVX-512
        // memcmp makes slow enough to dominate a small event.
        if mem::take(&mut self.has_id) {
            self.last_event_id.clone_from(&self.id_buffer);
        }
        if !mem::take(&mut self.has_data) {
            self.event_type.clear();
            return;
        }
        let event_type = if self.event_type.is_empty() {
            "message"
        } else {
            &self.event_type
        };
        on_item(Item::Event(Event {
            event_type: Cow::Borrowed(event_type),
            data: decode(in_chunk_data.unwrap_or(&self.data)),
            last_event_id: Cow::Borrowed(&self.last_event_id),
        }));
        self.data.clear();
        release_if_large(&mut self.data);
        self.event_type.clear();
    }
}

/// The most buffer capacity kept once a line or an event is done with. A
/// burst of large events would otherwise keep its largest size for the
/// parser's life: wasm memory never shrinks, but the allocator can reuse what
/// is freed.
const KEEP: usize = 64 * 1024;

fn release_if_large(buffer: &mut Vec<u8>) {
    if buffer.capacity() > KEEP {
        *buffer = Vec::new();
    }
}

/// The value of a `data` line, or `None` for any other line.
fn data_value(line: &[u8]) -> Option<&[u8]> {
    let after_name = line.strip_prefix(b"data")?;
    match after_name.split_first() {
        None => Some(after_name),
        Some((b':', value)) => Some(value.strip_prefix(b" ").unwrap_or(value)),
        Some(_) => None,
    }
}

/// UTF-8 decoding with U+FFFD replacement, which matches the WHATWG decoder.
///
/// Decoding a line on its own gives the same text as decoding the whole
/// stream: line ends are ASCII, so no byte sequence spans one.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8. The check is twice as fast as
        // `from_utf8`, which matters for large events.
        return Cow::Borrowed(unsafe { core::str::from_utf8_unchecked(bytes) });
    }
    // `from_utf8_lossy` goes byte by byte, so it is kept for invalid input.
    match core::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A `retry` value in milliseconds: ASCII digits only, else ignored.
///
/// A value too large for `u64` is ignored too, as Chromium does.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |millis, &byte| {
        if !byte.is_ascii_digit() {
            return None;
        }
        millis.checked_mul(10)?.checked_add(u64::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the parser holds on to, whatever it is fed.
    fn held(parser: &Parser) -> usize {
        parser.line.capacity()
            + parser.data.capacity()
            + parser.event_type.capacity()
            + parser.id_buffer.capacity()
            + parser.last_event_id.capacity()
    }

    #[test]
    fn memory_stays_bounded_by_the_limit() {
        let limit = 4096;
        // What the server starts with, then repeats for ever.
        let hostile: [(&[u8], &[u8]); 4] = [
            (b"data: ", b"x"),   // one endless data line
            (b"", b"data: x\n"), // endless data lines in one event
            (b"id: ", b"x"),     // an endless id
            (b":", b"x"),        // an endless comment
        ];
        for (start, unit) in hostile {
            let mut parser = Parser::with_max_event_size(limit);
            let filler: Vec<u8> = unit.iter().copied().cycle().take(1000).collect();
            let mut errors = 0;
            parser.feed(start, |_| {}).ok();
            for _ in 0..1000 {
                if parser.feed(&filler, |_| {}).is_err() {
                    errors += 1;
                }
                assert!(held(&parser) <= 4 * limit, "{} bytes held", held(&parser));
            }
            assert!(errors >= 1, "repeating {unit:?} endlessly is an error");
        }
    }

    #[test]
    fn a_burst_of_large_events_gives_its_capacity_back() {
        let big = "x".repeat(1 << 20);
        // One event whose data comes in pieces (the data buffer), one whose
        // line spans chunks (the line buffer), one whole in a chunk.
        let streams: [&[&str]; 3] = [
            &["data: ", &big, "\ndata: ", &big, "\n\n"],
            &["data: ", &big[..1000], &big[1000..], "\n\n"],
            &["data: ", &big, "\n\n"],
        ];
        for pieces in streams {
            let mut parser = Parser::with_max_event_size(8 << 20);
            let mut sizes = Vec::new();
            for piece in pieces {
                parser
                    .feed(piece.as_bytes(), |item| {
                        if let Item::Event(event) = item {
                            sizes.push(event.data.len());
                        }
                    })
                    .ok();
            }
            assert_eq!(sizes.len(), 1, "one event from {} pieces", pieces.len());
            assert!(sizes[0] >= 1 << 20);
            assert!(
                held(&parser) <= 64 * 1024,
                "{} bytes held after the event",
                held(&parser)
            );
        }
    }
}
