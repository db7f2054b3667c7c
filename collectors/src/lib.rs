//! Syslog collectors: sockets and framing, never parsing.
//!
//! [`SyslogUdp`] and [`SyslogTcp`] listen for syslog, cut the traffic into
//! [`Frame`]s (one per UDP datagram; RFC 6587 octet counting or newline
//! framing over TCP, see [`framing`]) and hand them to the pipeline through a
//! bounded `tokio::sync::mpsc` channel. [`CollectorStats`] counts what they
//! see, in total and per source, and renders Prometheus text.
//!
//! ```
//! use std::sync::Arc;
//! use tokio::sync::mpsc;
//! use tokio_util::sync::CancellationToken;
//! use vedette_collectors::{CollectorStats, ListenerConfig, SyslogUdp};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! rt.block_on(async {
//!     let udp = SyslogUdp::bind("127.0.0.1:0".parse()?, &ListenerConfig::default())?;
//!     let addr = udp.local_addr();
//!     let (tx, mut rx) = mpsc::channel(1024);
//!     let stats = Arc::new(CollectorStats::new());
//!     let shutdown = CancellationToken::new();
//!     let task = tokio::spawn(udp.run(tx, stats.clone(), shutdown.clone()));
//!
//!     let client = std::net::UdpSocket::bind("127.0.0.1:0")?;
//!     client.send_to(b"<13>Nov 25 10:00:00 host app: hello\n", addr)?;
//!     let frame = rx.recv().await.ok_or("channel closed")?;
//!     assert_eq!(frame.bytes, b"<13>Nov 25 10:00:00 host app: hello");
//!     assert_eq!(frame.origin.input, "syslog-udp");
//!     assert_eq!(frame.origin.peer, Some(client.local_addr()?));
//!
//!     shutdown.cancel();
//!     task.await??;
//!     assert_eq!(stats.snapshot().udp.frames, 1);
//!     Ok(())
//! })
//! # }
//! ```
//!
//! UDP never blocks: when the channel is full the datagram is dropped and
//! counted. TCP applies backpressure: a connection stops reading while its
//! frame waits for room in the channel, so the sender is slowed by TCP flow
//! control and memory stays bounded.
#![deny(missing_docs)]

mod error;
pub mod framing;
mod net;
mod stats;
mod tcp;
mod udp;

use std::time::Duration;

use time::OffsetDateTime;
use vedette_model::Origin;

pub use error::{CollectorError, Result};
pub use stats::{
    CollectorStats, Input, InputSnapshot, SourceKey, SourceSnapshot, StatsSnapshot,
    DEFAULT_MAX_SOURCES,
};
pub use tcp::SyslogTcp;
pub use udp::SyslogUdp;

/// The input name of syslog over UDP, in [`Origin::input`].
pub const INPUT_UDP: &str = "syslog-udp";
/// The input name of syslog over TCP, in [`Origin::input`].
pub const INPUT_TCP: &str = "syslog-tcp";

/// One message as received, before any parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// When the collector received it.
    pub received: OffsetDateTime,
    /// The input (`syslog-udp` or `syslog-tcp`) and the peer's address
    /// (IPv4-mapped IPv6 addresses are given as IPv4).
    pub origin: Origin,
    /// The message bytes, without framing (length header, trailing newline).
    pub bytes: Vec<u8>,
    /// The message was longer than [`ListenerConfig::max_frame`] and `bytes`
    /// holds only its beginning.
    pub truncated: bool,
}

/// Limits and tuning of a listener.
///
/// Build it with struct update syntax so that new fields keep their
/// defaults: `ListenerConfig { max_connections: 64, ..Default::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// The largest frame handed over; longer ones are truncated. Default 1 MiB.
    pub max_frame: usize,
    /// TCP: the most connections served at once; more are accepted and
    /// closed at once. Default 1024.
    pub max_connections: usize,
    /// TCP: a connection silent this long is closed. Default 10 minutes.
    pub idle_timeout: Duration,
    /// UDP: the socket receive buffer asked for (the kernel may grant less).
    /// Default 8 MiB.
    pub recv_buffer: usize,
    /// TCP: how long, at shutdown, connections get to hand over the frames
    /// already read before they are aborted. Default 5 seconds.
    pub shutdown_grace: Duration,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            max_frame: 1024 * 1024,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(600),
            recv_buffer: 8 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

impl ListenerConfig {
    /// Checks that the values are usable.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason| Err(CollectorError::InvalidConfig { field, reason });
        if self.max_frame == 0 {
            return bad("max_frame", "must be at least 1");
        }
        if self.max_connections == 0 {
            return bad("max_connections", "must be at least 1");
        }
        if self.idle_timeout.is_zero() {
            return bad("idle_timeout", "must be longer than zero");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert!(ListenerConfig::default().validate().is_ok());
        let cfg = ListenerConfig {
            max_frame: 0,
            ..Default::default()
        };
        assert!(matches!(
            cfg.validate(),
            Err(CollectorError::InvalidConfig {
                field: "max_frame",
                ..
            })
        ));
        let cfg = ListenerConfig {
            idle_timeout: Duration::ZERO,
            ..Default::default()
        };
        assert!(cfg.validate().is_err());
    }
}
