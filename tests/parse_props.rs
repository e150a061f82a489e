#![cfg(not(target_arch = "wasm32"))]
//! Property tests for `web_sse::parse`: any chunking gives what the whole
//! body gives, and the parser agrees with a deliberately simple model of the
//! spec on random SSE-like input.

use std::mem;
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::Index;
use web_sse::parse::{Event, Item, Parser};

/// Everything a run reports, in a form the runs can be compared by.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    items: Vec<Item<'static>>,
    errors: usize,
    last_event_id: String,
    retry: Option<Duration>,
}

/// Feeds each connection's chunks, ending every connection with `finish`.
fn run(mut parser: Parser, connections: &[Vec<&[u8]>]) -> Run {
    let mut items = Vec::new();
    let mut errors = 0;
    for chunks in connections {
        for chunk in chunks {
            if parser
                .feed(chunk, |item| items.push(item.into_owned()))
                .is_err()
            {
                errors += 1;
            }
        }
        parser.finish();
    }
    Run {
        items,
        errors,
        last_event_id: parser.last_event_id().to_owned(),
        retry: parser.retry(),
    }
}

/// Splits `body` at the given points (which may repeat, giving empty chunks).
fn split<'a>(body: &'a [u8], points: &[Index]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points
        .iter()
        .map(|point| point.index(body.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts {
        chunks.push(&body[start..cut]);
        start = cut;
    }
    chunks.push(&body[start..]);
    chunks
}

/// The spec's algorithm, written the plain way: decode the whole body, cut
/// it into lines, then walk the lines. It shares no code with the parser.
#[derive(Default)]
struct Model {
    last_event_id: String,
    retry: Option<Duration>,
}

impl Model {
    fn connection(&mut self, body: &[u8], items: &mut Vec<Item<'static>>) {
        // The UTF-8 decoder strips one BOM and replaces invalid bytes.
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let text = String::from_utf8_lossy(body);

        let mut lines = Vec::new();
        let mut line = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    lines.push(mem::take(&mut line));
                }
                '\n' => lines.push(mem::take(&mut line)),
                c => line.push(c),
            }
        }
        // Whatever follows the last line end is an incomplete line: discarded.

        let mut data = String::new();
        let mut event_type = String::new();
        let mut id_buffer = self.last_event_id.clone();
        for line in lines {
            if line.is_empty() {
                self.last_event_id = id_buffer.clone();
                if data.is_empty() {
                    event_type.clear();
                    continue;
                }
                if data.ends_with('\n') {
                    data.pop();
                }
                let event_type = mem::take(&mut event_type);
                items.push(Item::Event(Event {
                    event_type: if event_type.is_empty() {
                        "message".into()
                    } else {
                        event_type.into()
                    },
                    data: mem::take(&mut data).into(),
                    last_event_id: self.last_event_id.clone().into(),
                }));
                continue;
            }
            if let Some(comment) = line.strip_prefix(':') {
                items.push(Item::Comment(comment.to_owned().into()));
                continue;
            }
            let (field, value) = match line.find(':') {
                Some(colon) => {
                    let value = &line[colon + 1..];
                    (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
                }
                None => (line.as_str(), ""),
            };
            match field {
                "event" => event_type = value.to_owned(),
                "data" => {
                    data.push_str(value);
                    data.push('\n');
                }
                "id" if !value.contains('\0') => id_buffer = value.to_owned(),
                "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    if let Ok(millis) = value.parse::<u64>() {
                        self.retry = Some(Duration::from_millis(millis));
                        items.push(Item::Retry(Duration::from_millis(millis)));
                    }
                }
                _ => {}
            }
        }
        // End of stream: the unfinished block, and its id, are dropped.
    }
}

fn model(connections: &[Vec<u8>]) -> Run {
    let mut model = Model::default();
    let mut items = Vec::new();
    for body in connections {
        model.connection(body, &mut items);
    }
    Run {
        items,
        errors: 0,
        last_event_id: model.last_event_id,
        retry: model.retry,
    }
}

