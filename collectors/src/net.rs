//! Socket setup shared by the listeners.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// The TCP listen backlog.
const BACKLOG: i32 = 1024;

/// A socket for `addr`: address reuse, non-blocking, and dual stack for
/// IPv6 addresses so that `[::]` also takes IPv4.
fn socket(addr: SocketAddr, ty: Type, protocol: Protocol) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), ty, Some(protocol))?;
    sock.set_reuse_address(true)?;
    if addr.is_ipv6() {
        if let Err(e) = sock.set_only_v6(false) {
            tracing::warn!(%addr, error = %e, "cannot make the listener dual stack; IPv6 only");
        }
    }
    sock.set_nonblocking(true)?;
    Ok(sock)
}

/// A bound, listening, non-blocking TCP socket.
pub(crate) fn tcp_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let sock = socket(addr, Type::STREAM, Protocol::TCP)?;
    sock.bind(&SockAddr::from(addr))?;
    sock.listen(BACKLOG)?;
    Ok(sock.into())
}

/// A bound, non-blocking UDP socket with (if the kernel allows) a receive
/// buffer of `recv_buffer` bytes.
pub(crate) fn udp_socket(addr: SocketAddr, recv_buffer: usize) -> io::Result<std::net::UdpSocket> {
    let sock = socket(addr, Type::DGRAM, Protocol::UDP)?;
    if recv_buffer > 0 {
        if let Err(e) = sock.set_recv_buffer_size(recv_buffer) {
            tracing::debug!(%addr, error = %e, "cannot enlarge the UDP receive buffer");
        }
    }
    sock.bind(&SockAddr::from(addr))?;
    if let Ok(granted) = sock.recv_buffer_size() {
        tracing::debug!(%addr, granted, "UDP receive buffer");
    }
    Ok(sock.into())
}

/// The peer address as shown to users: IPv4-mapped IPv6 (from a dual stack
/// socket) becomes plain IPv4.
pub(crate) fn canonical_peer(peer: SocketAddr) -> SocketAddr {
    SocketAddr::new(peer.ip().to_canonical(), peer.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, SocketAddrV6};

    #[test]
    fn mapped_peer_becomes_ipv4() {
        let mapped = Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped();
        let peer = SocketAddr::V6(SocketAddrV6::new(mapped, 514, 0, 0));
        let got = canonical_peer(peer);
        assert_eq!(got.ip(), IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)));
        assert_eq!(got.port(), 514);
    }
}
