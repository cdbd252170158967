//! The HTTP server: accepts connections and serves the routes on each over
//! HTTP/1.1. At shutdown it stops accepting, lets connections finish for a
//! grace period, then drops those still open — except while one answers a
//! request whose body has arrived: an event being committed is answered,
//! never cut off.

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
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

/// How the server treats its clients.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Time to send a request's headers (and an idle keep-alive connection's
    /// lifetime); bodies get the same again, checked by
    /// [`crate::body::receive_in_time`].
    pub header_timeout: Duration,
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
                        limits.header_timeout,
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
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
    mut force: watch::Receiver<bool>,
) {
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
        .header_read_timeout(header_timeout);
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
