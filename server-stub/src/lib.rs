//! klaxon-relay: the relay between monitoring and phones. It takes alerts
//! in (PagerDuty Events v2, Alertmanager webhooks), commits them to its
//! store before answering, routes each to whoever is on call through core's
//! engine, escalates on persisted deadlines, and delivers pages to enrolled
//! devices (stream and push). [`Relay`] builds and runs one; docs/relay.md
//! explains operating it.

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod admin;
pub mod body;
pub mod delivery;
pub mod devices;
pub mod errors;
pub mod escalator;
pub mod health;
pub mod heartbeats;
pub mod hub;
pub mod ical_links;
pub mod ingest;
pub mod maintenance;
pub mod metrics;
pub mod overrides;
pub mod push;
pub mod rota;
pub mod routing;
pub mod serve;
pub mod store;
pub mod tls;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use delivery::Pusher;
use devices::NonceCache;
use hub::Hub;
use ingest::{RateLimit, RateLimiter};
use klaxon_domain::{Clock, Roster, SystemClock};
use metrics::Metrics;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{RelayStore, SqliteStore};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// Everything a handler needs, shared.
pub struct AppState {
    /// The running roster (reloaded on SIGHUP) with the live overrides,
    /// and the teams worked out from it: take [`AppState::roster`] or
    /// [`AppState::live`] once per request.
    pub rota: rota::RosterHolder,
    /// Where everything is stored.
    pub store: Arc<dyn RelayStore>,
    /// "Now", injectable for tests.
    pub clock: Arc<dyn Clock>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Connected device streams.
    pub hub: Hub,
    /// Wakes the escalator when a deadline may have moved earlier.
    pub escalator: Notify,
    /// When the escalator plans to wake next (Unix ms, or
    /// [`escalator::WORKING`] while it works); writes with an earlier
    /// deadline wake it.
    pub escalator_wake_ms: std::sync::atomic::AtomicI64,
    /// `KLAXON_ADMIN_TOKEN`; `None` turns the admin API off.
    pub admin_token: Option<String>,
    /// Per-routing-key rate limit.
    pub limiter: RateLimiter,
    /// Nonces seen within the signature window.
    pub nonces: NonceCache,
    /// Push delivery, when configured.
    pub pusher: Option<Arc<dyn Pusher>>,
    /// Wakes the push worker when a write queued pushes.
    pub push_wake: Notify,
    /// How long a client has to send a request body ([`body::REQUEST_TIMEOUT`]).
    pub request_timeout: Duration,
    /// The free space `/healthz` requires of the database's filesystem.
    pub disk: health::DiskCheck,
}

impl AppState {
    /// The effective roster now (file + live overrides).
    pub fn roster(&self) -> Arc<Roster> {
        self.rota.roster()
    }

    /// The effective roster now with its teams, one consistent snapshot.
    pub fn live(&self) -> Arc<rota::Live> {
        self.rota.live()
    }
}

