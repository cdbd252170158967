//! The HTTP server: accepts connections and serves the routes on each over
//! HTTP/1.1. At shutdown it stops accepting, lets connections finish for a
//! grace period, then drops those still open — except while one answers a
//! request whose body has arrived: an event being committed is answered,
//! never cut off. A client that takes nothing it is sent for the request
//! timeout is dropped at any time ([`TakesAnswers`]).

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long a shutdown waits for open connections before dropping them.
/// Ten seconds lets every ordinary request finish (they take milliseconds)
/// while a process manager's stop timeout (systemd's 90 s, Kubernetes' 30 s)
/// is not reached. [`crate::Relay::shutdown_grace`] changes it.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// One client connection, as its requests see it (a request extension,
/// `Arc<Connection>`): how many of its requests have their body and are
/// being answered.
#[derive(Debug, Default)]
pub struct Connection {
    answering: AtomicUsize,
}

impl Connection {
    pub(crate) fn answering_started(&self) {
        self.answering.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn answering_ended(&self) {
        self.answering.fetch_sub(1, Ordering::AcqRel);
    }

    fn is_answering(&self) -> bool {
        self.answering.load(Ordering::Acquire) > 0
    }
}

/// How long a keep-alive connection may sit idle between requests, which is
/// also the time to send a request's headers (hyper has one timer for
/// both). Longer than the idle timeout of the proxies and load balancers put
/// in front of a relay (nginx's upstream keep-alive and AWS ALB: 60 s), so a
/// proxy never sends a request down a connection the relay is closing.
pub const KEEP_ALIVE_IDLE: Duration = Duration::from_secs(75);

/// How the server treats its clients.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Time to send a request's headers, and an idle keep-alive
    /// connection's lifetime ([`KEEP_ALIVE_IDLE`]).
    pub idle: Duration,
    /// How long a client may leave what it is sent untaken
    /// ([`TakesAnswers`]); bodies get the same, checked by
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
    let (force_tx, force_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let each_stop = stop.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((io, _)) => {
                    connections.spawn(serve_connection(
                        io,
                        app.clone(),
                        limits,
                        each_stop.clone(),
                        force_rx.clone(),
                    ));
                }
                Err(e) => accept_failed(e).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = raised(&mut stop) => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            grace_s = limits.grace.as_secs_f64(),
            "shutdown grace period over: dropping connections not answering a received request"
        );
        let _ = force_tx.send(true);
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}

async fn serve_connection(
    io: TcpStream,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    mut force: watch::Receiver<bool>,
) {
    // Pages are small frames on a long-lived stream: without TCP_NODELAY
    // Nagle's algorithm holds a frame written while the previous one is
    // unacknowledged until its ACK arrives (a round trip plus the phone's
    // delayed ACK: tens to hundreds of ms) — a page storm reaches phones late.
    if let Err(e) = io.set_nodelay(true) {
        tracing::debug!(error = %e, "could not set TCP_NODELAY");
    }
    let connection = Arc::new(Connection::default());
    let routes = TowerToHyperService::new(app);
    let requests = connection.clone();
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(requests.clone());
        hyper::service::Service::call(&routes, request)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle);
    let io = TakesAnswers {
        io,
        limit: limits.request_timeout,
        stalled: None,
    };
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        served = conn.as_mut() => return finished(served),
        () = raised(&mut stop) => conn.as_mut().graceful_shutdown(),
    }
    tokio::select! {
        served = conn.as_mut() => return finished(served),
        () = raised(&mut force) => {}
    }
    // Past the grace period: drop the connection unless a request on it is
    // being answered; then let that answer go out first.
    while connection.is_answering() {
        tokio::select! {
            served = conn.as_mut() => return finished(served),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
}

/// A client's socket whose writes fail once the client has taken nothing
/// for `limit`: the socket's buffer stayed full (a client that sends
/// requests, pipelined or one by one, and never reads the answers; a
/// zero window). Without it such a client holds its connection — its task,
/// hyper's buffers and the kernel's — forever, since hyper's header timeout
/// runs only while a request is being read. Only a stall counts: an event
/// stream to a device that reads it stays open however long it lasts.
struct TakesAnswers {
    io: TcpStream,
    limit: Duration,
    /// When the current stall started to count, while a write waits.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TakesAnswers {
    fn progress<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client took nothing it was sent for {} s",
                    limit.as_secs_f64()
                ),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for TakesAnswers {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for TakesAnswers {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.progress(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.progress(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Resolves once the flag is true (or its sender is gone).
async fn raised(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|raised| *raised).await;
}

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
