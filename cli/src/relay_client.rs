//! What `send`, `invite` and `alerts` share: an HTTP client for the relay
//! (rustls with ring, like core's sync client), the admin token from the
//! environment, and turning a relay's error answer into one clear line.

use crate::outcome::BadInput;
use std::sync::Once;
use std::time::Duration;

/// The environment variable holding the admin bearer token.
pub const ADMIN_TOKEN_ENV: &str = "KLAXON_ADMIN_TOKEN";

/// A client with sane timeouts; a relay that does not answer in 30 s is down.
pub fn client() -> Result<reqwest::Client, BadInput> {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // One process-wide rustls provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| BadInput::new(format!("cannot build an HTTP client: {e}")))
}

/// `base` + `path`, without a doubled slash.
pub fn url(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// The admin token, or the line saying how to set it.
pub fn admin_token() -> Result<String, BadInput> {
    std::env::var(ADMIN_TOKEN_ENV)
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            BadInput::new(format!(
                "{ADMIN_TOKEN_ENV} is not set; export the relay's admin token"
            ))
        })
}

/// A single-threaded runtime for one command's requests.
pub fn runtime() -> Result<tokio::runtime::Runtime, BadInput> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BadInput::new(format!("cannot start the async runtime: {e}")))
}

/// An error line from a relay answer: its status and its JSON `errors`.
pub async fn refusal(relay: &str, response: reqwest::Response) -> BadInput {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("errors").and_then(|e| e.as_array()).map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        })
        .filter(|s| !s.is_empty())
        .unwrap_or(text);
    BadInput::new(format!("{relay} answered HTTP {status}: {detail}"))
}

/// A line for a request that got no answer.
pub fn unreachable(relay: &str, e: reqwest::Error) -> BadInput {
    BadInput::new(format!("cannot reach the relay at {relay}: {e}"))
}