/// Why the relay could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The store could not be opened.
    #[error("{0}")]
    Store(#[from] errors::StoreError),
    /// The listener failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// Builds a relay: roster, database file, and options.
pub struct Relay {
    roster: Roster,
    config: Option<PathBuf>,
    db: PathBuf,
    clock: Arc<dyn Clock>,
    admin_token: Option<String>,
    rate_limit: RateLimit,
    pusher: Option<Arc<dyn Pusher>>,
    request_timeout: Duration,
    shutdown_grace: Duration,
    tls: Option<Arc<tls::Certificates>>,
    body_budget: usize,
    per_peer: usize,
    min_free_disk: u64,
}

impl Relay {
    /// A relay for `roster`, storing in the SQLite file `db`.
    pub fn new(roster: Roster, db: impl Into<PathBuf>) -> Relay {
        Relay {
            roster,
            config: None,
            db: db.into(),
            clock: Arc::new(SystemClock),
            admin_token: None,
            rate_limit: RateLimit::default(),
            pusher: None,
            request_timeout: body::REQUEST_TIMEOUT,
            shutdown_grace: serve::SHUTDOWN_GRACE,
            tls: None,
            body_budget: serve::BODY_BUDGET,
            per_peer: serve::CONNECTIONS_PER_PEER,
            min_free_disk: health::MIN_FREE_DISK,
        }
    }

    /// The file the roster came from: [`RunningRelay::reload_roster`]
    /// (SIGHUP in `klaxon serve`) reads it again.
    pub fn config_path(mut self, path: impl Into<PathBuf>) -> Relay {
        self.config = Some(path.into());
        self
    }

    /// Uses this clock instead of the system's (tests drive a `ManualClock`
    /// and call [`RunningRelay::wake_escalator`] after moving it).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Relay {
        self.clock = clock;
        self
    }

    /// Turns on the admin API with this bearer token.
    pub fn admin_token(mut self, token: Option<String>) -> Relay {
        self.admin_token = token.filter(|t| !t.is_empty());
        self
    }

    /// Sets the per-routing-key rate limit.
    pub fn rate_limit(mut self, limit: RateLimit) -> Relay {
        self.rate_limit = limit;
        self
    }

    /// Delivers pages through this pusher too (APNs/FCM).
    pub fn pusher(mut self, pusher: Arc<dyn Pusher>) -> Relay {
        self.pusher = Some(pusher);
        self
    }

    /// Gives clients this long to send a request's headers, and as long
    /// again for its body; a body late past it is answered 408 (default
    /// [`body::REQUEST_TIMEOUT`]). Only receiving a request is bounded: the
    /// event stream, an answer that lasts, is not.
    pub fn request_timeout(mut self, timeout: Duration) -> Relay {
        self.request_timeout = timeout;
        self
    }

    /// How long a shutdown waits for open connections before dropping those
    /// not answering a received request (default [`serve::SHUTDOWN_GRACE`]).
    pub fn shutdown_grace(mut self, grace: Duration) -> Relay {
        self.shutdown_grace = grace;
        self
    }

    /// Bytes of request bodies that may be in flight at once (default
    /// [`serve::BODY_BUDGET`]); a request whose body does not fit is
    /// answered 503 before it is read.
    pub fn body_budget(mut self, bytes: usize) -> Relay {
        self.body_budget = bytes;
        self
    }

    /// Connections one peer address may hold open at once (default
    /// [`serve::CONNECTIONS_PER_PEER`]); raise it behind a proxy.
    pub fn connections_per_peer(mut self, connections: usize) -> Relay {
        self.per_peer = connections.max(1);
        self
    }

    /// Free space the database's filesystem needs for `/healthz` to say
    /// 200 (default [`health::MIN_FREE_DISK`]).
    pub fn min_free_disk(mut self, bytes: u64) -> Relay {
        self.min_free_disk = bytes;
        self
    }

    /// Serves HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with these certificates
    /// instead of plain HTTP; [`tls::Certificates::reload`] swaps them
    /// while it runs.
    pub fn tls(mut self, certificates: Arc<tls::Certificates>) -> Relay {
        self.tls = Some(certificates);
        self
    }

    /// Opens the store and serves on `listener` until [`RunningRelay::shutdown`].
    pub async fn start(self, listener: TcpListener) -> Result<RunningRelay, RelayError> {
        let store = SqliteStore::open(&self.db)?;
        store.enable_push(self.pusher.is_some());
        let state = Arc::new(AppState {
            rota: rota::RosterHolder::new(self.roster, self.config),
            store: Arc::new(store),
            clock: self.clock,
            metrics: Arc::new(Metrics::default()),
            hub: Hub::default(),
            escalator: Notify::new(),
            escalator_wake_ms: std::sync::atomic::AtomicI64::new(escalator::WORKING),
            admin_token: self.admin_token,
            limiter: RateLimiter::new(self.rate_limit),
            nonces: NonceCache::default(),
            pusher: self.pusher,
            push_wake: Notify::new(),
            request_timeout: self.request_timeout,
            disk: health::DiskCheck {
                path: self.db.clone(),
                min_free: self.min_free_disk,
            },
        });
        // The live overrides survive restarts: run them before serving.
        rota::refresh_overrides(&state).await?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let escalator = tokio::spawn(escalator::run(state.clone(), stop_rx.clone()));
        let heartbeats = tokio::spawn(heartbeats::run(state.clone(), stop_rx.clone()));
        let pushes = state
            .pusher
            .clone()
            .map(|pusher| tokio::spawn(push::worker::run(state.clone(), pusher, stop_rx.clone())));
        let app = router(state.clone());
        let limits = serve::Limits {
            // A request timeout set longer than the idle limit (a test of
            // shutdown) bounds the headers too.
            idle: serve::KEEP_ALIVE_IDLE.max(self.request_timeout),
            request_timeout: self.request_timeout,
            grace: self.shutdown_grace,
            body_budget: self.body_budget,
            per_peer: self.per_peer,
        };
        let tls = self.tls.map(tls::acceptor);
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = tokio::spawn(serve::serve(listener, app, limits, tls, stop_rx));
        tracing::info!(%addr, scheme, "relay listening");
        Ok(RunningRelay {
            addr,
            state,
            stop: stop_tx,
            server,
            escalator,
            heartbeats,
            pushes,
        })
    }
}

