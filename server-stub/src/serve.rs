//! The HTTP server: accepts connections and serves the routes on each over
//! HTTP/1.1 (hyper's connection, hyper-util's graceful shutdown), or, with
//! TLS ([`crate::tls`]), over HTTP/2 or HTTP/1.1 as ALPN chose. At
//! shutdown it stops accepting and asks every connection to close after
//! the request it is on (an HTTP/2 one: a GOAWAY, its open streams
//! finish); connections still open after the grace period are dropped —
//! except while one answers a request whose body has arrived: an event
//! being committed is answered, never cut off. A client that takes nothing
//! it is sent for the request timeout is dropped at any time (a write
//! timeout on its socket).
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_io_timeout::TimeoutWriter;
use tokio_rustls::TlsAcceptor;

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

/// How long a TLS client has to finish its handshake (never longer than
/// the request timeout). A client that opens a connection and sends no
/// ClientHello, or stops halfway, is dropped then: hyper's header timeout
/// starts only once the handshake is done.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Streams (requests) one HTTP/2 connection may have open at once. A phone
/// has its event stream and a few requests; monitoring sends one event per
/// request. Beyond it the client waits for a stream to end (it is told in
/// SETTINGS), so one connection cannot fan out into thousands of tasks.
pub const H2_MAX_STREAMS: u32 = 128;

/// How often an HTTP/2 connection is pinged while the relay hears nothing
/// on it, and how long the answer may take before it is dropped
/// ([`H2_PING_TIMEOUT`]): a phone that vanished (network gone, no FIN)
/// does not keep its event stream open on the relay.
pub const H2_PING_INTERVAL: Duration = Duration::from_secs(30);

/// See [`H2_PING_INTERVAL`].
pub const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);

/// How many bytes of request bodies may be in flight at once, across all
/// connections, by default: 64 MiB, 128 bodies at the 512 KiB limit and
/// thousands of ordinary events. A body is counted from its headers (its
/// `Content-Length`, or the limit when it is chunked) until its request is
/// answered; one that does not fit is answered 503 with `Retry-After`
/// before a byte of it is read, so slow or stalled clients cannot grow the
/// relay (1,000 connections stalled at 500 KiB took it to 525 MB).
/// [`crate::Relay::body_budget`] changes it.
pub const BODY_BUDGET: usize = 64 * 1024 * 1024;

/// How many connections one peer address may hold open at once by
/// default. A phone holds one or two, a monitoring system a pool; a relay
/// behind a proxy sees every client as the proxy, so raise it there
/// ([`crate::Relay::connections_per_peer`]). A connection over it is
/// answered 503 and closed.
pub const CONNECTIONS_PER_PEER: usize = 512;

/// The bytes of request bodies in flight, against [`BODY_BUDGET`]: one
/// atomic counter, taken without a lock or an allocation.
#[derive(Debug)]
pub struct BodyBudget {
    /// The most that may be reserved at once.
    limit: usize,
    /// Reserved now.
    used: AtomicUsize,
}

