//! Request bodies: each must arrive within the request timeout and under
//! [`MAX_BODY`], and every JSON body is decoded by one extractor,
//! [`JsonBody`], whose refusals name the field (`actions[0].key: missing`)
//! the way ingest's do. Ingest decodes with the same [`decode`].

use crate::errors::ApiError;
use crate::ingest::MAX_BODY;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
use serde::de::value::{MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer};
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::serve::Connection;

/// How long a client has to send a request: its headers, and then its
/// body. A 512 KiB body needs under 30 s even at 140 kbit/s (a poor mobile
/// link), and monitoring and phones send a few KiB; yet without a bound a
/// client that announces `Content-Length: 1000` and sends 10 bytes holds
/// its connection forever, and a relay shutting down would wait for it.
/// [`crate::Relay::request_timeout`] changes it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The body did not arrive within the request timeout.
#[derive(Debug)]
pub struct BodyTimedOut {
    /// The request timeout that passed.
    limit: Duration,
    /// Bytes of the body that did arrive, so the client sees how far it got.
    received: u64,
    /// The `Content-Length`, when the client announced one.
    expected: Option<u64>,
}

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.limit.as_secs_f64();
        match self.expected {
            Some(expected) => write!(
                f,
                "body: {} of {expected} bytes arrived within {secs} s",
                self.received
            ),
            None => write!(
                f,
                "body: not complete within {secs} s ({} bytes arrived)",
                self.received
            ),
        }
    }
}

impl StdError for BodyTimedOut {}

/// Where a request stands, for its connection's count of requests being
/// answered (see [`Connection`]): receiving its body, answering it, done.
#[derive(Debug)]
struct Progress {
    /// The request's connection; `None` only for a request that did not
    /// come through [`crate::serve`] (a router called directly in a test).
    connection: Option<Arc<Connection>>,
    /// [`RECEIVING`], [`ANSWERING`] or [`DONE`]; atomic because the body
    /// (read by the handler) and the middleware both move it on.
    stage: AtomicU8,
}

/// The body is still arriving: a shutdown past its grace may drop it.
const RECEIVING: u8 = 0;
/// The body is in and the request is being answered: counted on its
/// connection, so a shutdown lets the answer go out.
const ANSWERING: u8 = 1;
/// Answered (or dropped): no longer counted.
const DONE: u8 = 2;

impl Progress {
    /// The whole body is in: from now on the request is answered, even if
    /// the relay is shutting down (it may be an event being committed).
    fn received(&self) {
        if self
            .stage
            .compare_exchange(RECEIVING, ANSWERING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            if let Some(c) = &self.connection {
                c.answering_started();
            }
        }
    }

    /// The request is answered or dropped: it stops counting on its
    /// connection (once, whichever stage it reached).
    fn done(&self) {
        if self.stage.swap(DONE, Ordering::AcqRel) == ANSWERING {
            if let Some(c) = &self.connection {
                c.answering_ended();
            }
        }
    }
}

/// Ends the request's answering when the middleware is done with it
/// (answered, or dropped with its connection).
struct Answered(Arc<Progress>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.done();
    }
}

/// A body's reservation in its relay's budget for bodies in flight
/// (see [`crate::serve::BODY_BUDGET`]), given back when dropped.
struct Room(Arc<Connection>, usize);

impl Drop for Room {
    fn drop(&mut self) {
        self.0.budget.release(self.1);
    }
}

/// A request body that fails with [`BodyTimedOut`] once its deadline
/// passes, and tells its [`Progress`] when it has been read to the end.
struct TimedBody {
    /// The body as hyper delivers it.
    inner: Body,
    /// When the request timeout ends, counted from the headers.
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// The request timeout, for the 408's message.
    limit: Duration,
    /// Bytes read so far, for the 408's message.
    received: u64,
    /// The announced length, for the 408's message.
    expected: Option<u64>,
    /// Told when the last byte has arrived.
    progress: Arc<Progress>,
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.progress.received();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                if this.inner.is_end_stream() {
                    this.progress.received();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut {
                    limit: this.limit,
                    received: this.received,
                    expected: this.expected,
                })))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware on every route: the body must arrive within `timeout` of the
