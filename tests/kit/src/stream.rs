//! Reading the relay's `/v1/stream` (server-sent events) from outside: a
//! [`Parser`] that turns body chunks into events whatever way the chunks
//! split them, and [`each_event`], which drives it over a response. The
//! load harness measures page latency with it.

use crate::relay::TestDevice;
use chrono::Utc;
use futures_util::StreamExt as _;
use klaxon_crypto as crypto;

/// One server-sent event: its `event:` name and its `data:` lines (joined
/// with newlines, as the SSE rules say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field: `hello`, `page`, `changed`, ….
    pub name: String,
    /// The `data:` field; the relay sends one line of JSON.
    pub data: String,
}

/// Turns a stream's bytes into events as they arrive; a chunk may end in
/// the middle of an event (or of a UTF-8 character), and the rest is kept
/// for the next chunk.
#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes received but not yet part of a complete event.
    pending: Vec<u8>,
}

impl Parser {
    /// Adds `chunk`; the events it completed, in order. Blocks without an
    /// `event:` line (keep-alive comments) are skipped.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = self.pending.drain(..end + 2).collect();
            events.extend(event_in(&String::from_utf8_lossy(&block)));
        }
        events
    }
}

/// The event one blank-line-terminated block holds, if it names one.
fn event_in(block: &str) -> Option<Event> {
    let field = |line: &str, name: &str| {
        let value = line.strip_prefix(name)?.strip_prefix(':')?;
        Some(value.strip_prefix(' ').unwrap_or(value).to_string())
    };
    let name = block.lines().find_map(|line| field(line, "event"))?;
    let data: Vec<String> = block.lines().filter_map(|l| field(l, "data")).collect();
    Some(Event {
        name,
        data: data.join("\n"),
    })
}

/// `GET base/v1/stream` signed by `device` now, on `http`; the response,
/// whose body is the event stream.
pub async fn connect(http: &reqwest::Client, base: &str, device: &TestDevice) -> reqwest::Response {
    let nonce = crypto::new_nonce();
    let signed = device.headers("GET", "/v1/stream", b"", Utc::now(), &nonce);
    let request = signed
        .into_iter()
        .fold(http.get(format!("{base}/v1/stream")), |r, (k, v)| {
            r.header(k, v)
        });
    request.send().await.unwrap()
}

/// Reads `response`'s body to its end, handing every event to `each` as it
/// completes.
pub async fn each_event(response: reqwest::Response, mut each: impl FnMut(Event)) {
    let mut parser = Parser::default();
    let mut body = response.bytes_stream();
    while let Some(Ok(chunk)) = body.next().await {
        parser.push(&chunk).into_iter().for_each(&mut each);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Event { name, data }`, shorter.
    fn event(name: &str, data: &str) -> Event {
        Event {
            name: name.into(),
            data: data.into(),
        }
    }

    #[test]
    fn events_split_across_chunks_come_out_whole_and_in_order() {
        let stream =
            "event: hello\ndata: {\"v\":1}\n\n: keep-alive\n\nevent: page\ndata: {\"t\":\"é\"}\n\n";
        let bytes = stream.as_bytes();
        // Every split point, including inside the two-byte é.
        for cut in 0..bytes.len() {
            let mut parser = Parser::default();
            let mut got = parser.push(&bytes[..cut]);
            got.extend(parser.push(&bytes[cut..]));
            assert_eq!(
                got,
                [event("hello", "{\"v\":1}"), event("page", "{\"t\":\"é\"}")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn data_lines_join_with_newlines_and_an_unfinished_event_waits() {
        let mut parser = Parser::default();
        assert_eq!(
            parser.push(b"event: changed\ndata: a\ndata:b\n\nevent: page\n"),
            [event("changed", "a\nb")]
        );
        assert_eq!(parser.push(b"data: x\n\n"), [event("page", "x")]);
    }
}
