//! The crate's error type.

use std::net::SocketAddr;

/// An error from setting up or running a collector.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectorError {
    /// The listening socket could not be created, configured or bound.
    #[error("cannot bind the {input} listener on {addr}")]
    Bind {
        /// The input: `syslog-udp` or `syslog-tcp`.
        input: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The bound socket could not be registered with the Tokio runtime.
    #[error("cannot register the {input} listener on {addr} with the runtime")]
    Register {
        /// The input: `syslog-udp` or `syslog-tcp`.
        input: &'static str,
        /// The listener's local address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A [`ListenerConfig`](crate::ListenerConfig) value is out of range.
    #[error("invalid listener config: {field} {reason}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A result with a [`CollectorError`].
pub type Result<T, E = CollectorError> = std::result::Result<T, E>;