/// headers (readers then answer 408), and once it has, the request counts
/// as being answered on its connection until its handler returns, so a
/// shutdown past its grace period still lets it finish. It bounds
/// receiving, never answering: the event stream's GET has no body and its
/// answer streams for as long as the device stays.
pub async fn receive_in_time(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let connection = parts.extensions.get::<Arc<Connection>>().cloned();
    // The body's room in the relay's budget for bodies in flight, held
    // until the request is answered: its announced length (capped at the
    // limit, over which it is refused anyway), or the limit when chunked.
    // A body that does not fit is refused before any of it is read.
    let _room = match &connection {
        Some(c) if !body.is_end_stream() => {
            let bytes = body.size_hint().exact().map_or(MAX_BODY, |n| {
                usize::try_from(n).unwrap_or(MAX_BODY).min(MAX_BODY)
            });
            if !c.budget.try_reserve(bytes) {
                tracing::debug!(bytes, "refused: request bodies in flight over the budget");
                return axum::response::IntoResponse::into_response(ApiError::Unavailable(
                    "body: the relay is receiving as many request bodies as it holds; retry".into(),
                ));
            }
            Some(Room(c.clone(), bytes))
        }
        _ => None,
    };
    let progress = Arc::new(Progress {
        connection,
        stage: AtomicU8::new(RECEIVING),
    });
    let answered = Answered(progress.clone());
    if body.is_end_stream() {
        progress.received();
    }
    let body = TimedBody {
        expected: body.size_hint().exact(),
        inner: body,
        deadline: Box::pin(tokio::time::sleep(timeout)),
        limit: timeout,
        received: 0,
        progress,
    };
    let response = next.run(Request::from_parts(parts, Body::new(body))).await;
    drop(answered);
    response
}

/// Why a body could not be read, as the client is told: 408 when it did
/// not arrive in time, 413 over [`MAX_BODY`], else a 400 with this `status`
/// word (a client that hung up mid-body).
pub fn unreadable(error: &(dyn StdError + 'static), status: &'static str) -> ApiError {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(late) = e.downcast_ref::<BodyTimedOut>() {
            return ApiError::RequestTimeout(late.to_string());
        }
        if e.is::<http_body_util::LengthLimitError>() {
            return ApiError::PayloadTooLarge;
        }
        cause = e.source();
    }
    ApiError::Invalid {
        status,
        message: "The request body could not be read".into(),
        errors: vec![format!("body: could not be read: {error}")],
    }
}

/// The body of a request read by axum's `Bytes` extractor (which holds it
/// to [`MAX_BODY`]), or the answer to give when it could not be read.
pub fn received(
    body: Result<Bytes, BytesRejection>,
    status: &'static str,
) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            unreadable(&rejection, status)
        }
    })
}

/// Reads a whole body outside an extractor (the signature check hashes
/// it before any handler runs), with the same answers as [`received`].
pub async fn read_all(body: Body, status: &'static str) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| unreadable(&e, status))
}

/// Parses a JSON body; a refusal is `body: not valid JSON: …`.
pub fn parse(bytes: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("body: not valid JSON: {e}"))
}

/// Decodes a JSON object body into `T`; a refusal names the field first
/// (`code: missing`, `actions[0].seen: must be a whole number ≥ 0, not
/// string "x"`).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let value = parse(bytes)?;
    if !value.is_object() {
        return Err(format!(
            "body: must be a JSON object, not {}",
            crate::ingest::value_in_words(&value)
        ));
    }
    match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(decoded) => Ok(decoded),
        Err(e) => Err(describe::<T>(&value, &e)),
    }
}

