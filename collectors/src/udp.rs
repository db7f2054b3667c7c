//! Syslog over UDP: one frame per datagram.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;
use vedette_model::Origin;

use crate::net::{canonical_peer, udp_socket};
use crate::{CollectorError, CollectorStats, Frame, Input, ListenerConfig, Result, INPUT_UDP};

/// The receive buffer: the largest possible UDP payload.
const DATAGRAM_MAX: usize = 65_535;

/// A bound syslog UDP listener. Start it with [`run`](Self::run).
#[derive(Debug)]
pub struct SyslogUdp {
    socket: std::net::UdpSocket,
    local: SocketAddr,
    max_frame: usize,
}

impl SyslogUdp {
    /// Binds `addr` with address reuse, dual stack for IPv6 addresses
    /// (`[::]:514` also takes IPv4) and a receive buffer of
    /// [`ListenerConfig::recv_buffer`] if the kernel grants it.
    ///
    /// Does not need a runtime; [`run`](Self::run) does.
    pub fn bind(addr: SocketAddr, cfg: &ListenerConfig) -> Result<Self> {
        cfg.validate()?;
        let bind_err = |source| CollectorError::Bind {
            input: INPUT_UDP,
            addr,
            source,
        };
        let socket = udp_socket(addr, cfg.recv_buffer).map_err(bind_err)?;
        let local = socket.local_addr().map_err(bind_err)?;
        Ok(SyslogUdp {
            socket,
            local,
            max_frame: cfg.max_frame,
        })
    }

    /// The address actually bound (with the port chosen for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Receives datagrams until `shutdown` is cancelled or the receiving
    /// end of `tx` is dropped.
    ///
    /// Each datagram, without trailing LF, CR and NUL bytes, becomes one
    /// [`Frame`] (empty ones are skipped), truncated to `max_frame`. This
    /// never waits for the pipeline: when `tx` is full the datagram is
    /// dropped and counted in `stats`.
    pub async fn run(
        self,
        tx: mpsc::Sender<Frame>,
        stats: Arc<CollectorStats>,
        shutdown: CancellationToken,
    ) -> Result<()> {
        let local = self.local;
        let socket = tokio::net::UdpSocket::from_std(self.socket).map_err(|source| {
            CollectorError::Register {
                input: INPUT_UDP,
                addr: local,
                source,
            }
        })?;
        tracing::info!(addr = %local, "syslog UDP listener started");
        let mut buf = vec![0u8; DATAGRAM_MAX];
        loop {
            let received = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                r = socket.recv_from(&mut buf) => r,
            };
            let (n, peer) = match received {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(addr = %local, error = %e, "UDP receive failed");
                    // Do not spin on a persistent error.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            stats.record_datagram();
            let data = trim_end(buf.get(..n).unwrap_or_default());
            if data.is_empty() {
                continue;
            }
            let peer = canonical_peer(peer);
            let permit = match tx.try_reserve() {
                Ok(permit) => permit,
                Err(TrySendError::Full(())) => {
                    stats.record_udp_drop(peer.ip());
                    continue;
                }
                Err(TrySendError::Closed(())) => {
                    tracing::debug!(addr = %local, "pipeline closed; UDP listener stops");
                    break;
                }
            };
            let truncated = data.len() > self.max_frame;
            let bytes = data.get(..self.max_frame).unwrap_or(data).to_vec();
            stats.record_frame(Input::SyslogUdp, peer.ip(), bytes.len(), truncated);
            permit.send(Frame {
                received: OffsetDateTime::now_utc(),
                origin: Origin::new(INPUT_UDP, Some(peer)),
                bytes,
                truncated,
            });
        }
        tracing::info!(addr = %local, "syslog UDP listener stopped");
        Ok(())
    }
}

/// Strips trailing LF, CR and NUL bytes.
fn trim_end(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r' | 0] = b {
        b = rest;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_line_endings() {
        assert_eq!(trim_end(b"<1>a\r\n\0"), b"<1>a");
        assert_eq!(trim_end(b"<1>a\nb"), b"<1>a\nb");
        assert_eq!(trim_end(b"\n\n"), b"");
        assert_eq!(trim_end(b""), b"");
    }

    #[test]
    fn bind_rejects_bad_config() {
        let cfg = ListenerConfig {
            max_frame: 0,
            ..Default::default()
        };
        let err = SyslogUdp::bind(SocketAddr::from(([127, 0, 0, 1], 0)), &cfg);
        assert!(matches!(err, Err(CollectorError::InvalidConfig { .. })));
    }
}
