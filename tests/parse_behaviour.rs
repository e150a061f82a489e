#![cfg(not(target_arch = "wasm32"))]
//! `web_sse::parse` behaviour the conformance vectors do not pin down: the
//! size limit, reconnects, and edge cases of `retry`, BOM and line ends.

use std::time::Duration;

use web_sse::parse::{Event, Item, ParseError, Parser, DEFAULT_MAX_EVENT_SIZE};

fn feed_all(parser: &mut Parser, chunks: &[&[u8]]) -> (Vec<Item<'static>>, Vec<ParseError>) {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for chunk in chunks {
        if let Err(error) = parser.feed(chunk, |item| items.push(item.into_owned())) {
            errors.push(error);
        }
    }
    (items, errors)
}

fn event(event_type: &str, data: &str, last_event_id: &str) -> Item<'static> {
    Item::Event(Event {
        event_type: event_type.to_owned().into(),
        data: data.to_owned().into(),
        last_event_id: last_event_id.to_owned().into(),
    })
}

#[test]
fn the_default_limit_is_thirty_two_mebibytes() {
    assert_eq!(DEFAULT_MAX_EVENT_SIZE, 32 * 1024 * 1024);
    assert_eq!(Parser::new().max_event_size(), DEFAULT_MAX_EVENT_SIZE);
    assert_eq!(Parser::default().max_event_size(), DEFAULT_MAX_EVENT_SIZE);
}

#[test]
fn an_endless_line_is_an_error_once_and_the_stream_recovers() {
    let mut parser = Parser::new();
    let block = vec![b'x'; 64 * 1024];
    let mut items = Vec::new();
    let mut errors = Vec::new();
    feed_all(&mut parser, &[b"id: 1\ndata: first\n\nid: 2\ndata: "]);
    // 64 MiB of one line, far over the 32 MiB limit.
    for _ in 0..1024 {
        if let Err(error) = parser.feed(&block, |item| items.push(item.into_owned())) {
            errors.push(error);
        }
    }
    assert_eq!(
        errors,
        [ParseError::LineTooLong {
            limit: DEFAULT_MAX_EVENT_SIZE
        }]
    );
    assert!(items.is_empty());
    let (items, errors) = feed_all(
        &mut parser,
        &[b"\n", b"data: more of the skipped event\n\ndata: next\n\n"],
    );
    assert!(errors.is_empty());
    // The skipped block's id 2 was never committed.
    assert_eq!(items, [event("message", "next", "1")]);
}

#[test]
fn a_long_line_inside_one_chunk_is_rejected_like_a_split_one() {
    let body = b"data: 0123456789\n\ndata: ok\n\n";
    let whole = feed_all(&mut Parser::with_max_event_size(10), &[body]);
    let split = feed_all(
        &mut Parser::with_max_event_size(10),
        &[&body[..8], &body[8..]],
    );
    assert_eq!(whole.1, [ParseError::LineTooLong { limit: 10 }]);
    assert_eq!(whole.0, [event("message", "ok", "")]);
    assert_eq!(split, whole);
}

#[test]
fn too_much_data_skips_that_event_only() {
    let mut parser = Parser::with_max_event_size(12);
    let (items, errors) = feed_all(
        &mut parser,
        &[b"retry: 7\nid: a\ndata: 12345\ndata: 67890\ndata: x\nid: b\nretry: 9\n\nid: c\ndata: 123456\n\n"],
    );
    assert_eq!(errors, [ParseError::EventTooLarge { limit: 12 }]);
    // The retry before the overflow took effect; the block's ids and later fields did not.
    assert_eq!(
        items,
        [
            Item::Retry(Duration::from_millis(7)),
            event("message", "123456", "c")
        ]
    );
    assert_eq!(parser.retry(), Some(Duration::from_millis(7)));
}

#[test]
fn the_error_says_what_happened_and_what_to_do() {
    let message = ParseError::LineTooLong { limit: 1024 }.to_string();
    assert!(message.contains("1024-byte limit"), "{message}");
    assert!(message.contains("Parser::with_max_event_size"), "{message}");
    let message = ParseError::EventTooLarge { limit: 1024 }.to_string();
    assert!(message.contains("event's data"), "{message}");
}

#[test]
fn the_last_event_id_and_retry_survive_a_reconnect() {
    let mut parser = Parser::new();
    feed_all(
        &mut parser,
        &[b"retry: 250\nid: 9\ndata: a\n\nid: 10\ndata: cut off"],
    );
    parser.finish();
    assert_eq!(parser.last_event_id(), "9");
    assert_eq!(parser.retry(), Some(Duration::from_millis(250)));
    let (items, _) = feed_all(&mut parser, &[b"\xEF\xBB\xBFdata: b\n\n"]);
    assert_eq!(items, [event("message", "b", "9")]);
}

