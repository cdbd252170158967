//! Request bodies: each must arrive within the request timeout (else 408)
//! and under [`MAX_BODY`] (else 413); once one has arrived its request is
//! answered even by a relay shutting down.

use crate::errors::ApiError;
use crate::ingest::MAX_BODY;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
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
    limit: Duration,
    received: u64,
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
    connection: Option<Arc<Connection>>,
    stage: AtomicU8,
}

const RECEIVING: u8 = 0;
const ANSWERING: u8 = 1;
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

/// A request body that fails with [`BodyTimedOut`] once its deadline
/// passes, and tells its [`Progress`] when it has been read to the end.
struct TimedBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
    received: u64,
    expected: Option<u64>,
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
    let progress = Arc::new(Progress {
        connection: parts.extensions.get::<Arc<Connection>>().cloned(),
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
