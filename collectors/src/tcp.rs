//! Syslog over TCP: RFC 6587 framing, a task per connection, backpressure.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use vedette_model::Origin;

use crate::framing::{DecodedFrame, FrameDecoder};
use crate::net::{canonical_peer, tcp_listener};
use crate::{CollectorError, CollectorStats, Frame, Input, ListenerConfig, Result, INPUT_TCP};

/// Bytes read from a connection at a time.
const READ_CHUNK: usize = 64 * 1024;

/// A bound syslog TCP listener. Start it with [`run`](Self::run).
#[derive(Debug)]
pub struct SyslogTcp {
    listener: std::net::TcpListener,
    local: SocketAddr,
    cfg: ListenerConfig,
}

/// What a connection task needs from the config.
#[derive(Debug, Clone, Copy)]
struct ConnLimits {
    max_frame: usize,
    idle_timeout: Duration,
}

/// Why a connection stopped reading.
#[derive(Debug)]
enum End {
    Eof,
    Idle,
    Failed(io::Error),
    Shutdown,
}

impl SyslogTcp {
    /// Binds and listens on `addr` with address reuse and dual stack for
    /// IPv6 addresses (`[::]:514` also takes IPv4).
    ///
    /// Does not need a runtime; [`run`](Self::run) does.
    pub fn bind(addr: SocketAddr, cfg: &ListenerConfig) -> Result<Self> {
        cfg.validate()?;
        let bind_err = |source| CollectorError::Bind {
            input: INPUT_TCP,
            addr,
            source,
        };
        let listener = tcp_listener(addr).map_err(bind_err)?;
        let local = listener.local_addr().map_err(bind_err)?;
        Ok(SyslogTcp {
            listener,
            local,
            cfg: cfg.clone(),
        })
    }

    /// The address actually bound (with the port chosen for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Accepts connections until `shutdown` is cancelled.
    ///
    /// Each connection is served by its own task, which decodes frames
    /// ([`crate::framing`]) and sends each one with `tx.send(..).await`
    /// before reading more, so a slow pipeline slows the senders down
    /// through TCP flow control. Connections over
    /// [`ListenerConfig::max_connections`] are closed at once and counted;
    /// connections silent for [`ListenerConfig::idle_timeout`] are closed.
    ///
    /// On shutdown the listener stops accepting and the connections stop
    /// reading and hand over the complete frames they already read; this
    /// returns when they are done, or after
    /// [`ListenerConfig::shutdown_grace`], aborting the rest.
    pub async fn run(
        self,
        tx: mpsc::Sender<Frame>,
        stats: Arc<CollectorStats>,
        shutdown: CancellationToken,
    ) -> Result<()> {
        let local = self.local;
        let listener = tokio::net::TcpListener::from_std(self.listener).map_err(|source| {
            CollectorError::Register {
                input: INPUT_TCP,
                addr: local,
                source,
            }
        })?;
        tracing::info!(addr = %local, "syslog TCP listener started");
        let limits = ConnLimits {
            max_frame: self.cfg.max_frame,
            idle_timeout: self.cfg.idle_timeout,
        };
        let slots = Arc::new(Semaphore::new(self.cfg.max_connections));
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(done) = conns.join_next(), if !conns.is_empty() => {
                    if let Err(e) = done {
                        if e.is_panic() {
                            tracing::error!(addr = %local, "syslog TCP connection task panicked");
                        }
                    }
                }
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // Typically out of file descriptors: back off.
                            tracing::warn!(addr = %local, error = %e, "TCP accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let peer = canonical_peer(peer);
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        stats.record_rejected();
                        tracing::debug!(addr = %local, %peer, "TCP connection limit reached; closing");
                        drop(stream);
                        continue;
                    };
                    let tx = tx.clone();
                    let stats = stats.clone();
                    let shutdown = shutdown.clone();
                    conns.spawn(async move {
                        serve(stream, peer, tx, &stats, shutdown, limits).await;
                        drop(slot);
                    });
                }
            }
        }
        drop(listener);
        let open = conns.len();
        if open > 0 {
            tracing::debug!(addr = %local, open, "waiting for TCP connections to hand over");
        }
        let drain = async { while conns.join_next().await.is_some() {} };
        if tokio::time::timeout(self.cfg.shutdown_grace, drain)
            .await
            .is_err()
        {
            tracing::warn!(
                addr = %local,
                aborted = conns.len(),
                "TCP connections did not finish in time; aborting them"
            );
            conns.shutdown().await;
        }
        tracing::info!(addr = %local, "syslog TCP listener stopped");
        Ok(())
    }
}