/// `field: problem` for a refused body, in words rather than Rust's.
///
/// serde_json decides what is accepted; its error says only, in an English
/// sentence, what went wrong. So a refused body is decoded once more
/// through [`InWords`], a deserializer over the same value whose error
/// type keeps serde's report as data ([`Refusal`]), and the message is
/// built from that and the field's path. A refusal it has no words for
/// (an unknown field, a wrong length, a type's own check) is serde_json's
/// text after the path.
fn describe<T: DeserializeOwned>(
    value: &serde_json::Value,
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> String {
    let inner = error.inner();
    // Decoding a parsed value fails only on its data; anything else
    // (there is none today) is reported as the JSON being wrong.
    if inner.classify() != serde_json::error::Category::Data {
        return format!("body: not valid JSON: {inner}");
    }
    if let Err(again) = serde_path_to_error::deserialize::<_, T>(InWords(value)) {
        if let Some(message) = again.inner().in_words(again.path()) {
            return message;
        }
    }
    format!(
        "{}: {}",
        at(error.path(), ""),
        inner.to_string().replace('`', "\"")
    )
}

/// Where a problem is: the path to the value (`actions[0].seen`), with
/// `field` appended for a field missing from it; `body` for the whole.
fn at(path: &serde_path_to_error::Path, field: &str) -> String {
    let path = path.to_string();
    match (path.as_str(), field) {
        (".", "") => "body".to_string(),
        (".", f) => f.to_string(),
        (p, "") => p.to_string(),
        (p, f) => format!("{p}.{f}"),
    }
}

/// What serde reported about a refused value, kept as data.
#[derive(Debug)]
enum Refusal {
    /// A required field is absent.
    Missing(&'static str),
    /// A value of the wrong type, or out of range: what was found, in
    /// words, and what the type expected, as serde names it.
    Wrong {
        /// What the body had, in words ([`found_in_words`]).
        found: String,
        /// What the type expected, as serde names it ([`expectation`]
        /// turns that into the API's words).
        expected: String,
    },
    /// A name that is none of an enum's choices.
    UnknownVariant {
        /// The name the body gave.
        variant: String,
        /// The names the enum takes.
        choices: &'static [&'static str],
    },
    /// Anything else; [`describe`] falls back to serde_json's text.
    Other(String),
}

impl Refusal {
    /// A wrong type or value: serde reports both the same way, and the
    /// API words them the same way.
    fn wrong(found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Refusal {
        Refusal::Wrong {
            found: found_in_words(found),
            expected: expected.to_string(),
        }
    }

    /// The message for this refusal at `path`, or `None` for
    /// [`Refusal::Other`].
    fn in_words(&self, path: &serde_path_to_error::Path) -> Option<String> {
        Some(match self {
            Refusal::Missing(field) => format!("{}: missing", at(path, field)),
            Refusal::Wrong { found, expected } => format!(
                "{}: must be {}, not {found}",
                at(path, ""),
                expectation(expected)
            ),
            Refusal::UnknownVariant { variant, choices } => {
                let quoted: Vec<String> = choices.iter().map(|c| format!("{c:?}")).collect();
                let choices = match quoted.as_slice() {
                    [a, b] => format!("{a} or {b}"),
                    all => all.join(", "),
                };
                format!("{}: {variant:?} is not one of {choices}", at(path, ""))
            }
            Refusal::Other(_) => return None,
        })
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Other(message) => f.write_str(message),
            known => write!(f, "{known:?}"),
        }
    }
}

impl StdError for Refusal {}

impl de::Error for Refusal {
    fn custom<M: std::fmt::Display>(message: M) -> Refusal {
        Refusal::Other(message.to_string())
    }

    fn missing_field(field: &'static str) -> Refusal {
        Refusal::Missing(field)
    }

    fn invalid_type(found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Refusal {
        Refusal::wrong(found, expected)
    }

    fn invalid_value(found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Refusal {
        Refusal::wrong(found, expected)
    }

    fn unknown_variant(variant: &str, choices: &'static [&'static str]) -> Refusal {
        Refusal::UnknownVariant {
            variant: variant.to_string(),
            choices,
        }
    }
}

/// A JSON value as a refusal names what was found: `integer 5`,
/// `string "x"`, `map`, `null` (the words serde_json uses, without its
/// backticks).
fn found_in_words(found: de::Unexpected<'_>) -> String {
    use de::Unexpected as U;
    match found {
        U::Bool(b) => format!("boolean {b}"),
        U::Unsigned(n) => format!("integer {n}"),
        U::Signed(n) => format!("integer {n}"),
        U::Float(n) => format!("floating point {n:?}"),
        U::Str(s) => format!("string {s:?}"),
        U::Unit => "null".into(),
        U::Seq => "sequence".into(),
        U::Map => "map".into(),
        other => other.to_string().replace('`', ""),
    }
}

/// A deserializer over a parsed JSON value whose error is a [`Refusal`]:
/// it reads the value as serde_json's own `Value` deserializer does
/// (numbers as unsigned, then signed, then floating point; `null` as no
/// option; an enum as a name or a one-entry object), so a body refused by
/// one is refused by the other, at the same path and for the same reason.
#[derive(Clone, Copy)]
struct InWords<'a>(&'a serde_json::Value);

impl<'de> de::Deserializer<'de> for InWords<'_> {
    type Error = Refusal;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        use serde_json::Value;
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                (None, None, f) => visitor.visit_f64(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => visitor.visit_str(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(InWords));
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Object(entries) => {
                let mut map =
                    MapDeserializer::new(entries.iter().map(|(k, v)| (k.as_str(), InWords(v))));
                let out = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        match self.0 {
            serde_json::Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refusal> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refusal> {
        use serde_json::Value;
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Object(entries) if entries.len() == 1 => {
                visitor.visit_enum(MapAccessDeserializer::new(MapDeserializer::new(
                    entries.iter().map(|(k, v)| (k.as_str(), InWords(v))),
                )))
            }
            other => Err(de::Error::invalid_type(unexpected(other), &"string or map")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

impl<'de, 'a> IntoDeserializer<'de, Refusal> for InWords<'a> {
    type Deserializer = InWords<'a>;

    fn into_deserializer(self) -> InWords<'a> {
        self
    }
}

/// A JSON value as serde's [`de::Unexpected`].
fn unexpected(value: &serde_json::Value) -> de::Unexpected<'_> {
    use serde_json::Value;
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => de::Unexpected::Unsigned(u),
            (None, Some(i)) => de::Unexpected::Signed(i),
            _ => de::Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

/// Serde's name for what it expected, in the API's words.
fn expectation(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number ≥ 0".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        // A choice among names (an enum of unit variants).
        "string or map" => "a string".into(),
        e if e.starts_with("struct ") || e.contains("enum ") => "an object".into(),
        e => e.replace('`', "\""),
    }
}

/// A JSON request body for the device and admin API, decoded with
/// [`decode`]: any `Content-Type` (or none) is accepted, as on
/// `/v2/enqueue`, and a refusal is a 400 naming the field.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = received(Bytes::from_request(request, state).await, "invalid request")?;
        decode(&bytes).map(JsonBody).map_err(ApiError::invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::decode;
    use klaxon_domain::wire::{ActionsRequest, EnrollRequest, PushTokenRequest};

    fn refusal<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
        match decode::<T>(json.as_bytes()) {
            Ok(v) => panic!("{json} decoded to {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_missing_field_is_named_by_its_path() {
        assert_eq!(
            refusal::<EnrollRequest>(r#"{"signing_key":"a","sealing_key":"b"}"#),
            "code: missing"
        );
        assert_eq!(
            refusal::<ActionsRequest>(r#"{"actions":[{"alert":"a","action":"resolve"}]}"#),
            "actions[0].key: missing"
        );
    }

    #[test]
    fn a_wrong_type_says_what_was_expected_without_rust_names() {
        assert_eq!(
            refusal::<EnrollRequest>(r#"{"code":5,"signing_key":"a","sealing_key":"b"}"#),
            "code: must be a string, not integer 5"
        );
        assert_eq!(
            refusal::<ActionsRequest>(
                r#"{"actions":[{"key":"k","alert":"a","action":"resolve","seen":"x"}]}"#
            ),
            r#"actions[0].seen: must be a whole number ≥ 0, not string "x""#
        );
        assert_eq!(
            refusal::<ActionsRequest>(r#"{"actions":{}}"#),
            "actions: must be an array, not map"
        );
        assert_eq!(
            refusal::<EnrollRequest>("[1]"),
            "body: must be a JSON object, not an array"
        );
    }

    #[test]
    fn an_unknown_choice_lists_the_known_ones() {
        assert_eq!(
            refusal::<PushTokenRequest>(r#"{"platform":"pigeon"}"#),
            r#"platform: "pigeon" is not one of "apns", "fcm", "none""#
        );
    }

    /// The words come from a second decode through `InWords`: it must
    /// read a body as serde_json does, or a refusal would be described by
    /// the wrong reason.
    #[test]
    fn in_words_reads_what_serde_json_reads() {
        fn same<T: serde::de::DeserializeOwned + serde::Serialize>(json: &str) {
            let value: serde_json::Value = serde_json::from_str(json).unwrap();
            let by_serde_json = serde_json::from_value::<T>(value.clone()).unwrap();
            let by_in_words = T::deserialize(super::InWords(&value)).unwrap();
            assert_eq!(
                serde_json::to_value(by_in_words).unwrap(),
                serde_json::to_value(by_serde_json).unwrap(),
                "{json}"
            );
        }
        same::<EnrollRequest>(r#"{"code":"c","signing_key":"a","sealing_key":"b"}"#);
        same::<ActionsRequest>(
            r#"{"actions":[{"key":"k","alert":"a","action":"resolve","seen":3},
                {"key":"l","alert":"b","action":"snooze","until":"2026-03-02T12:00:00Z"},
                {"key":"m","alert":"c","action":"acknowledge","seen":null}]}"#,
        );
        same::<PushTokenRequest>(r#"{"platform":"apns","token":"t"}"#);
        same::<PushTokenRequest>(r#"{"platform":"none"}"#);
    }

    #[test]
    fn broken_json_is_a_body_error() {
        for text in [
            "",
            "{\"code\":",
            r#"{"code":"c","signing_key":"a","sealing_key":"b"} trailing"#,
        ] {
            let refusal = refusal::<EnrollRequest>(text);
            assert!(refusal.starts_with("body: not valid JSON"), "{refusal}");
        }
    }
}