impl BodyBudget {
    /// A budget of `limit` bytes, none reserved.
    pub fn new(limit: usize) -> BodyBudget {
        BodyBudget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// Reserves `bytes`, or returns false when they do not fit.
    pub(crate) fn try_reserve(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    /// Gives back what [`BodyBudget::try_reserve`] took.
    pub(crate) fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// One client connection, as its requests see it (a request extension,
/// `Arc<Connection>`): how many of its requests have their body and are
/// being answered, so a shutdown past its grace period knows which
/// connections it may drop; and the relay's budget for bodies in flight.
#[derive(Debug)]
pub struct Connection {
    /// Requests with their body in and their answer not yet given (more
    /// than one only when a client pipelines).
    answering: AtomicUsize,
    /// The relay's bodies in flight, shared by every connection.
    pub(crate) budget: Arc<BodyBudget>,
}

impl Connection {
    /// A connection drawing on `budget` for its request bodies.
    fn new(budget: Arc<BodyBudget>) -> Connection {
        Connection {
            answering: AtomicUsize::new(0),
            budget,
        }
    }

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
    /// See [`BODY_BUDGET`].
    pub body_budget: usize,
    /// See [`CONNECTIONS_PER_PEER`].
    pub per_peer: usize,
}

/// Open connections per peer address, against [`Limits::per_peer`].
#[derive(Debug, Default)]
struct Peers(std::sync::Mutex<HashMap<IpAddr, usize>>);

impl Peers {
    /// Counts a connection from `ip` in, or returns `None` when the peer
    /// already holds `limit`.
    fn admit(self: &Arc<Peers>, ip: IpAddr, limit: usize) -> Option<PeerSlot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(PeerSlot(self.clone(), ip))
    }
}

/// One open connection of a peer, counted until it is dropped.
struct PeerSlot(Arc<Peers>, IpAddr);

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = (self.0).0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// Answers a connection over its peer's limit with a 503 in the JSON shape
/// and closes it, after giving the client a second to read it (closing at
/// once, with its request unread, would reset the connection and lose the
/// answer). Plain HTTP only: a TLS client is just closed.
async fn refuse_connection(mut io: TcpStream, tls: bool) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    if tls {
        return;
    }
    let body = r#"{"status":"unavailable","message":"too many connections from this address","errors":["connection: too many open from this address; retry"]}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        io.write_all(answer.as_bytes()).await?;
        io.shutdown().await?;
        let mut sink = [0u8; 1024];
        while io.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// Serves `app` on `listener` (through TLS when `tls` is given) until
/// `stop` turns true, then shuts down as the module says.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let (force_tx, force_rx) = watch::channel(false);
    // TLS connections close on this rather than through `graceful`, whose
    // signal they cannot see (they only hold one of its watchers, so its
    // shutdown waits for them too).
    let (drain_tx, drain_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let budget = Arc::new(BodyBudget::new(limits.body_budget));
    let peers = Arc::new(Peers::default());
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((io, peer)) => {
                    let Some(slot) = peers.admit(peer.ip(), limits.per_peer) else {
                        tracing::debug!(%peer, "refused: too many connections from this address");
                        connections.spawn(refuse_connection(io, tls.is_some()));
                        continue;
                    };
                    let state = Arc::new(Connection::new(budget.clone()));
                    match &tls {
                        None => {
                            let served = connection(io, &app, limits, &graceful, force_rx.clone(), state);
                            connections.spawn(async move {
                                served.await;
                                drop(slot);
                            });
                        }
                        Some(tls) => {
                            let watcher = Ending {
                                _counted: graceful.watcher(),
                                drain: drain_rx.clone(),
                                force: force_rx.clone(),
                            };
                            let served = tls_connection(io, tls.clone(), app.clone(), limits, watcher, state);
                            connections.spawn(async move {
                                served.await;
                                drop(slot);
                            });
                        }
                    }
                }
                Err(e) => accept_failed(e).await,
            },
            // Reaps finished connections, so the set holds only open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = raised(&mut stop) => break,
        }
    }
    drop(listener);
    let _ = drain_tx.send(true);
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
    state: Arc<Connection>,
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
    let routes = TowerToHyperService::new(app.clone());
    let requests = state.clone();
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(requests.clone());
        hyper::service::Service::call(&routes, request)
    });
    let mut builder = http1::Builder::new();
    // A client that sends its request and then shuts down its sending half
    // (`shutdown(SHUT_WR)`, `curl`'s and many scripts' way of saying "that
    // was all") still reads: without half-close hyper took the EOF for a
    // client gone and dropped the answer of a request it had committed.
    builder
        .timer(TokioTimer::new())
        .half_close(true)
        .header_read_timeout(limits.idle);
    let served = graceful.watch(builder.serve_connection(TokioIo::new(Box::pin(io)), service));
    until_forced(served, state, force)
}

/// What a TLS connection's task watches to know when to close: the
/// shutdown's two stages, and its place among the connections
/// [`GracefulShutdown::shutdown`] waits for.
struct Ending {
    /// Held, never used: keeps the shutdown's count of open connections.
    _counted: hyper_util::server::graceful::Watcher,
    /// Rises when the shutdown starts: close after the requests in flight.
    drain: watch::Receiver<bool>,
    /// Rises when the grace period is over: drop unless answering.
    force: watch::Receiver<bool>,
}