/// Serves one connection until end of stream, idle timeout, error,
/// shutdown or the pipeline closing.
async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    tx: mpsc::Sender<Frame>,
    stats: &CollectorStats,
    shutdown: CancellationToken,
    limits: ConnLimits,
) {
    let _active = stats.connection_opened();
    if let Err(e) = socket2::SockRef::from(&stream).set_keepalive(true) {
        tracing::debug!(%peer, error = %e, "cannot enable TCP keepalive");
    }
    tracing::debug!(%peer, "syslog TCP connection accepted");
    let origin = Origin::new(INPUT_TCP, Some(peer));
    let mut dec = FrameDecoder::new(limits.max_frame);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut read_at = OffsetDateTime::now_utc();
    let end = loop {
        // Hand over every complete frame before reading again: while the
        // pipeline is full nothing is read and the peer's window closes.
        while let Some(f) = dec.next_frame() {
            if !hand_over(&tx, stats, &origin, read_at, f).await {
                tracing::debug!(%peer, "pipeline closed; dropping TCP connection");
                return;
            }
        }
        let read = tokio::select! {
            biased;
            () = shutdown.cancelled() => break End::Shutdown,
            r = tokio::time::timeout(limits.idle_timeout, stream.read(&mut buf)) => r,
        };
        match read {
            Err(_) => break End::Idle,
            Ok(Ok(0)) => break End::Eof,
            Ok(Ok(n)) => {
                read_at = OffsetDateTime::now_utc();
                dec.push(buf.get(..n).unwrap_or_default());
            }
            Ok(Err(e)) => break End::Failed(e),
        }
    };
    match end {
        End::Shutdown => {
            let dropped = dec.discard_pending();
            tracing::debug!(%peer, dropped, "TCP connection closed at shutdown");
        }
        End::Eof | End::Idle | End::Failed(_) => {
            match &end {
                End::Failed(e) => tracing::debug!(%peer, error = %e, "TCP read failed"),
                End::Idle => tracing::debug!(%peer, "TCP connection idle; closing"),
                _ => tracing::debug!(%peer, "TCP connection closed by peer"),
            }
            // The peer is gone (or will be): keep its last unterminated frame.
            while let Some(f) = dec.finish() {
                if !hand_over(&tx, stats, &origin, read_at, f).await {
                    return;
                }
            }
        }
    }
    if dec.frames_truncated() > 0 {
        tracing::debug!(
            %peer,
            truncated = dec.frames_truncated(),
            skipped_bytes = dec.bytes_skipped(),
            "TCP connection sent frames over the size limit"
        );
    }
}

/// Sends a frame to the pipeline, waiting for room; false when it is closed.
async fn hand_over(
    tx: &mpsc::Sender<Frame>,
    stats: &CollectorStats,
    origin: &Origin,
    received: OffsetDateTime,
    f: DecodedFrame,
) -> bool {
    let len = f.bytes.len();
    let truncated = f.truncated;
    let frame = Frame {
        received,
        origin: origin.clone(),
        bytes: f.bytes,
        truncated,
    };
    // Counted as received before the hand-over, which may wait (backpressure).
    if let Some(peer) = origin.peer {
        stats.record_frame(Input::SyslogTcp, peer.ip(), len, truncated);
    }
    tx.send(frame).await.is_ok()
}
