//! What the commands that talk to a relay share: the `--relay` URL, checked
//! in one place ([`RelayUrl`]); for `send`, `invite` and `alerts` an HTTP
//! client (rustls with ring, like core's sync client), the admin token from
//! the environment, and turning a relay's error answer into one clear line.

use crate::outcome::BadInput;
use std::fmt;
use std::sync::Once;
use std::time::Duration;

/// A relay's base URL as given with `--relay`, checked before anything else
/// runs: an `http` or `https` URL with a host and no query or fragment
/// (request paths are appended to it; a path prefix such as
/// `https://example.com/klaxon` is fine). Every command taking `--relay`
/// goes through [`RelayUrl::parse`], so a mistyped URL is one clear line
/// (exit 2) instead of an HTTP library's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayUrl(String);

impl RelayUrl {
    /// Checks the value of `--relay`.
    pub fn parse(value: &str) -> Result<RelayUrl, BadInput> {
        let trimmed = value.trim();
        let bad = |what: &str| BadInput::new(format!("--relay {value:?}: {what}"));
        let url = reqwest::Url::parse(trimmed).map_err(|_| {
            bad("not an http(s) URL; expected e.g. http://127.0.0.1:8080 or https://relay.example.com")
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(bad(
                "not an http(s) URL; expected e.g. http://127.0.0.1:8080 or https://relay.example.com",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad(
                "a relay URL has no query or fragment (request paths are appended to it)",
            ));
        }
        Ok(RelayUrl(trimmed.to_string()))
    }

    /// The URL as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` (an enrolled device's relay URL) names the same
    /// relay: compared as URLs, so a trailing slash, letter case of the
    /// host or an explicit default port make no difference.
    pub fn same_as(&self, other: &str) -> bool {
        let normal = |text: &str| {
            reqwest::Url::parse(text.trim()).ok().map(|mut url| {
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                url.to_string()
            })
        };
        match (normal(&self.0), normal(other)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// The relay's URL for `path`, without a doubled slash.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0.trim_end_matches('/'), path)
    }
}

impl fmt::Display for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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
pub async fn refusal(relay: &RelayUrl, response: reqwest::Response) -> BadInput {
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

/// Sends an admin request (`KLAXON_ADMIN_TOKEN`) with an optional JSON
/// body and reads the JSON answer; a refusal or no answer is bad input
/// naming the relay.
pub fn admin_json<T: serde::de::DeserializeOwned>(
    relay: &RelayUrl,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, BadInput> {
    let token = admin_token()?;
    let client = client()?;
    runtime()?.block_on(async {
        let mut request = client.request(method, relay.join(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| unreachable(relay, e))?;
        if !response.status().is_success() {
            return Err(refusal(relay, response).await);
        }
        response
            .json()
            .await
            .map_err(|e| BadInput::new(format!("the relay's answer is not what {path} gives: {e}")))
    })
}

/// A line for a request that got no answer.
pub fn unreachable(relay: &RelayUrl, e: reqwest::Error) -> BadInput {
    BadInput::new(format!("cannot reach the relay at {relay}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_relay_however_it_is_spelled() {
        let relay = RelayUrl::parse("http://127.0.0.1:8080").unwrap();
        assert!(relay.same_as("http://127.0.0.1:8080/"));
        assert!(!relay.same_as("http://127.0.0.1:8081/"));
        let relay = RelayUrl::parse("https://Relay.example.com:443/klaxon").unwrap();
        assert!(relay.same_as("https://relay.example.com/klaxon/"));
        assert!(!relay.same_as("https://relay.example.com/"));
    }

    #[test]
    fn relay_urls_are_http_or_https_with_a_host() {
        for good in [
            "http://127.0.0.1:8080",
            "https://relay.example.com/",
            "https://relay.example.com/klaxon",
            " http://localhost:9 ",
        ] {
            let relay = RelayUrl::parse(good).unwrap();
            assert_eq!(relay.as_str(), good.trim());
        }
        let relay = RelayUrl::parse("https://relay.example.com/klaxon/").unwrap();
        assert_eq!(
            relay.join("/v2/enqueue"),
            "https://relay.example.com/klaxon/v2/enqueue"
        );
        for bad in [
            "not-a-url",
            "",
            "localhost:8080",
            "ftp://relay.example.com",
            "file:///tmp/relay",
            "http://",
            "https://relay.example.com/?x=1",
            "https://relay.example.com/#top",
        ] {
            let err = RelayUrl::parse(bad).unwrap_err();
            assert_eq!(err.lines.len(), 1, "{bad:?}");
            assert!(
                err.lines[0].starts_with(&format!("error: --relay {bad:?}: ")),
                "{bad:?}: {}",
                err.lines[0]
            );
        }
        assert!(RelayUrl::parse("not-a-url").unwrap_err().lines[0].contains("not an http(s) URL"));
    }
}
