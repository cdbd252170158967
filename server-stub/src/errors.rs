//! The one error every handler returns. Client mistakes become 4xx with a
//! JSON body naming what is wrong (PagerDuty's shape, which the Events v2
//! clients parse); only store failures are 5xx, never client input.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a request failed, as the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request is malformed; `errors` name each bad field.
    Invalid {
        /// PagerDuty's `status` word: `invalid event` on ingest, `invalid request` elsewhere.
        status: &'static str,
        /// One-line summary.
        message: String,
        /// One entry per problem, each naming its field.
        errors: Vec<String>,
    },
    /// 408: the body did not arrive within the request timeout; the text
    /// says how much of it did (`body: 10 of 1000 bytes arrived within 30 s`).
    RequestTimeout(String),
    /// 413: the body is over the relay's limit.
    PayloadTooLarge,
    /// 401: missing or bad credentials, signature, timestamp or nonce.
    Unauthorized(String),
    /// 403: authenticated, but not allowed (or the admin API is off).
    Forbidden(String),
    /// 404: no such thing (or one the caller may not see).
    NotFound(String),
    /// 405: the path exists, the method is not one it takes.
    MethodNotAllowed(String),
    /// 409: the request clashes with what is stored (a signing key that is
    /// already enrolled).
    Conflict(String),
    /// 429: over the rate limit; retry after this many seconds.
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after: u64,
    },
    /// 503: the store could not commit; nothing was accepted, retry.
    Unavailable(String),
}

impl ApiError {
    /// A 400 for a device or admin request with one problem.
    pub fn invalid(field_message: impl Into<String>) -> ApiError {
        let message = field_message.into();
        ApiError::Invalid {
            status: "invalid request",
            errors: vec![message.clone()],
            message,
        }
    }

    /// A 400 for an ingested event (PagerDuty's `invalid event`).
    pub fn invalid_event(errors: Vec<String>) -> ApiError {
        ApiError::Invalid {
            status: "invalid event",
            message: "Event object is invalid".to_string(),
            errors,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    /// PagerDuty's `status` word (`invalid event`, `throttle event`, …):
    /// PagerDuty's clients read it.
    status: &'a str,
    /// One line for a person reading a log.
    message: &'a str,
    /// One entry per problem, each naming its field, so a sender fixes
    /// everything in one go.
    errors: Vec<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.status_code();
        let (status, message, errors): (&str, String, Vec<String>) = match &self {
            ApiError::Invalid {
                status,
                message,
                errors,
            } => (status, message.clone(), errors.clone()),
            ApiError::RequestTimeout(m) => (
                "request timeout",
                "The request body did not arrive in time".to_string(),
                vec![m.clone()],
            ),
            ApiError::PayloadTooLarge => (
                "invalid event",
                "Request body is over the 512 KiB limit".to_string(),
                vec!["body: larger than 524288 bytes".to_string()],
            ),
            ApiError::Unauthorized(m) => ("unauthorized", m.clone(), vec![m.clone()]),
            ApiError::Forbidden(m) => ("forbidden", m.clone(), vec![m.clone()]),
            ApiError::NotFound(m) => ("not found", m.clone(), vec![m.clone()]),
            ApiError::MethodNotAllowed(m) => ("method not allowed", m.clone(), vec![m.clone()]),
            ApiError::Conflict(m) => ("conflict", m.clone(), vec![m.clone()]),
            ApiError::RateLimited { .. } => (
                "throttle event",
                "Requests for this routing key exceed its rate limit".to_string(),
                vec!["routing_key: rate limit exceeded, retry later".to_string()],
            ),
            ApiError::Unavailable(m) => ("unavailable", m.clone(), vec![m.clone()]),
        };
        let body = ErrorBody {
            status,
            message: &message,
            errors,
        };
        let mut response = (code, axum::Json(body)).into_response();
        let retry = match &self {
            ApiError::RateLimited { retry_after } => Some((*retry_after).max(1)),
            ApiError::Unavailable(_) => Some(1),
            _ => None,
        };
        if let Some(secs) = retry {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// The longest refusal text [`json_refusals`] carries over into the JSON
/// body (axum's rejections are one line).
const MAX_REFUSAL_TEXT: usize = 4096;

/// Gives every refusal the JSON shape of [`ApiError`]: a 4xx or 5xx that
/// is not JSON already — an extractor's rejection (a path parameter that
/// is not UTF-8, a query that does not parse, a missing content type),
/// anything axum or tower answer on their own — keeps its status and
/// headers, and its text becomes the `message` and sole entry of
/// `errors`. Answers that are not refusals pass through untouched (the
/// event stream included), so the cost on the way out is one comparison.
pub async fn json_refusals(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REFUSAL_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        text
    };
    let word = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "invalid request",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "invalid request",
        StatusCode::PAYLOAD_TOO_LARGE => "invalid event",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not found",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::REQUEST_TIMEOUT => "request timeout",
        StatusCode::TOO_MANY_REQUESTS => "throttle event",
        s if s.is_server_error() => "unavailable",
        _ => "invalid request",
    };
    let body = ErrorBody {
        status: word,
        message: &message,
        errors: vec![message.clone()],
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(json))
}

/// Why the store failed. Only ever a server-side problem.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored JSON column did not decode.
    #[error("stored json: {0}")]
    Json(#[from] serde_json::Error),
    /// The database is newer than this build.
    #[error("the database has schema version {found}, newer than this build knows ({known})")]
    SchemaTooNew {
        /// `user_version` in the file.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// The batch this write was part of failed to commit; nothing of it is stored.
    #[error("commit failed: {0}")]
    Commit(String),
    /// The writer task is gone (the relay is shutting down).
    #[error("the store is shut down")]
    Closed,
    /// A stored value does not parse.
    #[error("stored {0} is not valid")]
    Corrupt(&'static str),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "store failure");
        ApiError::Unavailable(format!("the relay could not store this: {e}"))
    }
}
