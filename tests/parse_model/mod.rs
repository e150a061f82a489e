//! Shared by the property tests and the fuzz target (which includes this
//! file by path): a deliberately simple model of the spec, and a runner for
//! the real parser whose results compare with it.
#![allow(dead_code)]

use std::mem;
use std::time::Duration;

use web_sse::parse::{Event, Item, Parser};

/// Everything a run reports, in a form the runs can be compared by.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub items: Vec<Item<'static>>,
    pub errors: usize,
    pub last_event_id: String,
    pub retry: Option<Duration>,
}

/// Feeds each connection's chunks, ending every connection with `finish`.
pub fn run(mut parser: Parser, connections: &[Vec<&[u8]>]) -> Run {
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

pub fn model(connections: &[Vec<u8>]) -> Run {
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
