#![cfg(not(target_arch = "wasm32"))]
//! The shared conformance vectors (tests/data/sse-vectors.json, a copy of
//! shared/conformance/sse-vectors.json) against `web_sse::parse`, each fed
//! as given, whole, byte by byte, and split at every position.

use std::time::Duration;

use serde_json::Value;
use web_sse::parse::{Item, Parser};

/// One vector, with its chunks decoded to wire bytes.
struct Vector {
    id: String,
    /// One list of chunks per connection.
    connections: Vec<Vec<Vec<u8>>>,
    expect: Value,
}

/// What a vector's expectations are checked against.
#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<(String, String, String)>,
    comments: Vec<String>,
    retry: Option<Duration>,
    last_event_id: String,
}

fn load_vectors() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sse-vectors.json");
    let text = std::fs::read_to_string(path).expect("read tests/data/sse-vectors.json");
    let json: Value = serde_json::from_str(&text).expect("vectors are JSON");
    let vectors: Vec<Vector> = json["vectors"]
        .as_array()
        .expect("a vectors array")
        .iter()
        .map(|vector| {
            let connections = match (&vector["connections"], &vector["chunks"]) {
                (Value::Array(connections), _) => connections.iter().map(chunk_list).collect(),
                (_, chunks) => vec![chunk_list(chunks)],
            };
            Vector {
                id: vector["id"].as_str().expect("an id").to_owned(),
                connections,
                expect: vector["expect"].clone(),
            }
        })
        .collect();
    assert_eq!(
        vectors.len(),
        54,
        "the vector file should hold all 54 vectors"
    );
    vectors
}

fn chunk_list(chunks: &Value) -> Vec<Vec<u8>> {
    chunks
        .as_array()
        .expect("a chunk list")
        .iter()
        .map(|chunk| match chunk {
            Value::String(text) => text.as_bytes().to_vec(),
            Value::Object(object) => {
                let hex = object["bytes_hex"].as_str().expect("bytes_hex");
                (0..hex.len())
                    .step_by(2)
                    .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("hex"))
                    .collect()
            }
            other => panic!("unexpected chunk {other}"),
        })
        .collect()
}

/// Feeds each connection's chunks to one parser, ending each connection with `finish`.
fn run(connections: &[Vec<Vec<u8>>]) -> Outcome {
    let mut parser = Parser::new();
    let mut outcome = Outcome {
        events: Vec::new(),
        comments: Vec::new(),
        retry: None,
        last_event_id: String::new(),
    };
    for chunks in connections {
        for chunk in chunks {
            parser
                .feed(chunk, |item| match item {
                    Item::Event(event) => outcome.events.push((
                        event.event_type.into_owned(),
                        event.data.into_owned(),
                        event.last_event_id.into_owned(),
                    )),
                    Item::Comment(text) => outcome.comments.push(text.into_owned()),
                    Item::Retry(retry) => outcome.retry = Some(retry),
                    other => panic!("unexpected item {other:?}"),
                })
                .expect("no vector exceeds the size limit");
        }
        parser.finish();
    }
    assert_eq!(
        outcome.retry,
        parser.retry(),
        "Item::Retry and retry() agree"
    );
    outcome.last_event_id = parser.last_event_id().to_owned();
    outcome
}

/// The expectation mismatches, empty when the outcome matches the vector.
fn mismatches(vector: &Vector, outcome: &Outcome) -> Vec<String> {
    let mut wrong = Vec::new();
    let expect = &vector.expect;
    let events = expect["events"].as_array().expect("expect.events");
    if events.len() != outcome.events.len() {
        wrong.push(format!(
            "{} events, expected {}: {:?}",
            outcome.events.len(),
            events.len(),
            outcome.events
        ));
    }
    for (index, (want, got)) in events.iter().zip(&outcome.events).enumerate() {
        if want["type"] != got.0.as_str() || want["data"] != got.1.as_str() {
            wrong.push(format!("event {index}: got {got:?}, expected {want}"));
        }
        if let Some(id) = want.get("lastEventId") {
            if id != got.2.as_str() {
                wrong.push(format!(
                    "event {index}: lastEventId {:?}, expected {id}",
                    got.2
                ));
            }
        }
    }
    // Vectors state the reconnection time only where the test they restate checks it.
    if let Some(ms) = expect.get("retry") {
        let want = Some(Duration::from_millis(ms.as_u64().expect("retry ms")));
        if want != outcome.retry {
            wrong.push(format!("retry {:?}, expected {want:?}", outcome.retry));
        }
    }
    if let Some(id) = expect.get("lastEventId") {
        if id != outcome.last_event_id.as_str() {
            wrong.push(format!(
                "lastEventId {:?}, expected {id}",
                outcome.last_event_id
            ));
        }
    }
    if let Some(comments) = expect.get("comments") {
        let want: Vec<&str> = comments
            .as_array()
            .expect("comments")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if want != outcome.comments {
            wrong.push(format!(
                "comments {:?}, expected {want:?}",
                outcome.comments
            ));
        }
    }
    wrong
}

/// Checks every vector under one way of chunking its connections.
fn check_all(mode: &str, rechunk: impl Fn(&[Vec<u8>]) -> Vec<Vec<Vec<u8>>>) {
    let vectors = load_vectors();
    let mut failures = Vec::new();
    let mut runs = 0;
    'vectors: for vector in &vectors {
        // Every chunking of every connection, one connection varied at a time.
        for (varied, chunks) in vector.connections.iter().enumerate() {
            for chunking in rechunk(chunks) {
                let mut connections = vector.connections.clone();
                connections[varied] = chunking;
                let outcome = run(&connections);
                runs += 1;
                let wrong = mismatches(vector, &outcome);
                if !wrong.is_empty() {
                    failures.push(format!("{} ({mode}): {}", vector.id, wrong.join("; ")));
                    continue 'vectors;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(runs >= vectors.len(), "every vector ran at least once");
}

#[test]
fn vectors_as_given() {
    check_all("as given", |chunks| vec![chunks.to_vec()]);
}

#[test]
fn vectors_whole() {
    check_all("whole", |chunks| vec![vec![chunks.concat()]]);
}

#[test]
fn vectors_byte_by_byte() {
    check_all("byte by byte", |chunks| {
        vec![chunks.concat().chunks(1).map(<[u8]>::to_vec).collect()]
    });
}

#[test]
fn vectors_split_at_every_position() {
    check_all("whole body split in two at every position", |chunks| {
        let body = chunks.concat();
        (0..=body.len())
            .map(|at| vec![body[..at].to_vec(), body[at..].to_vec()])
            .collect()
    });
}

#[test]
fn vectors_each_chunk_split_at_every_position() {
    check_all("each chunk split in two at every position", |chunks| {
        let mut chunkings = Vec::new();
        for (index, chunk) in chunks.iter().enumerate() {
            for at in 0..=chunk.len() {
                let mut chunking = chunks[..index].to_vec();
                chunking.push(chunk[..at].to_vec());
                chunking.push(chunk[at..].to_vec());
                chunking.extend_from_slice(&chunks[index + 1..]);
                chunkings.push(chunking);
            }
        }
        chunkings
    });
}

#[test]
fn a_failing_vector_is_reported() {
    // The checker itself must be able to fail: a wrong expectation is caught.
    let mut vector = load_vectors().swap_remove(0);
    vector.expect["events"][0]["data"] = Value::from("not the data");
    let outcome = run(&vector.connections);
    assert!(!mismatches(&vector, &outcome).is_empty());
}
