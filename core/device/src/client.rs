//! The device's client for the relay's device API (docs/relay-api.md):
//! enrollment with a one-time code, signed requests, push-token
//! registration, delta sync with a cursor and batch delivery of the outbox.
//! reqwest + tokio; the JSON bodies are the `wire` types.

use crate::error::{Error, Result};
use crate::keys;
use crate::outbox::{parse_retry_after, Answer, QueuedAction, TransportError};
use crate::store::{Durability, Store};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use eventsource_stream::{Event, EventStreamError, Eventsource as _};
use futures_util::{Stream, StreamExt as _};
use klaxon_crypto::{self as crypto, DeviceIdentity};
use klaxon_domain::wire::{
    ActionRequest, ActionsRequest, ActionsResponse, EnrollRequest, EnrollResponse,
    PushTokenRequest, RosterView, StreamEvent, SyncResponse,
};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::pin::Pin;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

/// How long one request may take, connection included. A page is urgent,
/// but a phone on a bad network must not hang a sync forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most sync rounds in one pull (`more: true` asks for another). A relay
/// that keeps saying "more" cannot keep the device busy forever.
const MAX_SYNC_ROUNDS: usize = 50;

/// What enrollment leaves on the device: who it is to the relay, and its keys.
#[derive(Clone, Serialize, Deserialize)]
pub struct Enrollment {
    /// The relay's base URL this device enrolled with.
    pub relay_url: String,
    /// The device id the relay assigned.
    pub device_id: String,
    /// The person the device belongs to.
    pub person: String,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// [`DeviceIdentity::to_bytes`], base64url. Secret.
    pub(crate) identity: String,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("relay_url", &self.relay_url)
            .field("device_id", &self.device_id)
            .field("person", &self.person)
            .finish_non_exhaustive()
    }
}

impl Enrollment {
    /// The device's keys.
    pub fn identity(&self) -> Result<DeviceIdentity> {
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.identity)
            .map_err(|_| Error::Corrupt {
                what: "device.enrollment.identity",
                value: "(not base64url)".into(),
            })?;
        Ok(DeviceIdentity::from_bytes(&bytes)?)
    }

    /// Loads the enrollment from the store, if the device has enrolled.
    pub fn load(store: &Store) -> Result<Option<Enrollment>> {
        store.setting(keys::ENROLLMENT)
    }
}

/// A signed-in device: its enrollment with the identity already parsed.
pub struct Credentials {
    /// The stored enrollment.
    pub enrollment: Enrollment,
    /// The parsed keys.
    pub identity: DeviceIdentity,
}

impl Credentials {
    /// Parses the identity of an enrollment.
    pub fn new(enrollment: Enrollment) -> Result<Credentials> {
        let identity = enrollment.identity()?;
        Ok(Credentials {
            enrollment,
            identity,
        })
    }
}

/// An HTTP exchange's outcome before interpretation.
struct Reply {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// The HTTP client for one relay. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct RelayClient {
    base: Url,
    http: reqwest::Client,
}

