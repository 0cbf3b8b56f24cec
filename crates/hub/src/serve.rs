//! Accepting connections, over plain HTTP or TLS, with limits that hold: a connection that
//! says nothing, sends its headers slowly or dawdles over a body is closed, and on shutdown
//! open requests get a few seconds to finish.

use crate::tls;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tower::ServiceExt;

/// How long a new connection may take to send its first byte, and a TLS handshake to finish.
pub const FIRST_BYTE_WITHIN: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's headers (and, on a kept-alive connection,
/// to start the next request).
pub const HEADERS_WITHIN: Duration = Duration::from_secs(10);
/// How long open requests may run on after shutdown is asked for.
const DRAIN_WITHIN: Duration = Duration::from_secs(5);

/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// Serves `app` until `stop` turns true. With `tls`, a connection that opens with a TLS
/// handshake is served the app and a plain-HTTP one is redirected to HTTPS.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    app: Router,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let acceptor = tls.map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADERS_WITHIN);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30));
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: keep serving the connections open.
                Err(err) => {
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let (acceptor, app, builder) = (acceptor.clone(), app.clone(), builder.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let mut first = [0u8; 1];
            match tokio::time::timeout(FIRST_BYTE_WITHIN, stream.peek(&mut first)).await {
                Ok(Ok(1)) => {}
                _ => return,
            }
            let app =
                hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(request.map(Body::new))
                });
            let served = match acceptor {
                None => {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), app);
                    watcher.watch(connection.into_owned()).await
                }
                Some(acceptor) if first[0] == TLS_HANDSHAKE => {
                    let tls = match tokio::time::timeout(FIRST_BYTE_WITHIN, acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(err)) => {
                            tracing::debug!(%peer, error = %err, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let connection = builder.serve_connection_with_upgrades(TokioIo::new(tls), app);
                    watcher.watch(connection.into_owned()).await
                }
                Some(_) => {
                    let redirect = hyper::service::service_fn(
                        |request: Request<hyper::body::Incoming>| async move {
                            Ok::<_, std::convert::Infallible>(tls::redirect_to_https(&request))
                        },
                    );
                    let connection = builder.serve_connection(TokioIo::new(stream), redirect);
                    watcher.watch(connection.into_owned()).await
                }
            };
            if let Err(err) = served {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_WITHIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open after the drain time; stopping anyway");
    }
    Ok(())
}
