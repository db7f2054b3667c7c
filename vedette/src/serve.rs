//! `vedette serve`: listeners, pipeline, console, and a shutdown that drains.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vedette_collectors::{Frame, ListenerConfig, SyslogTcp, SyslogUdp};
use vedette_console::{AppState, ConsoleConfig};
use vedette_store::{Role, Store};

use crate::config::{absolute, Config};
use crate::metrics::NodeMetrics;
use crate::node::{start_intake, Node};

/// Frames buffered between the collectors and the intake thread.
const CHANNEL: usize = 16_384;

/// Runs a node until SIGTERM or Ctrl-C, then drains and stops.
pub async fn serve(cfg: Config) -> Result<()> {
    let data_dir = absolute(&cfg.data_dir)?;
    let (node, writer) = Node::open(cfg.clone()).await?;
    ensure_first_admin(&node.store, &data_dir).await?;

    let shutdown = CancellationToken::new();
    let (tx, rx) = mpsc::channel::<Frame>(CHANNEL);
    // Cancelled by the intake or pipeline thread if it stops on an error.
    let fatal = CancellationToken::new();
    let intake = start_intake(
        writer,
        node.spool.clone(),
        rx,
        node.stats.clone(),
        fatal.clone(),
    )?;
    let pipeline = node.start_pipeline(tokio::runtime::Handle::current(), fatal.clone())?;
    // Stops with the node (the thread only sleeps and reads files).
    let _rule_watcher = node.start_rule_watcher(shutdown.clone());

    let lcfg = ListenerConfig {
        max_frame: cfg.max_frame,
        max_connections: cfg.max_connections,
        ..ListenerConfig::default()
    };
    let mut listening = serde_json::Map::new();
    let mut listeners = tokio::task::JoinSet::new();
    if let Some(addr) = cfg.syslog_udp {
        let l = bind_dual(addr, |a| SyslogUdp::bind(a, &lcfg))
            .with_context(|| format!("binding syslog UDP on {addr}"))?;
        let local = l.local_addr();
        tracing::info!("syslog over UDP on {local}");
        listening.insert("syslog_udp".into(), local.to_string().into());
        listeners.spawn(l.run(tx.clone(), node.collector_stats.clone(), shutdown.clone()));
    }
    if let Some(addr) = cfg.syslog_tcp {
        let l = bind_dual(addr, |a| SyslogTcp::bind(a, &lcfg))
            .with_context(|| format!("binding syslog TCP on {addr}"))?;
        let local = l.local_addr();
        tracing::info!("syslog over TCP on {local}");
        listening.insert("syslog_tcp".into(), local.to_string().into());
        listeners.spawn(l.run(tx.clone(), node.collector_stats.clone(), shutdown.clone()));
    }
    drop(tx);

    let http = tokio::net::TcpListener::bind(cfg.http)
        .await
        .with_context(|| format!("binding the console on {}", cfg.http))?;
    let http_addr = http.local_addr()?;
    listening.insert("http".into(), http_addr.to_string().into());
    let state = AppState {
        store: node.store.clone(),
        search: node.index.searcher(),
        metrics: Arc::new(NodeMetrics {
            pipeline: node.stats.clone(),
            collectors: node.collector_stats.clone(),
            spool: node.spool.clone(),
            correlation_rules: node.correlation_rules,
            correlation: node.correlation_stats.clone(),
        }),
        rules: node.rule_catalog.clone(),
        config: ConsoleConfig {
            secure_cookies: false,
        },
    };
    let app = vedette_console::app(state);
    let http_shutdown = shutdown.clone();
    let http_task = tokio::spawn(async move {
        axum::serve(
            http,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(http_shutdown.cancelled_owned())
        .await
    });
    // Expired console sessions are removed once an hour.
    let purge_store = node.store.clone();
    let purge_stop = shutdown.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = every.tick() => {
                    match purge_store.purge_expired_sessions().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!("removed {n} expired console sessions"),
                        Err(e) => tracing::warn!("removing expired sessions failed: {e}"),
                    }
                }
                _ = purge_stop.cancelled() => break,
            }
        }
    });
    // Tests and scripts that bind port 0 learn the real ports here.
    let listening = serde_json::Value::Object(listening);
    std::fs::write(data_dir.join("listening.json"), listening.to_string())
        .context("writing listening.json")?;
    tracing::info!("console on http://{http_addr}/ ; Vedette is ready");

    tokio::select! {
        _ = wait_for_signal() => {
            tracing::info!("shutting down: closing listeners, draining the pipeline");
        }
        _ = fatal.cancelled() => {
            tracing::error!("shutting down after a fatal error in the pipeline");
        }
    }
    shutdown.cancel();
    while let Some(r) = listeners.join_next().await {
        if let Ok(Err(e)) = r {
            tracing::warn!("listener stopped with an error: {e}");
        }
    }
    let joined = tokio::task::spawn_blocking(move || {
        let a = intake.join();
        let b = pipeline.join();
        (a, b)
    })
    .await?;
    if let Ok(Err(e)) = http_task.await {
        tracing::warn!("console stopped with an error: {e}");
    }
    node.store.close().await;
    match joined {
        (Ok(Ok(())), Ok(Ok(()))) => {
            tracing::info!("stopped");
            Ok(())
        }
        (a, b) => anyhow::bail!(
            "stopped after an error (intake: {}; pipeline: {})",
            outcome(a),
            outcome(b)
        ),
    }
}

/// Binds `addr`; when that is the IPv6 wildcard (`[::]`, the default) and
/// the host has no IPv6 at all, binds the IPv4 wildcard on the same port.
/// Any other failure (a port in use, say) is reported as it is.
fn bind_dual<T, E>(addr: SocketAddr, bind: impl Fn(SocketAddr) -> Result<T, E>) -> Result<T, E> {
    if addr.ip() == std::net::Ipv6Addr::UNSPECIFIED && std::net::UdpSocket::bind("[::]:0").is_err()
    {
        let v4 = SocketAddr::new(std::net::Ipv4Addr::UNSPECIFIED.into(), addr.port());
        tracing::warn!("this host has no IPv6; listening on {v4} instead of {addr}");
        return bind(v4);
    }
    bind(addr)
}

fn outcome(r: std::thread::Result<Result<()>>) -> String {
    match r {
        Ok(Ok(())) => "ok".into(),
        Ok(Err(e)) => format!("{e:#}"),
        Err(_) => "panicked".into(),
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot listen for SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// On first start (no users), creates the `admin` account with a generated
/// password, written once to `initial-admin-password` (mode 0600) in the data
/// directory and printed once to the log.
async fn ensure_first_admin(store: &Store, data_dir: &Path) -> Result<()> {
    if store.user_count().await? > 0 {
        return Ok(());
    }
    let password = crate::random_secret(22);
    store
        .create_user("admin", &password, Role::Admin)
        .await
        .context("creating the first admin account")?;
    let path = data_dir.join("initial-admin-password");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(f, "{password}")?;
    }
    tracing::warn!(
        "created the first admin account: user 'admin', password {password} (also in {}; change it after logging in)",
        path.display()
    );
    Ok(())
}