impl RelayClient {
    /// A client for the relay at `relay_url` (`http://127.0.0.1:8080`,
    /// `https://relay.example.com/klaxon`).
    pub fn new(relay_url: &str) -> Result<RelayClient> {
        static PROVIDER: Once = Once::new();
        // rustls needs one process-wide crypto provider; ring is already
        // the crate's crypto. Installing fails only if one is installed.
        PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut base = Url::parse(relay_url.trim())
            .map_err(|e| Error::Invalid(format!("relay URL {relay_url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Invalid(format!(
                "relay URL {relay_url:?} must start with http:// or https://"
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("klaxon-device/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(RelayClient { base, http })
    }

    /// The relay's base URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    fn url(&self, path_and_query: &str) -> Result<Url> {
        self.base
            .join(path_and_query.trim_start_matches('/'))
            .map_err(|e| Error::Invalid(format!("bad relay path {path_and_query:?}: {e}")))
    }

    /// Sends one request, signed when `creds` is given (every request
    /// after enrollment), and reads the whole answer.
    async fn send(
        &self,
        creds: Option<&Credentials>,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Reply> {
        let url = self.url(path_and_query)?;
        let body = body.unwrap_or_default();
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if !body.is_empty() {
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json");
        }
        if let Some(creds) = creds {
            let signed_path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            let timestamp = Utc::now().timestamp();
            let nonce = crypto::new_nonce();
            let signature = creds.identity.sign_request(
                &creds.enrollment.device_id,
                method.as_str(),
                &signed_path,
                timestamp,
                &nonce,
                &body,
            );
            request = request
                .header(crypto::HEADER_DEVICE, &creds.enrollment.device_id)
                .header(crypto::HEADER_TIMESTAMP, timestamp.to_string())
                .header(crypto::HEADER_NONCE, nonce)
                .header(crypto::HEADER_SIGNATURE, signature);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| Error::Network(describe_reqwest(&e)))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::Network(describe_reqwest(&e)))?
            .to_vec();
        Ok(Reply {
            status,
            retry_after,
            body,
        })
    }

    /// Sends a request whose success answer is JSON `T`; any other answer
    /// becomes [`Error::Relay`] with the relay's message.
    async fn call<T: DeserializeOwned>(
        &self,
        creds: Option<&Credentials>,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T> {
        let reply = self.send(creds, method, path_and_query, body).await?;
        if !reply.status.is_success() {
            return Err(relay_error(&reply));
        }
        Ok(serde_json::from_slice(&reply.body)?)
    }

    /// `POST /v1/devices/enroll`: trades a one-time code and the device's
    /// public keys for a device id.
    pub async fn enroll(
        &self,
        code: &str,
        device_name: &str,
        identity: &DeviceIdentity,
    ) -> Result<EnrollResponse> {
        let request = EnrollRequest {
            code: code.trim().to_string(),
            name: device_name.to_string(),
            signing_key: URL_SAFE_NO_PAD.encode(identity.signing_public_key()),
            sealing_key: URL_SAFE_NO_PAD.encode(identity.sealing_public_key()),
        };
        self.call(
            None,
            Method::POST,
            "/v1/devices/enroll",
            Some(serde_json::to_vec(&request)?),
        )
        .await
    }

    /// `PUT /v1/devices/push-token`: where the relay pushes this device's pages.
    pub async fn register_push_token(
        &self,
        creds: &Credentials,
        request: &PushTokenRequest,
    ) -> Result<()> {
        let reply = self
            .send(
                Some(creds),
                Method::PUT,
                "/v1/devices/push-token",
                Some(serde_json::to_vec(request)?),
            )
            .await?;
        if reply.status.is_success() {
            Ok(())
        } else {
            Err(relay_error(&reply))
        }
    }

    /// `GET /v1/sync?cursor=C[&roster=1]`: one round of changes since
    /// `cursor`; with `roster`, the roster view too (the relay sends it
    /// unasked only to a device without a cursor).
    pub async fn sync_once(
        &self,
        creds: &Credentials,
        cursor: Option<u64>,
        roster: bool,
    ) -> Result<SyncResponse> {
        let path = match (cursor, roster) {
            (Some(c), true) => format!("/v1/sync?cursor={c}&roster=1"),
            (Some(c), false) => format!("/v1/sync?cursor={c}"),
            (None, _) => "/v1/sync".to_string(),
        };
        self.call(Some(creds), Method::GET, &path, None).await
    }

    /// `POST /v1/overrides`: the device's person takes a shift ("I'll
    /// cover") in a schedule of their teams; the relay checks and stores it
    /// as a live override and pages them from now on.
    pub async fn take_shift(
        &self,
        creds: &Credentials,
        request: &klaxon_domain::wire::TakeShiftRequest,
    ) -> Result<klaxon_domain::wire::TakenShift> {
        let body = serde_json::to_vec(request)?;
        let reply = self
            .send(Some(creds), Method::POST, "/v1/overrides", Some(body))
            .await?;
        if reply.status.is_success() {
            return Ok(serde_json::from_slice(&reply.body)?);
        }
        // A refusal's reasons (`from: is in the past`) are in `errors`.
        let reasons = serde_json::from_slice::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v.get("errors").cloned())
            .and_then(|e| serde_json::from_value::<Vec<String>>(e).ok())
            .unwrap_or_default();
        match relay_error(&reply) {
            Error::Relay { status, message } if !reasons.is_empty() => {
                let extra: Vec<String> = reasons.into_iter().filter(|r| *r != message).collect();
                let message = if extra.is_empty() {
                    message
                } else {
                    format!("{message}: {}", extra.join("; "))
                };
                Err(Error::Relay { status, message })
            }
            other => Err(other),
        }
    }

    /// `GET /v1/stream`: opens the device's event stream (server-sent
    /// events); read it with [`EventStream::next`].
    pub async fn stream(&self, creds: &Credentials) -> Result<EventStream> {
        let url = self.url("/v1/stream")?;
        let timestamp = Utc::now().timestamp();
        let nonce = crypto::new_nonce();
        let signature = creds.identity.sign_request(
            &creds.enrollment.device_id,
            "GET",
            url.path(),
            timestamp,
            &nonce,
            b"",
        );
        // No overall timeout: the stream stays open; keep-alives arrive
        // every 15 s and the caller bounds how long it listens.
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| Error::Network(format!("cannot set up HTTP: {e}")))?;
        let response = http
            .get(url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .header(crypto::HEADER_DEVICE, &creds.enrollment.device_id)
            .header(crypto::HEADER_TIMESTAMP, timestamp.to_string())
            .header(crypto::HEADER_NONCE, nonce)
            .header(crypto::HEADER_SIGNATURE, signature)
            .send()
            .await
            .map_err(|e| Error::Network(describe_reqwest(&e)))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            return Err(relay_error(&Reply {
                status,
                retry_after: None,
                body,
            }));
        }
        Ok(EventStream::from_chunks(
            response
                .bytes_stream()
                .map(|chunk| chunk.map_err(|e| describe_reqwest(&e))),
        ))
    }

    /// `POST /v1/actions` with one action, turned into the outbox's
    /// [`Answer`]: the batch's own HTTP status when the batch failed as a
    /// whole, otherwise the action's result status and outcome.
    pub async fn deliver(
        &self,
        creds: &Credentials,
        action: &QueuedAction,
    ) -> std::result::Result<Answer, TransportError> {
        let request = ActionsRequest {
            actions: vec![ActionRequest {
                key: action.key.clone(),
                alert: action.alert.clone(),
                action: action.action.clone(),
                seen: action.seen,
            }],
        };
        let body =
            serde_json::to_vec(&request).map_err(|e| TransportError::Network(e.to_string()))?;
        let reply = match self
            .send(Some(creds), Method::POST, "/v1/actions", Some(body))
            .await
        {
            Ok(reply) => reply,
            Err(e) => return Err(TransportError::Network(e.to_string())),
        };
        let status = reply.status.as_u16();
        if !reply.status.is_success() {
            return Ok(Answer {
                status,
                retry_after: reply.retry_after,
                body: None,
            });
        }
        let parsed: Option<ActionsResponse> = serde_json::from_slice(&reply.body).ok();
        let result = parsed.and_then(|r| r.results.into_iter().find(|r| r.key == action.key));
        Ok(match result {
            Some(result) => Answer {
                status: result.status,
                retry_after: reply.retry_after,
                body: result.outcome,
            },
            // A 2xx that does not mention the action answers nothing about
            // it: try again (the key makes that harmless).
            None => Answer {
                status: 502,
                retry_after: reply.retry_after,
                body: None,
            },
        })
    }
}

/// The raw server-sent events of a stream, transport errors described.
type SseEvents =
    Pin<Box<dyn Stream<Item = std::result::Result<Event, EventStreamError<String>>> + Send>>;

/// An open `/v1/stream`: server-sent events (framed by the
/// `eventsource-stream` crate), parsed into [`StreamEvent`]s.
pub struct EventStream {
    events: SseEvents,
    /// When the last bytes arrived — an event, a comment, the relay's
    /// keep-alive (`: keep-alive`), anything. The SSE framing drops
    /// comments, so liveness is taken from the chunks beneath it: an idle
    /// stream whose keep-alives arrive is alive, however long no page comes.
    heard_at: Arc<Mutex<tokio::time::Instant>>,
}

/// Why [`EventStream::next_or_silent`] gave up on a stream.
pub const SILENT: &str = "the stream went silent";

impl EventStream {
    /// Events from a stream of body chunks, however the chunks split them.
    fn from_chunks<S, B>(chunks: S) -> EventStream
    where
        S: Stream<Item = std::result::Result<B, String>> + Send + 'static,
        B: AsRef<[u8]>,
    {
        let heard_at = Arc::new(Mutex::new(tokio::time::Instant::now()));
        let heard = heard_at.clone();
        let chunks = chunks.inspect(move |_| {
            *heard.lock().unwrap_or_else(|p| p.into_inner()) = tokio::time::Instant::now();
        });
        EventStream {
            events: Box::pin(chunks.eventsource()),
            heard_at,
        }
    }

    /// When the relay last sent anything on this stream (keep-alives included).
    pub fn heard_at(&self) -> tokio::time::Instant {
        *self.heard_at.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Like [`EventStream::next`], but a stream from which nothing at all —
    /// not even a keep-alive — arrived for `silence` counts as dead (a
    /// laptop that slept, a NAT that forgot the connection, a relay that
    /// hangs): [`Error::Network`] with [`SILENT`]. Keep-alives reset the
    /// clock, so an idle but healthy stream stays open indefinitely. The
    /// relay sends one every 15 s; pick `silence` well above that.
    pub async fn next_or_silent(&mut self, silence: Duration) -> Result<Option<StreamEvent>> {
        loop {
            let deadline = self.heard_at() + silence;
            // `next` is cancel-safe: an event is returned as soon as it is
            // framed, so a timeout never loses one.
            match tokio::time::timeout_at(deadline, self.next()).await {
                Ok(result) => return result,
                Err(_) if self.heard_at() + silence > tokio::time::Instant::now() => {
                    // A keep-alive (or part of an event) arrived meanwhile.
                }
                Err(_) => {
                    return Err(Error::Network(format!(
                        "{SILENT} (nothing for {} s, not even a keep-alive)",
                        silence.as_secs()
                    )))
                }
            }
        }
    }

    /// The next event; `None` when the relay closed the stream. Comments,
    /// keep-alives, undecodable events and events this build does not know
    /// are skipped.
    pub async fn next(&mut self) -> Result<Option<StreamEvent>> {
        while let Some(event) = self.events.next().await {
            match event {
                Ok(event) => {
                    if let Ok(parsed) = serde_json::from_str(&event.data) {
                        return Ok(Some(parsed));
                    }
                }
                Err(EventStreamError::Transport(e)) => return Err(Error::Network(e)),
                // Not UTF-8, or not SSE: skip it, as an unknown event is.
                Err(EventStreamError::Utf8(_) | EventStreamError::Parser(_)) => {}
            }
        }
        Ok(None)
    }
}

/// What one pull brought.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pulled {
    /// Alerts whose view changed, as stored.
    pub alerts: Vec<klaxon_domain::wire::AlertView>,
    /// The new roster view, when the relay sent one.
    pub roster: Option<RosterView>,
    /// The person the relay says this device belongs to.
    pub person: Option<String>,
    /// The cursor after the pull.
    pub cursor: Option<u64>,
}

/// Pulls every change since the stored cursor (several rounds while the
/// relay says `more`), storing alerts, roster and cursor after each round,
/// so an interrupted pull resumes where it stopped. The roster view (the
/// person's teams' next 30 days of shifts) is asked for (`roster=1`) only
/// when it may have changed: the relay sends its `roster_version` with
/// every sync, and a version other than the stored roster's — or
/// `announced`, the version the stream's `hello` carried — fetches it, in
/// this round or one more. Without a stored roster, or from a relay that
/// sends no version, every pull asks for it (the roster changes without any
/// alert changing: a new rotation, an override, an edited roster).
pub async fn pull(
    client: &RelayClient,
    creds: &Credentials,
    store: &Mutex<Store>,
    announced: Option<&str>,
) -> Result<Pulled> {
    let (mut cursor, mut held) = {
        let store = lock(store);
        let cursor: Option<u64> = store.setting::<Option<u64>>(keys::CURSOR)?.flatten();
        let has_roster = store.setting::<RosterView>(keys::ROSTER)?.is_some();
        let version: Option<String> = store
            .setting::<Option<String>>(keys::ROSTER_VERSION)?
            .flatten();
        (cursor, version.filter(|_| has_roster))
    };
    let mut want_roster = held.is_none() || announced.is_some_and(|v| Some(v) != held.as_deref());
    let mut pulled = Pulled::default();
    for _ in 0..MAX_SYNC_ROUNDS {
        let asked = want_roster;
        let round = client.sync_once(creds, cursor, asked).await?;
        {
            let mut store = lock(store);
            store.save_synced_alerts(&round.alerts)?;
            if let Some(roster) = &round.roster {
                store.set_setting(keys::ROSTER, roster, Durability::Normal)?;
                store.set_setting(
                    keys::ROSTER_VERSION,
                    &round.roster_version,
                    Durability::Normal,
                )?;
            }
            store.set_setting(keys::CURSOR, &round.cursor, Durability::Normal)?;
        }
        cursor = Some(round.cursor);
        pulled.alerts.extend(round.alerts);
        if round.roster.is_some() {
            held.clone_from(&round.roster_version);
            pulled.roster = round.roster;
            want_roster = false;
        } else {
            // The roster changed at the relay: fetch it (one more round if
            // this was the last; a relay that was asked and sent none is
            // asked again by the next pull, not in a loop).
            want_roster = !asked && round.roster_version.is_some() && round.roster_version != held;
        }
        pulled.person = Some(round.person);
        if !round.more && !want_roster {
            break;
        }
    }
    pulled.cursor = cursor;
    Ok(pulled)
}

/// Locks the store. A poisoned lock means a panic elsewhere mid-call; the
/// connection itself is still consistent (SQLite rolled back any open
/// transaction), so keep using it rather than failing every later call.
pub(crate) fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Creates an identity, enrolls it with the relay and stores the result.
pub async fn enroll(
    client: &RelayClient,
    store: &Mutex<Store>,
    code: &str,
    device_name: &str,
    now: DateTime<Utc>,
) -> Result<Enrollment> {
    let identity = DeviceIdentity::generate()?;
    let answer = client.enroll(code, device_name, &identity).await?;
    let enrollment = Enrollment {
        relay_url: client.base_url().to_string(),
        device_id: answer.device_id,
        person: answer.person,
        enrolled_at: now,
        identity: URL_SAFE_NO_PAD.encode(identity.to_bytes()),
    };
    let mut store = lock(store);
    store.set_setting(keys::ENROLLMENT, &enrollment, Durability::Full)?;
    // A new identity starts its sync history afresh.
    store.set_setting(keys::CURSOR, &Option::<u64>::None, Durability::Normal)?;
    Ok(enrollment)
}

/// The relay's JSON error body (`{"error": ..., "message": ...}`), loosely.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

fn relay_error(reply: &Reply) -> Error {
    let message = serde_json::from_slice::<ErrorBody>(&reply.body)
        .ok()
        .and_then(|b| b.message.or(b.error))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&reply.body)
                .chars()
                .take(200)
                .collect()
        });
    Error::Relay {
        status: reply.status.as_u16(),
        message,
    }
}

