#![cfg(not(target_arch = "wasm32"))]
//! Property tests for `web_sse::parse`: any chunking gives what the whole
//! body gives, and the parser agrees with a deliberately simple model of the
//! spec on random SSE-like input.

use proptest::prelude::*;
use proptest::sample::Index;
use web_sse::parse::Parser;

mod parse_model;
use parse_model::{model, run, Run};

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
