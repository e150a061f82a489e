//! Throughput of `web_sse::parse::Parser` against eventsource-stream,
//! sse-codec and a bare memchr line scan, on the same bytes in the same chunks.
//!
//! Run: `cargo bench --bench parse`; docs/performance.md has the results.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_codec::{BytesMut, Decoder};
use web_sse::parse::{Item, Parser};

/// Chunks the size of a typical socket read, as a fetch body delivers them.
///
/// `SSE_BENCH_CHUNK=<bytes>` overrides it, to see how chunk size matters.
fn chunk_size() -> usize {
    std::env::var("SSE_BENCH_CHUNK")
        .ok()
        .and_then(|size| size.parse().ok())
        .unwrap_or(16 * 1024)
}

/// Each input is about this large, so that one iteration is long enough to time.
const INPUT_SIZE: usize = 1 << 20;

/// Parses a whole body in chunks of `chunk_size()` and returns how many events it dispatched.
type Parse = fn(&[u8]) -> usize;

struct Input {
    name: &'static str,
    bytes: Vec<u8>,
    events: usize,
}

fn repeat(name: &'static str, event: &[u8]) -> Input {
    let events = INPUT_SIZE.div_ceil(event.len());
    Input {
        name,
        bytes: event.repeat(events),
        events,
    }
}

fn inputs() -> Vec<Input> {
    let large = [&b"data: "[..], &vec![b'x'; 64 * 1024], b"\n\n"].concat();
    let many_lines: Vec<u8> = (0..32)
        .flat_map(|line| format!("data: line {line:02} of the event\n").into_bytes())
        .chain(*b"\n")
        .collect();
    // Every line end in turn: CRLF, LF and a lone CR.
    let mixed = b"event: update\r\nid: 12345\ndata: {\"price\": 101.25}\r\r\n".to_vec();
    vec![
        repeat("small events", b"data: 0123456789abcdefghij\n\n"),
        repeat("64 KiB lines", &large),
        repeat("32 data lines", &many_lines),
        repeat("mixed CRLF", &mixed),
    ]
}

/// web-sse as the fetch transport uses it: events borrowed from the parser.
fn web_sse(bytes: &[u8]) -> usize {
    let mut parser = Parser::new();
    let mut events = 0;
    for chunk in bytes.chunks(chunk_size()) {
        let fed = parser.feed(chunk, |item| {
            if let Item::Event(event) = item {
                black_box(event);
                events += 1;
            }
        });
        black_box(fed).ok();
    }
    parser.finish();
    events
}

/// web-sse making an owned event, with `String`s, as the other crates do.
fn web_sse_owned(bytes: &[u8]) -> usize {
    let mut parser = Parser::new();
    let mut events = 0;
    for chunk in bytes.chunks(chunk_size()) {
        let fed = parser.feed(chunk, |item| {
            if let Item::Event(event) = item {
                black_box(event.into_owned());
                events += 1;
            }
        });
        black_box(fed).ok();
    }
    parser.finish();
    events
}

fn eventsource_stream(bytes: &[u8]) -> usize {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;
    let chunks = futures::stream::iter(bytes.chunks(chunk_size()).map(Ok::<_, Infallible>));
    futures::executor::block_on(chunks.eventsource().fold(0, |events, event| {
        black_box(event).ok();
        async move { events + 1 }
    }))
}

fn sse_codec(bytes: &[u8]) -> usize {
    let mut codec = sse_codec::SSECodec::default();
    let mut buffer = BytesMut::new();
    let mut events = 0;
    for chunk in bytes.chunks(chunk_size()) {
        buffer.extend_from_slice(chunk);
        while let Ok(Some(event)) = codec.decode(&mut buffer) {
            if let sse_codec::Event::Message { .. } = black_box(event) {
                events += 1;
            }
        }
    }
    events
}

/// The practical limit: finding every line end and nothing else.
fn memchr_scan(bytes: &[u8]) -> usize {
    bytes
        .chunks(chunk_size())
        .map(|chunk| memchr::memchr2_iter(b'\r', b'\n', chunk).count())
        .sum()
}

fn bench(c: &mut Criterion) {
    for input in inputs() {
        // A parser that loses or invents events would make its speed meaningless.
        assert_eq!(
            web_sse(&input.bytes),
            input.events,
            "web-sse on {}",
            input.name
        );
        assert_eq!(
            web_sse_owned(&input.bytes),
            input.events,
            "web-sse owned on {}",
            input.name
        );
        assert_eq!(
            eventsource_stream(&input.bytes),
            input.events,
            "eventsource-stream on {}",
            input.name
        );
        if input.name != "mixed CRLF" {
            // sse-codec treats "\r\r\n" as three line ends, so it reports spurious events here.
            assert_eq!(
                sse_codec(&input.bytes),
                input.events,
                "sse-codec on {}",
                input.name
            );
        }

        let mut group = c.benchmark_group(input.name);
        group.throughput(Throughput::Bytes(input.bytes.len() as u64));
        group.sample_size(20);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));
        let parsers: [(&str, Parse); 5] = [
            ("web-sse", web_sse),
            ("web-sse owned", web_sse_owned),
            ("eventsource-stream", eventsource_stream),
            ("sse-codec", sse_codec),
            ("memchr scan", memchr_scan),
        ];
        for (name, parse) in parsers {
            group.bench_with_input(
                BenchmarkId::from_parameter(name),
                &input.bytes[..],
                |b, bytes| b.iter(|| parse(black_box(bytes))),
            );
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