/// The HTTP routes.
pub fn router(state: Arc<AppState>) -> Router {
    let signed = Router::new()
        .route("/v1/devices/push-token", put(devices::enroll::push_token))
        .route("/v1/sync", get(devices::sync::sync))
        .route("/v1/stream", get(devices::stream::stream))
        .route("/v1/actions", post(devices::actions::batch))
        .route("/v1/alerts/{id}/actions", post(devices::actions::single))
        .route(
            "/v1/overrides",
            get(overrides::device_list).post(overrides::device_add),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            devices::auth::verify,
        ));
    let routes = Router::new()
        .route("/v2/enqueue", post(ingest::events_v2::enqueue))
        .route("/v2/change/enqueue", post(ingest::change_events::enqueue))
        .route(
            "/v1/alertmanager/{routing_key}",
            post(ingest::alertmanager::webhook),
        )
        .route(
            "/v1/heartbeats/{key}",
            get(heartbeats::beat).post(heartbeats::beat),
        )
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/v1/devices/enroll", post(devices::enroll::enroll))
        .route("/v1/admin/invites", post(admin::create_invite))
        .route("/v1/admin/alerts", get(admin::list_alerts))
        .route("/v1/admin/alerts/{id}", get(admin::get_alert))
        .route(
            "/v1/admin/maintenance",
            post(maintenance::start).get(maintenance::list),
        )
        .route(
            "/v1/admin/maintenance/{id}",
            axum::routing::delete(maintenance::end),
        )
        .route(
            "/v1/admin/overrides",
            get(overrides::admin_list).post(overrides::admin_add),
        )
        .route(
            "/v1/admin/overrides/{id}",
            axum::routing::delete(overrides::admin_remove),
        )
        .route("/v1/admin/schedules/{id}", get(overrides::admin_schedule))
        .route("/v1/admin/audit", get(overrides::admin_audit))
        .route("/v1/admin/ical-links", post(ical_links::create))
        .route("/v1/ical/{token}", get(ical_links::feed))
        .merge(signed)
        // Bounds receiving each request (a stream's too: its GET has no
        // body, so it is received at once); never the answer, so the event
        // stream stays open as long as the device does.
        .route_layer(axum::middleware::from_fn_with_state(
            state.request_timeout,
            body::receive_in_time,
        ))
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(ingest::MAX_BODY))
        .with_state(state);
    // axum adds the `Allow` header to a 405 after the fallback ran, so the
    // body names the allowed methods from outside the routes.
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::map_response(name_allowed_methods))
        .layer(axum::middleware::map_response(errors::json_refusals))
}

/// No route has this path: a 404 naming it.
async fn unknown_path(method: Method, uri: Uri) -> errors::ApiError {
    errors::ApiError::NotFound(format!("{method} {}: no such endpoint", uri.path()))
}

/// The path exists but not with this method: a 405 naming it.
async fn method_not_allowed(method: Method, uri: Uri) -> errors::ApiError {
    errors::ApiError::MethodNotAllowed(format!("{method} {}: method not allowed", uri.path()))
}

/// Rewrites a 405's body to list the methods its `Allow` header names.
async fn name_allowed_methods(method: Method, uri: Uri, response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let Some(allow) = response.headers().get(header::ALLOW).cloned() else {
        return response;
    };
    let mut answer = errors::ApiError::MethodNotAllowed(format!(
        "{method} {}: method not allowed; use {}",
        uri.path(),
        allow.to_str().unwrap_or_default()
    ))
    .into_response();
    answer.headers_mut().insert(header::ALLOW, allow);
    answer
}

/// A running relay.
pub struct RunningRelay {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    escalator: JoinHandle<()>,
    heartbeats: JoinHandle<()>,
    pushes: Option<JoinHandle<()>>,
}

impl RunningRelay {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (metrics, store) for tests and embedding.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Reads the roster file ([`Relay::config_path`]) again, as SIGHUP does
    /// in `klaxon serve`: see [`rota::reload`].
    pub async fn reload_roster(&self) -> Result<(), klaxon_domain::RosterError> {
        rota::reload(&self.state).await
    }

    /// Makes the escalator look at the deadlines now (after a test moved
    /// its clock).
    pub fn wake_escalator(&self) {
        self.state.escalator.notify_one();
    }

    /// Serves until `signal` resolves, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<(), RelayError> {
        signal.await;
        self.shutdown().await
    }

    /// Stops accepting connections, lets in-flight requests finish (their
    /// writes commit), ends streams, stops the escalator, closes the store.
    /// Connections still open after the grace period
    /// ([`Relay::shutdown_grace`]) are dropped, but never one answering a
    /// request whose body has arrived.
    pub async fn shutdown(self) -> Result<(), RelayError> {
        tracing::info!("relay shutting down");
        self.state.hub.close();
        let _ = self.stop.send(true);
        let served = self.server.await;
        let _ = self.escalator.await;
        let _ = self.heartbeats.await;
        if let Some(pushes) = self.pushes {
            let _ = pushes.await;
        }
        match served {
            Ok(result) => result?,
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        Ok(())
    }
}
