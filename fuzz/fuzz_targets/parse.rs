//! Fuzzes `web_sse::parse::Parser`: it must never panic, chunking must not
//! change what it reports, and with the default limit it must agree with
//! the simple model of the spec that the property tests use.
//!
//! Run: `cargo +nightly fuzz run parse` (from the repository root).
#![no_main]

use libfuzzer_sys::fuzz_target;
use web_sse::parse::{Parser, DEFAULT_MAX_EVENT_SIZE};

#[path = "../../tests/parse_model/mod.rs"]
mod parse_model;
use parse_model::{model, run, Run};

fuzz_target!(|input: &[u8]| {
    let Some((&[limit_byte, chunk_byte, connections_byte], body)) = input.split_first_chunk()
    else {
        return;
    };
    // Half the inputs run with a tiny limit, to exercise the over-limit paths.
    let limit = if limit_byte & 1 == 0 {
        DEFAULT_MAX_EVENT_SIZE
    } else {
        usize::from(limit_byte >> 1)
    };
    // Cut the body into connections at a few fixed points, then each
    // connection into chunks whose sizes cycle through a pattern.
    let connection_count = usize::from(connections_byte % 3) + 1;
    let bodies: Vec<&[u8]> = {
        let step = body.len() / connection_count + 1;
        body.chunks(step).collect()
    };
    let chunked: Vec<Vec<&[u8]>> = bodies.iter().map(|body| chunk(body, chunk_byte)).collect();
    let whole: Vec<Vec<&[u8]>> = bodies.iter().map(|body| vec![*body]).collect();

    let from_whole = run(Parser::with_max_event_size(limit), &whole);
    let from_chunks = run(Parser::with_max_event_size(limit), &chunked);
    assert_eq!(from_chunks.errors > 0, from_whole.errors > 0);
    assert_eq!(
        Run {
            errors: 0,
            ..from_chunks
        },
        Run {
            errors: 0,
            ..from_whole.clone()
        }
    );
    if limit == DEFAULT_MAX_EVENT_SIZE {
        let owned: Vec<Vec<u8>> = bodies.iter().map(|body| body.to_vec()).collect();
        assert_eq!(from_whole, model(&owned));
    }
});

/// Splits `body` into chunks of 0 to 15 bytes, in a pattern set by `seed`.
fn chunk(body: &[u8], seed: u8) -> Vec<&[u8]> {
    let mut chunks = Vec::new();
    let mut rest = body;
    let mut state = u32::from(seed) | 1;
    while !rest.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let size = ((state >> 16) % 16) as usize;
        let (head, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(head);
        rest = tail;
    }
    chunks
}
