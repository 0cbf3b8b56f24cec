//! tenfour hub: serves the built PWA and the JSON API over one axum router, backed by SQLite.

pub mod actor;
pub mod admin;
pub mod audit;
pub mod clock;
pub mod compaction;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod fanout;
pub mod field;
pub mod http;
pub mod ingest;
pub mod live;
pub mod maps;
pub mod migrate;
pub mod natures;
pub mod passwords;
pub mod positions;
pub mod push;
pub mod records;
pub mod safety;
pub mod seed;
pub mod serve;
pub mod sessions;
pub mod storage;
pub mod throttle;
pub mod tls;

pub use config::Config;

use std::io::{IsTerminal, Write};
use tokio::net::TcpListener;

/// Why the hub could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database at {path}: {source}")]
    Database {
        path: String,
        #[source]
        source: db::OpenError,
    },
    #[error(
        "cannot listen on {addr}: {source} (is another hub running? choose another port with --bind)"
    )]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot seed {what}: {source}")]
    Seed {
        what: String,
        #[source]
        source: seed::SeedError,
    },
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
    #[error("cannot serve the map pack {path}: {source}")]
    Map {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(#[source] std::io::Error),
}

/// Logs go to stderr as key=value lines; `RUST_LOG` picks the level (info by default).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Opens the database, binds, prints `listening on http://ADDR` on stdout (scripts and tests
/// read that line to learn the port when binding port 0) and serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    raise_open_file_limit();
    // The certificate first: a wrong path should stop the hub before it touches anything.
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::load(cert, key)?),
        None => None,
    };
    // The map pack too: a wrong file is told at start, not by every device that asks.
    if let Some(path) = &config.map {
        maps::describe(path).map_err(|source| StartError::Map {
            path: path.display().to_string(),
            source,
        })?;
    }
    let db = db::open(&config.database)
        .await
        .map_err(|source| StartError::Database {
            path: config.database.to_string(),
            source,
        })?;
    let mut seeds = Vec::new();
    if config.demo {
        seeds.push(("the demo agency".to_owned(), seed::DEMO.to_owned()));
    }
    for path in &config.seeds {
        let what = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| StartError::Seed {
            what: what.clone(),
            source: seed::SeedError::Invalid(e.to_string()),
        })?;
        seeds.push((what, text));
    }
    for (what, document) in seeds {
        let created =
            seed::seed(&db.writer, &document)
                .await
                .map_err(|source| StartError::Seed {
                    what: what.clone(),
                    source,
                })?;
        if created {
            tracing::info!(seed = %what, "agency created");
        }
    }
    // Before serving: a device's first pull must already find the log as kept.
    match compaction::compact(&db.writer, config.keep_changes, clock::now_ms()).await {
        Ok(0) => {}
        Ok(dropped) => tracing::info!(dropped, "change log compacted"),
        Err(err) => tracing::warn!(error = %err, "could not compact the change log"),
    }
    compaction::keep_compacting(db.writer.clone(), config.keep_changes);
    let listener = TcpListener::bind(&config.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.bind.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let live: std::sync::Arc<live::Live> = Default::default();
    let sessions: std::sync::Arc<sessions::SessionWatch> = Default::default();
    // The listening connection is taken from the readers' pool for good (never the
    // writer's single connection).
    if let db::Pool::Postgres(pool) = &db.reader {
        fanout::follow(
            pool.clone(),
            db.reader.clone(),
            live.clone(),
            sessions.clone(),
        );
    }
    let ingest = ingest::Ingest::start(db.writer.clone(), db.reader.clone(), live.clone());
    let pusher = push::Pusher::new(
        db.clone(),
        push::PushConfig {
            contact: config.push_contact.clone(),
            timeout: config.push_timeout,
            retry_after: std::time::Duration::from_secs(1),
            // A hub only this machine can reach is a development or test hub: it may push
            // to a push service on this machine too.
            allow_loopback: config.push_allow_loopback || addr.ip().is_loopback(),
        },
    );
    pusher.watch_check_ins();
    let app = http::router(http::AppState {
        db: db.clone(),
        dist: std::sync::Arc::new(config.dist.clone()),
        live,
        sessions,
        streams: std::sync::Arc::new(crate::sessions::StreamSlots::new(
            crate::sessions::STREAMS_PER_SESSION,
            config.max_streams_per_agency,
        )),
        ingest,
        push: pusher,
        throttle: Default::default(),
        session_ttl: config.session_ttl,
        https: tls.is_some() || config.behind_tls_proxy,
        behind_tls_proxy: config.behind_tls_proxy,
        maps: std::sync::Arc::new(maps::Packs::new(
            config.map.clone(),
            config.maps.clone(),
            &config.database,
        )),
        shutdown: shutdown.clone(),
    });

    tracing::info!(%addr, database = %config.database, dist = %config.dist.display(), "hub started");
    let mut out = std::io::stdout().lock();
    // A closed stdout must not stop the hub: the line is a convenience for scripts.
    if config.demo {
        // Before the address, so that a script reading up to that line has seen them all.
        let _ = writeln!(out, "demo agency sign-ins:");
        for line in seed::sign_in_lines(seed::DEMO).unwrap_or_default() {
            let _ = writeln!(out, "  {line}");
        }
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    let _ = writeln!(out, "listening on {scheme}://{addr}");
    let _ = out.flush();
    drop(out);

    let stopping = async move {
        shutdown_signal().await;
        // Ends the live streams, which would otherwise hold the shutdown open.
        let _ = stop.send(true);
    };
    tokio::spawn(stopping);
    serve::serve(listener, tls, app, shutdown)
        .await
        .map_err(StartError::Serve)?;
    db.close().await;
    tracing::info!("hub stopped cleanly");
    Ok(())
}

/// Every live stream holds a socket, and a hub follows thousands of devices: the soft limit
/// on open files (often 1,024) is raised to the hard limit the system allows.
fn raise_open_file_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return;
        }
        let before = limit.rlim_cur;
        if before == limit.rlim_max {
            return;
        }
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } == 0 {
            tracing::info!(from = before, to = limit.rlim_max, "open-file limit raised");
        } else {
            tracing::warn!(
                soft = before,
                "could not raise the open-file limit; live streams may run out of sockets"
            );
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