/// reqwest's error with its causes ("error sending request: connection refused").
fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_blocks_parse_into_events_and_skip_comments() {
        // A comment, an unknown event, then a known one split across chunks.
        let chunks = [
            ": connected\n\nevent: other\ndata: {\"type\":\"new\"}\n\nevent: chan",
            "ged\ndata: {\"type\":\"changed\",\"cursor\":7}\r\n\r\n",
        ];
        let body = futures_util::stream::iter(chunks.map(|c| Ok::<_, String>(c.as_bytes())));
        let mut stream = EventStream::from_chunks(body);
        let mut next = || futures_util::FutureExt::now_or_never(stream.next());
        assert_eq!(
            next().unwrap().unwrap(),
            Some(StreamEvent::Changed { cursor: 7 })
        );
        assert_eq!(next().unwrap().unwrap(), None);
    }

    #[test]
    fn keep_alives_keep_an_idle_stream_alive_and_silence_ends_it() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
            let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|c| (Ok::<_, String>(c.as_bytes()), rx))
            });
            let mut stream = EventStream::from_chunks(chunks);
            // Keep-alives only, every 50 ms for 0.6 s, with a 200 ms limit:
            // three limits' worth of no events, and the stream stays open.
            let feeder = tokio::spawn(async move {
                for _ in 0..12 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = tx.send(": keep-alive\n\n");
                }
                let _ = tx.send("event: changed\ndata: {\"type\":\"changed\",\"cursor\":3}\n\n");
                // Then nothing (the sender stays alive: no end of stream).
                tokio::time::sleep(Duration::from_secs(5)).await;
                drop(tx);
            });
            let limit = Duration::from_millis(200);
            let started = tokio::time::Instant::now();
            let event = stream.next_or_silent(limit).await.unwrap();
            assert_eq!(event, Some(StreamEvent::Changed { cursor: 3 }));
            assert!(started.elapsed() >= Duration::from_millis(550));
            let silent = stream.next_or_silent(limit).await.unwrap_err();
            assert!(silent.to_string().contains(SILENT), "{silent}");
            feeder.abort();
        });
    }

    #[test]
    fn relay_urls_must_be_http() {
        assert!(RelayClient::new("ftp://x").is_err());
        assert!(RelayClient::new("not a url").is_err());
        let c = RelayClient::new("http://127.0.0.1:9/base").unwrap();
        assert_eq!(
            c.url("/v1/sync?cursor=3").unwrap().as_str(),
            "http://127.0.0.1:9/base/v1/sync?cursor=3"
        );
    }
}