#[test]
fn each_connection_strips_its_own_bom() {
    let mut parser = Parser::new();
    let (items, _) = feed_all(&mut parser, &[b"\xEF", b"\xBB", b"\xBFdata: 1\n\n"]);
    assert_eq!(items, [event("message", "1", "")]);
    // A body cut inside its BOM leaves nothing behind.
    feed_all(&mut parser, &[b"\xEF\xBB"]);
    parser.finish();
    let (items, _) = feed_all(&mut parser, &[b"\xEF\xBB\xBFdata: 2\n\n"]);
    assert_eq!(items, [event("message", "2", "")]);
}

#[test]
fn a_bom_lookalike_is_part_of_the_first_line() {
    let (items, _) = feed_all(
        &mut Parser::new(),
        &[b"\xEF\xBB", b"data: 1\n\ndata: 2\n\n"],
    );
    // "\u{FFFD}data: 1" is an unknown field, so only the second event remains.
    assert_eq!(items, [event("message", "2", "")]);
    let (items, _) = feed_all(&mut Parser::new(), &[b"\xEF", b"\xBB:x\n"]);
    assert_eq!(items, []);
}

#[test]
fn set_last_event_id_resumes_from_a_stored_id() {
    let mut parser = Parser::new();
    parser.set_last_event_id("41");
    let (items, _) = feed_all(&mut parser, &[b"data: x\n\nid: 42\ndata: y\n\n"]);
    assert_eq!(
        items,
        [event("message", "x", "41"), event("message", "y", "42")]
    );
}

#[test]
fn retry_accepts_only_digits_that_fit() {
    let mut parser = Parser::new();
    let (items, _) = feed_all(
        &mut parser,
        &[b"retry: -1\nretry: 1.5\nretry: 10 \nretry:  5\nretry: +5\nretry: 99999999999999999999\nretry\n"],
    );
    assert_eq!(items, []);
    assert_eq!(parser.retry(), None);
    let (items, _) = feed_all(&mut parser, &[b"retry: 18446744073709551615\nretry:0\n"]);
    assert_eq!(
        items,
        [
            Item::Retry(Duration::from_millis(u64::MAX)),
            Item::Retry(Duration::ZERO)
        ]
    );
}

#[test]
fn a_cr_at_the_end_of_a_chunk_ends_the_line_at_once() {
    let mut parser = Parser::new();
    let (items, _) = feed_all(&mut parser, &[b"data: now\r\r"]);
    // Dispatched without waiting to see whether a LF follows.
    assert_eq!(items, [event("message", "now", "")]);
    let (items, _) = feed_all(&mut parser, &[b"\n", b"data: next\r", b"\n", b"\r", b"\n"]);
    assert_eq!(items, [event("message", "next", "")]);
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let (items, _) = feed_all(
        &mut Parser::new(),
        &[
            b"event: \xFFx\nid: \xE2\x80\ndata: a\xE2",
            b"\x80\xA6b\xC3\n\n",
        ],
    );
    assert_eq!(
        items,
        [event("\u{FFFD}x", "a\u{2026}b\u{FFFD}", "\u{FFFD}")]
    );
}

#[test]
fn comments_are_reported_in_order() {
    let (items, _) = feed_all(
        &mut Parser::new(),
        &[b":\n: keep-alive\r\ndata: x\n:\xFF\n\n"],
    );
    assert_eq!(
        items,
        [
            Item::Comment("".into()),
            Item::Comment(" keep-alive".into()),
            Item::Comment("\u{FFFD}".into()),
            event("message", "x", ""),
        ]
    );
}

#[test]
fn a_large_event_is_the_same_in_any_chunk_size() {
    // Multi-byte characters, so that chunk boundaries split them too.
    let data: String = "0123456789abcdef…é😀\n".repeat(8 * 1024);
    let mut body = Vec::new();
    for line in data.lines() {
        body.extend_from_slice(b"data: ");
        body.extend_from_slice(line.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"\r\ndata: one line\n\n");
    let mut body_once = b"data: ".to_vec();
    body_once.extend_from_slice(data.replace('\n', "").as_bytes());
    body_once.extend_from_slice(b"\n\n");

    let expected = [
        (body, data.trim_end().to_owned()),
        (body_once, data.replace('\n', "")),
    ];
    for (body, expected_data) in expected {
        let (whole, errors) = feed_all(&mut Parser::new(), &[&body]);
        assert!(errors.is_empty());
        assert_eq!(whole[0], event("message", &expected_data, ""));
        assert_eq!(
            whole.len(),
            1 + usize::from(body.ends_with(b"one line\n\n"))
        );
        for size in [1, 7, 4093, 16 * 1024, 100_000] {
            let chunks: Vec<&[u8]> = body.chunks(size).collect();
            let (items, errors) = feed_all(&mut Parser::new(), &chunks);
            assert!(errors.is_empty());
            assert_eq!(items, whole, "chunks of {size} bytes");
        }
    }
}