/// SSE-like bytes: field names, separators, every kind of line end, NUL,
/// BOMs, invalid and multi-byte UTF-8 (whole and cut), digits and noise.
fn sse_body() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => Just(b"data".to_vec()),
        6 => Just(b"data:".to_vec()),
        6 => Just(b"data: ".to_vec()),
        2 => Just(b"event:".to_vec()),
        2 => Just(b"event: ".to_vec()),
        2 => Just(b"id:".to_vec()),
        2 => Just(b"id: ".to_vec()),
        2 => Just(b"retry:".to_vec()),
        2 => Just(b"retry: ".to_vec()),
        2 => Just(b"Data:".to_vec()),
        3 => Just(b":".to_vec()),
        3 => Just(b" ".to_vec()),
        6 => Just(b"\n".to_vec()),
        4 => Just(b"\r".to_vec()),
        4 => Just(b"\r\n".to_vec()),
        4 => Just(b"\n\n".to_vec()),
        1 => Just(b"\r\r".to_vec()),
        1 => Just(b"\0".to_vec()),
        1 => Just(b"\xEF\xBB\xBF".to_vec()),
        1 => Just(b"\xEF\xBB".to_vec()),
        1 => Just(b"\xE2\x80".to_vec()),
        1 => Just(b"\xA6".to_vec()),
        1 => Just(b"\xFF".to_vec()),
        1 => Just("é…😀".as_bytes().to_vec()),
        3 => "[0-9]{1,22}".prop_map(String::into_bytes),
        4 => "[a-z ]{1,8}".prop_map(String::into_bytes),
        2 => any::<u8>().prop_map(|byte| vec![byte]),
    ];
    proptest::collection::vec(token, 0..48).prop_map(|tokens| tokens.concat())
}

/// Split points for a body: enough to cut it into up to nine chunks.
fn cuts() -> impl Strategy<Value = Vec<Index>> {
    proptest::collection::vec(any::<Index>(), 0..8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_chunking_gives_what_the_whole_body_gives(body in sse_body(), points in cuts()) {
        let whole = run(Parser::new(), &[vec![&body[..]]]);
        let chunked = run(Parser::new(), &[split(&body, &points)]);
        prop_assert_eq!(&chunked, &whole);
        let bytes = run(Parser::new(), &[body.chunks(1).collect()]);
        prop_assert_eq!(&bytes, &whole);
    }

    #[test]
    fn the_parser_agrees_with_the_simple_model(
        connections in proptest::collection::vec((sse_body(), cuts()), 1..4),
    ) {
        let bodies: Vec<Vec<u8>> = connections.iter().map(|(body, _)| body.clone()).collect();
        let chunked: Vec<Vec<&[u8]>> = connections.iter().map(|(body, points)| split(body, points)).collect();
        prop_assert_eq!(run(Parser::new(), &chunked), model(&bodies));
    }

    #[test]
    fn over_limit_handling_does_not_depend_on_chunking(
        body in sse_body(),
        points in cuts(),
        limit in 0usize..24,
    ) {
        let whole = run(Parser::with_max_event_size(limit), &[vec![&body[..]]]);
        let chunked = run(Parser::with_max_event_size(limit), &[split(&body, &points)]);
        // Each feed reports at most one error, so only whether any occurred is comparable.
        prop_assert_eq!(chunked.errors > 0, whole.errors > 0);
        prop_assert_eq!(Run { errors: 0, ..chunked }, Run { errors: 0, ..whole });
    }

    #[test]
    fn a_limit_that_is_never_reached_changes_nothing(body in sse_body(), points in cuts()) {
        // No line of a body is longer than the body.
        let limited = run(Parser::with_max_event_size(body.len()), &[split(&body, &points)]);
        prop_assert_eq!(limited.errors, 0);
        prop_assert_eq!(limited, run(Parser::new(), &[vec![&body[..]]]));
    }
}

#[test]
fn the_model_is_not_trivially_equal() {
    // Guard against a vacuous comparison: both sides must see real events.
    let body = b"id: 1\ndata: a\n\n:c\nretry: 5\nevent: e\ndata\n\n".to_vec();
    let expected = model(std::slice::from_ref(&body));
    assert_eq!(expected.items.len(), 4, "{expected:?}");
    assert_eq!(run(Parser::new(), &[vec![&body[..]]]), expected);
}
