//! `klaxon serve --config F [--db PATH] [--listen ADDR] [--tls-cert FILE
//! --tls-key FILE] [--log-format text|json]`: runs the relay on the roster,
//! with embedded SQLite, until SIGINT or SIGTERM, then shuts down gracefully
//! (in-flight requests finish and their writes commit). With a certificate
//! it serves HTTPS (HTTP/2 and HTTP/1.1) and reloads the pair on SIGHUP;
//! SIGHUP also reads the roster file again (a bad one keeps the running
//! roster and shows in `/healthz`).
//! Logs go to stderr as key=value text or JSON lines.

use crate::outcome::{BadInput, Report};
use crate::relay_client::ADMIN_TOKEN_ENV;
use clap::{Args, ValueEnum};
use klaxon_domain::Roster;
use klaxon_relay::delivery::GatewayPusher;
use klaxon_relay::ingest::RateLimit;
use klaxon_relay::push::PushGateway;
use klaxon_relay::tls::Certificates;
use klaxon_relay::{AppState, Relay};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;

/// `klaxon serve` arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The roster file (TOML).
    #[arg(long, value_name = "F")]
    config: PathBuf,
    /// The SQLite database file (created if missing).
    #[arg(long, value_name = "PATH", default_value = "klaxon.db")]
    db: PathBuf,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Sustained events per second per routing key before 429s.
    #[arg(
        long,
        value_name = "N",
        env = "KLAXON_RATE_LIMIT",
        default_value_t = 1000.0
    )]
    rate_limit: f64,
    /// Events a routing key may send at once.
    #[arg(
        long,
        value_name = "N",
        env = "KLAXON_RATE_BURST",
        default_value_t = 10000.0
    )]
    rate_burst: f64,
    /// Serve HTTPS with this PEM certificate chain (leaf first) instead of
    /// plain HTTP: HTTP/2 and HTTP/1.1 by ALPN, TLS 1.2 and 1.3. Needs
    /// --tls-key. Both files are read again on SIGHUP.
    #[arg(
        long,
        value_name = "FILE",
        env = "KLAXON_TLS_CERT",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        value_name = "FILE",
        env = "KLAXON_TLS_KEY",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
    /// How log lines on stderr look: `text` (key=value, for people) or
    /// `json` (one JSON object per line, for log collectors).
    #[arg(
        long,
        value_name = "FORMAT",
        env = "KLAXON_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
}

/// The shape of `klaxon serve`'s log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable `LEVEL target: message key=value` lines.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target` and
    /// `fields` (the message and the event's key/values).
    Json,
}

/// Installs the global tracing subscriber: `KLAXON_LOG` filter (default
/// `info`), stderr, in the chosen format. Colours only when stderr is a
/// terminal: a log file or a collector gets plain text, not escape codes.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KLAXON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs the relay until a signal.
pub fn run(args: ServeArgs) -> Result<Report, BadInput> {
    let roster = Roster::load(&args.config).map_err(|e| BadInput {
        lines: e.to_string().lines().map(str::to_string).collect(),
    })?;
    if !(args.rate_limit > 0.0 && args.rate_burst >= 1.0) {
        return Err(BadInput::new(
            "--rate-limit must be above 0 and --rate-burst at least 1",
        ));
    }
    // Read before anything starts: a bad file is the one-line refusal.
    let certificates = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(
            Certificates::load(cert, key).map_err(|e| BadInput::new(e.to_string()))?,
        )),
        _ => None,
    };
    init_logging(args.log_format);
    for warning in &roster.warnings {
        tracing::warn!(config = %args.config.display(), "roster: {warning}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BadInput::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        // Before the port opens: from the moment anything can connect, a
        // SIGHUP is a reload, never the default action (which kills).
        let hangups = hangup_signal()?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| BadInput::new(format!("--listen {}: {e}", args.listen)))?;
        let admin = std::env::var(ADMIN_TOKEN_ENV).ok();
        if admin.as_deref().is_none_or(str::is_empty) {
            tracing::warn!("{ADMIN_TOKEN_ENV} is not set: invites and the alert listing are off");
        }
        let gateway = PushGateway::from_env()
            .map_err(|e| BadInput::new(format!("push configuration: {e}")))?;
        let mut relay = Relay::new(roster, &args.db).config_path(&args.config);
        if gateway.has_apns() || gateway.has_fcm() {
            tracing::info!(
                apns = gateway.has_apns(),
                fcm = gateway.has_fcm(),
                "push enabled"
            );
            relay = relay.pusher(Arc::new(GatewayPusher(Arc::new(gateway))));
        } else {
            tracing::info!("no APNs/FCM configured: pages go to connected streams only");
        }
        let scheme = if certificates.is_some() {
            "https"
        } else {
            "http"
        };
        if let Some(certificates) = &certificates {
            relay = relay.tls(certificates.clone());
        }
        let relay = relay
            .admin_token(admin)
            .rate_limit(RateLimit {
                per_second: args.rate_limit,
                burst: args.rate_burst,
            })
            .start(listener)
            .await
            .map_err(|e| BadInput::new(format!("--db {}: {e}", args.db.display())))?;
        reload_on_hangup(hangups, certificates.clone(), relay.state().clone());
        match args.log_format {
            LogFormat::Text => {
                eprintln!(
                    "klaxon relay listening on {scheme}://{}",
                    relay.local_addr()
                );
            }
            // Every stderr line stays a JSON object: the address is in the
            // relay's own `relay listening` event instead.
            LogFormat::Json => {}
        }
        relay
            .run_until(shutdown_signal())
            .await
            .map_err(|e| BadInput::new(format!("the relay stopped with an error: {e}")))?;
        Ok(Report::default())
    })
}

/// On every SIGHUP: reads the certificate and key again, when serving TLS
/// (new connections get the new pair, open ones keep theirs; a pair that
/// cannot be used is logged, naming the file, and the current one stays),
/// then the roster file (`--config`): a valid one runs from now on, an
/// invalid one is logged (`roster reload failed: …`) and shown in
/// `/healthz` while the running roster stays ([`klaxon_relay::rota::reload`]).
fn reload_on_hangup(
    hangups: Hangups,
    certificates: Option<Arc<Certificates>>,
    state: Arc<AppState>,
) {
    #[cfg(unix)]
    {
        let mut hangups = hangups;
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                if let Some(certificates) = &certificates {
                    match certificates.reload() {
                        Ok(()) => tracing::info!(
                            cert = %certificates.cert_path().display(),
                            "SIGHUP: TLS certificate reloaded; new connections get it"
                        ),
                        Err(e) => tracing::error!(
                            error = %e,
                            "SIGHUP: TLS certificate not reloaded; still serving the previous one"
                        ),
                    }
                }
                // Logged, counted and shown in /healthz by the relay.
                let _ = klaxon_relay::rota::reload(&state).await;
            }
        });
    }
    #[cfg(not(unix))]
    let _ = (hangups, certificates, state);
}

/// SIGHUP, caught from now on (see [`reload_on_hangup`]).
#[cfg(unix)]
type Hangups = tokio::signal::unix::Signal;
/// No SIGHUP off Unix.
#[cfg(not(unix))]
type Hangups = ();

/// Starts catching SIGHUP: registering replaces the default action (exit)
/// at once; the signals wait in the stream until [`reload_on_hangup`] reads it.
fn hangup_signal() -> Result<Hangups, BadInput> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        signal(SignalKind::hangup())
            .map_err(|e| BadInput::new(format!("cannot listen for SIGHUP: {e}")))
    }
    #[cfg(not(unix))]
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
