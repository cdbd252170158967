//! The HTTP server: accepts connections and serves the routes on each over
//! HTTP/1.1 (hyper's connection, hyper-util's graceful shutdown). At
//! shutdown it stops accepting and asks every connection to close after
//! the request it is on; connections still open after the grace period
//! are dropped — except while one answers a request whose body has
//! arrived: an event being committed is answered, never cut off. A client
//! that takes nothing it is sent for the request timeout is dropped at any
//! time (a write timeout on its socket).

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_io_timeout::TimeoutWriter;

/// How long a shutdown waits for open connections before dropping them.
/// Ten seconds lets every ordinary request finish (they take milliseconds)
/// while a process manager's stop timeout (systemd's 90 s, Kubernetes' 30 s)
/// is not reached. [`crate::Relay::shutdown_grace`] changes it.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long a keep-alive connection may sit idle between requests, which is
/// also the time to send a request's headers (hyper has one timer for
/// both). Longer than the idle timeout of the proxies and load balancers put
/// in front of a relay (nginx's upstream keep-alive and AWS ALB: 60 s), so a
/// proxy never sends a request down a connection the relay is closing.
pub const KEEP_ALIVE_IDLE: Duration = Duration::from_secs(75);

/// One client connection, as its requests see it (a request extension,
/// `Arc<Connection>`): how many of its requests have their body and are
/// being answered, so a shutdown past its grace period knows which
/// connections it may drop.
#[derive(Debug, Default)]
pub struct Connection {
    /// Requests with their body in and their answer not yet given (more
    /// than one only when a client pipelines).
    answering: AtomicUsize,
}

impl Connection {
    /// A request on this connection has its whole body and is being answered.
    pub(crate) fn answering_started(&self) {
        self.answering.fetch_add(1, Ordering::AcqRel);
    }

    /// A request counted by [`Connection::answering_started`] is answered
    /// (or dropped).
    pub(crate) fn answering_ended(&self) {
        self.answering.fetch_sub(1, Ordering::AcqRel);
    }

    /// Whether dropping the connection now would cut off an answer.
    fn is_answering(&self) -> bool {
        self.answering.load(Ordering::Acquire) > 0
    }
}

/// How the server treats its clients.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Time to send a request's headers, and an idle keep-alive
    /// connection's lifetime ([`KEEP_ALIVE_IDLE`]).
    pub idle: Duration,
    /// How long a client may leave what it is sent untaken (the socket's
    /// write timeout); bodies get the same, checked by
    /// [`crate::body::receive_in_time`].
    pub request_timeout: Duration,
    /// See [`SHUTDOWN_GRACE`].
    pub grace: Duration,
}

/// Serves `app` on `listener` until `stop` turns true, then shuts down as
/// the module says.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let (force_tx, force_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((io, _)) => {
                    connections.spawn(connection(io, &app, limits, &graceful, force_rx.clone()));
                }
                Err(e) => accept_failed(e).await,
            },
            // Reaps finished connections, so the set holds only open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = raised(&mut stop) => break,
        }
    }
    drop(listener);
    // Each connection finishes the request it is on and closes; an idle
    // one closes at once.
    let drained = tokio::time::timeout(limits.grace, graceful.shutdown()).await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            grace_s = limits.grace.as_secs_f64(),
            "shutdown grace period over: dropping connections not answering a received request"
        );
        let _ = force_tx.send(true);
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Serves one accepted connection: HTTP/1.1 with the header timeout, every
/// request carrying the connection's [`Connection`], watched by the
/// graceful shutdown and dropped when `force` rises unless answering.
fn connection(
    io: TcpStream,
    app: &Router,
    limits: Limits,
    graceful: &GracefulShutdown,
    force: watch::Receiver<bool>,
) -> impl Future<Output = ()> + Send + 'static {
    // Pages are small frames on a long-lived stream: without TCP_NODELAY
    // Nagle's algorithm holds a frame written while the previous one is
    // unacknowledged until its ACK arrives (a round trip plus the phone's
    // delayed ACK: tens to hundreds of ms) — a page storm reaches phones late.
    if let Err(e) = io.set_nodelay(true) {
        tracing::debug!(error = %e, "could not set TCP_NODELAY");
    }
    // A write that stays pending for the request timeout fails, which ends
    // the connection: the client has taken nothing it was sent (it sends
    // requests, pipelined or one by one, and never reads the answers; a
    // zero window). Without it such a client holds its task, hyper's
    // buffers and the kernel's forever, since hyper's header timeout runs
    // only while a request is being read. Only a stall counts: an event
    // stream to a device that reads it stays open however long it lasts.
    let mut io = TimeoutWriter::new(io);
    io.set_timeout(Some(limits.request_timeout));
    let state = Arc::new(Connection::default());
    let routes = TowerToHyperService::new(app.clone());
    let requests = state.clone();
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(requests.clone());
        hyper::service::Service::call(&routes, request)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle);
    let served = graceful.watch(builder.serve_connection(TokioIo::new(Box::pin(io)), service));
    until_forced(served, state, force)
}

/// Runs a connection to its end, or until `force` rises; then drops it
/// unless a request on it is being answered, whose answer goes out first.
async fn until_forced(
    served: impl Future<Output = hyper::Result<()>>,
    state: Arc<Connection>,
    mut force: watch::Receiver<bool>,
) {
    tokio::pin!(served);
    tokio::select! {
        result = served.as_mut() => return finished(result),
        () = raised(&mut force) => {}
    }
    // Past the grace period only: a short poll costs nothing while serving.
    while state.is_answering() {
        tokio::select! {
            result = served.as_mut() => return finished(result),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
}

/// Resolves once the flag is true (or its sender is gone).
async fn raised(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|raised| *raised).await;
}

/// Logs how a connection ended, when it was an error (a client that went
/// away, a timeout): at debug, since clients do that all the time.
fn finished(served: hyper::Result<()>) {
    if let Err(e) = served {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Errors of one connection (it was reset before it was accepted) are
/// nothing to wait for; others (out of file descriptors) are logged and
/// retried after a second, as axum's own server does.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