/// Serves one accepted connection through TLS: the handshake within its
/// time limit, then HTTP/2 when ALPN chose `h2`, else HTTP/1.1 with the
/// header timeout — each request carrying the connection's [`Connection`],
/// closed gracefully when the shutdown starts (or, HTTP/2, when it has had
/// no request open for the idle limit) and dropped when it is forced,
/// unless answering.
async fn tls_connection(
    io: TcpStream,
    tls: TlsAcceptor,
    app: Router,
    limits: Limits,
    mut ending: Ending,
    state: Arc<Connection>,
) {
    if let Err(e) = io.set_nodelay(true) {
        tracing::debug!(error = %e, "could not set TCP_NODELAY");
    }
    // Beneath TLS, so a client that takes nothing (its handshake replies,
    // or answers) is dropped as on plain HTTP.
    let mut io = TimeoutWriter::new(io);
    io.set_timeout(Some(limits.request_timeout));
    let handshake = tokio::time::timeout(
        TLS_HANDSHAKE_TIMEOUT.min(limits.request_timeout),
        tls.accept(Box::pin(io)),
    );
    let io = tokio::select! {
        done = handshake => match done {
            Ok(Ok(io)) => io,
            Ok(Err(e)) => return tracing::debug!(error = %e, "TLS handshake failed"),
            Err(_) => return tracing::debug!("TLS handshake timed out"),
        },
        // Nothing was asked yet: nothing to finish.
        () = raised(&mut ending.drain) => return,
    };
    let h2 = io.get_ref().1.alpn_protocol() == Some(crate::tls::ALPN_H2);
    let (open_tx, mut open) = watch::channel(0usize);
    let open_tx = Arc::new(open_tx);
    let routes = TowerToHyperService::new(app);
    let requests = state.clone();
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(requests.clone());
        let open = Open::new(open_tx.clone());
        let answer = hyper::service::Service::call(&routes, request);
        async move {
            let response = answer.await?;
            // Open until its body is sent or dropped: an event stream
            // keeps its connection busy, not idle.
            Ok::<_, std::convert::Infallible>(response.map(|body| {
                axum::body::Body::new(http_body_util::BodyExt::map_frame(body, move |frame| {
                    let _open = &open;
                    frame
                }))
            }))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .half_close(true)
        .header_read_timeout(limits.idle);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_STREAMS)
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT);
    // ALPN decided: no sniffing of the first bytes (which has no timeout).
    let builder = if h2 {
        builder.http2_only()
    } else {
        builder.http1_only()
    };
    let served = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(served);
    let mut closing = false;
    loop {
        tokio::select! {
            result = served.as_mut() => return finished_auto(result),
            () = raised(&mut ending.drain), if !closing => {
                closing = true;
                served.as_mut().graceful_shutdown();
            }
            // HTTP/1.1's idle limit is hyper's header timeout; HTTP/2 has
            // none, so a connection with no stream open that long is sent
            // a GOAWAY as at shutdown.
            () = idle_for(&mut open, limits.idle), if h2 && !closing => {
                closing = true;
                served.as_mut().graceful_shutdown();
            }
            () = raised(&mut ending.force) => break,
        }
    }
    while state.is_answering() {
        tokio::select! {
            result = served.as_mut() => return finished_auto(result),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
}

/// One request open on a TLS connection, from its headers until its answer
/// is sent or dropped (counted in the connection's `watch`).
struct Open(Arc<watch::Sender<usize>>);

impl Open {
    /// Counts a request in.
    fn new(count: Arc<watch::Sender<usize>>) -> Open {
        count.send_modify(|n| *n += 1);
        Open(count)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Resolves once no request has been open on the connection for `limit`.
async fn idle_for(open: &mut watch::Receiver<usize>, limit: Duration) {
    loop {
        if open.wait_for(|n| *n == 0).await.is_err() {
            return std::future::pending().await;
        }
        if tokio::time::timeout(limit, open.wait_for(|n| *n > 0))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// [`finished`] for a connection served by hyper-util's `auto` builder.
fn finished_auto(served: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(e) = served {
        tracing::debug!(error = %e, "connection ended with an error");
    }
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
