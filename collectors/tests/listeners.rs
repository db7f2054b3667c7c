//! Listener tests over real sockets on loopback.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vedette_collectors::{
    CollectorError, CollectorStats, Frame, ListenerConfig, SourceKey, SyslogTcp, SyslogUdp,
};

const WAIT: Duration = Duration::from_secs(10);

/// A running listener with its channel and counters.
struct Harness {
    addr: SocketAddr,
    rx: mpsc::Receiver<Frame>,
    stats: Arc<CollectorStats>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), CollectorError>>,
}

impl Harness {
    async fn recv(&mut self) -> Frame {
        tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .expect("timed out waiting for a frame")
            .expect("channel closed")
    }

    async fn recv_bytes(&mut self) -> Vec<u8> {
        self.recv().await.bytes
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("listener did not stop")
            .expect("listener task failed")
            .expect("listener returned an error");
    }
}

fn udp(addr: &str, cfg: ListenerConfig, cap: usize, stats: Arc<CollectorStats>) -> Harness {
    let l = SyslogUdp::bind(addr.parse().expect("address"), &cfg).expect("bind UDP");
    let addr = l.local_addr();
    let (tx, rx) = mpsc::channel(cap);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stats.clone(), shutdown.clone()));
    Harness {
        addr,
        rx,
        stats,
        shutdown,
        task,
    }
}

fn tcp(addr: &str, cfg: ListenerConfig, cap: usize, stats: Arc<CollectorStats>) -> Harness {
    let l = SyslogTcp::bind(addr.parse().expect("address"), &cfg).expect("bind TCP");
    let addr = l.local_addr();
    let (tx, rx) = mpsc::channel(cap);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stats.clone(), shutdown.clone()));
    Harness {
        addr,
        rx,
        stats,
        shutdown,
        task,
    }
}

fn new_stats() -> Arc<CollectorStats> {
    Arc::new(CollectorStats::new())
}

/// Polls `cond` until it holds or the wait runs out.
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[tokio::test]
async fn udp_datagrams_arrive_with_peer() {
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let mut h = udp(addr, ListenerConfig::default(), 16, new_stats());
        let client_addr = if h.addr.is_ipv4() {
            "127.0.0.1:0"
        } else {
            "[::1]:0"
        };
        let client = tokio::net::UdpSocket::bind(client_addr).await.unwrap();
        client.send_to(b"<13>first\n", h.addr).await.unwrap();
        client.send_to(b"<13>second\r\n\0", h.addr).await.unwrap();
        client.send_to(b"\n", h.addr).await.unwrap(); // empty: skipped
        client.send_to(b"<13>multi\nline", h.addr).await.unwrap();
        let f = h.recv().await;
        assert_eq!(f.bytes, b"<13>first");
        assert_eq!(f.origin.input, "syslog-udp");
        assert_eq!(f.origin.peer, Some(client.local_addr().unwrap()));
        assert!(!f.truncated);
        assert_eq!(h.recv_bytes().await, b"<13>second");
        assert_eq!(h.recv_bytes().await, b"<13>multi\nline");
        let s = h.stats.snapshot();
        assert_eq!(s.udp_datagrams, 4);
        assert_eq!(s.udp.frames, 3);
        h.stop().await;
    }
}

#[tokio::test]
async fn udp_datagram_over_max_frame_is_truncated() {
    let cfg = ListenerConfig {
        max_frame: 8,
        ..Default::default()
    };
    let mut h = udp("127.0.0.1:0", cfg, 16, new_stats());
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client.send_to(b"<13>0123456789", h.addr).await.unwrap();
    let f = h.recv().await;
    assert_eq!(f.bytes, b"<13>0123");
    assert!(f.truncated);
    assert_eq!(h.stats.snapshot().udp.truncated, 1);
    h.stop().await;
}

#[tokio::test]
async fn udp_full_channel_drops_and_counts() {
    let mut h = udp("127.0.0.1:0", ListenerConfig::default(), 1, new_stats());
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..20 {
        client
            .send_to(format!("<13>msg {i}").as_bytes(), h.addr)
            .await
            .unwrap();
    }
    let stats = h.stats.clone();
    wait_until("20 datagrams", || stats.snapshot().udp_datagrams == 20).await;
    let s = stats.snapshot();
    assert_eq!(s.udp_dropped, 19);
    assert_eq!(s.udp.frames, 1);
    let src = s.source(SourceKey::Ip(LOCALHOST)).expect("source counters");
    assert_eq!((src.frames, src.dropped), (1, 19));
    // The one that fitted is the first one sent.
    assert_eq!(h.recv_bytes().await, b"<13>msg 0");
    let mut text = String::new();
    stats.render_prometheus(&mut text);
    assert!(text.lines().any(|l| l == "vedette_udp_dropped_total 19"));
    assert!(text
        .lines()
        .any(|l| l == "vedette_source_dropped_total{source=\"127.0.0.1\"} 19"));
    h.stop().await;
}

#[tokio::test]
async fn tcp_both_framings_on_one_connection() {
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let mut h = tcp(addr, ListenerConfig::default(), 16, new_stats());
        let mut c = tokio::net::TcpStream::connect(h.addr).await.unwrap();
        let local = c.local_addr().unwrap();
        // Newline framing, split awkwardly across writes.
        c.write_all(b"<13>one\r\n<13>t").await.unwrap();
        c.flush().await.unwrap();
        let f = h.recv().await;
        assert_eq!(f.bytes, b"<13>one");
        assert_eq!(f.origin.input, "syslog-tcp");
        assert_eq!(f.origin.peer, Some(local));
        c.write_all(b"wo\n\n").await.unwrap();
        assert_eq!(h.recv_bytes().await, b"<13>two");
        // Octet counting, then newline again, then counted with a newline
        // inside, then a NUL-terminated one.
        c.write_all(b"9 <13>three").await.unwrap();
        assert_eq!(h.recv_bytes().await, b"<13>three");
        c.write_all(b"<13>four\n10 <13>fi\nve!<13>six\0")
            .await
            .unwrap();
        assert_eq!(h.recv_bytes().await, b"<13>four");
        assert_eq!(h.recv_bytes().await, b"<13>fi\nve!");
        assert_eq!(h.recv_bytes().await, b"<13>six");
        // The last frame without a delimiter is flushed at end of stream.
        c.write_all(b"<13>seven").await.unwrap();
        drop(c);
        assert_eq!(h.recv_bytes().await, b"<13>seven");
        let stats = h.stats.clone();
        wait_until("connection closed", || stats.snapshot().tcp_active == 0).await;
        let s = stats.snapshot();
        assert_eq!((s.tcp.frames, s.tcp_accepted), (7, 1));
        h.stop().await;
    }
}

#[tokio::test]
async fn tcp_frame_over_max_frame_is_truncated_and_next_intact() {
    let cfg = ListenerConfig {
        max_frame: 16,
        ..Default::default()
    };
    let mut h = tcp("127.0.0.1:0", cfg, 16, new_stats());
    let mut c = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let long = format!("<13>{}\n", "x".repeat(100_000));
    c.write_all(long.as_bytes()).await.unwrap();
    c.write_all(b"<13>next\n").await.unwrap();
    c.write_all(b"28 <13>counted-and-far-too-long<13>after\n")
        .await
        .unwrap();
    let f = h.recv().await;
    assert_eq!(f.bytes, b"<13>xxxxxxxxxxxx");
    assert!(f.truncated);
    let f = h.recv().await;
    assert_eq!((f.bytes.as_slice(), f.truncated), (&b"<13>next"[..], false));
    let f = h.recv().await;
    assert_eq!(
        (f.bytes.as_slice(), f.truncated),
        (&b"<13>counted-and-"[..], true)
    );
    assert_eq!(h.recv_bytes().await, b"<13>after");
    assert_eq!(h.stats.snapshot().tcp.truncated, 2);
    h.stop().await;
}

#[tokio::test]
async fn tcp_connection_limit_rejects_and_counts() {
    let cfg = ListenerConfig {
        max_connections: 1,
        ..Default::default()
    };
    let mut h = tcp("127.0.0.1:0", cfg, 16, new_stats());
    let mut first = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    first.write_all(b"<13>first\n").await.unwrap();
    assert_eq!(h.recv_bytes().await, b"<13>first");

    let addr = h.addr;
    let rejected = tokio::task::spawn_blocking(move || -> io::Result<usize> {
        let mut c = std::net::TcpStream::connect(addr)?;
        c.set_read_timeout(Some(WAIT))?;
        let mut buf = [0u8; 16];
        // Closed by the collector: end of stream (or a reset).
        match c.read(&mut buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(0),
            Err(e) => Err(e),
        }
    })
    .await
    .unwrap();
    assert_eq!(rejected.unwrap(), 0, "the extra connection was not closed");
    let stats = h.stats.clone();
    wait_until("rejection counted", || stats.snapshot().tcp_rejected == 1).await;

    // The first connection still works; once it is gone a new one is served.
    first.write_all(b"<13>still\n").await.unwrap();
    assert_eq!(h.recv_bytes().await, b"<13>still");
    drop(first);
    wait_until("slot freed", || stats.snapshot().tcp_active == 0).await;
    let mut again = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    again.write_all(b"<13>again\n").await.unwrap();
    assert_eq!(h.recv_bytes().await, b"<13>again");
    let s = stats.snapshot();
    assert_eq!((s.tcp_accepted, s.tcp_rejected), (2, 1));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_backpressure_stops_the_sender_and_loses_nothing() {
    const LINES: usize = 50_000;
    let mut h = tcp("127.0.0.1:0", ListenerConfig::default(), 1, new_stats());
    let addr = h.addr;
    let line = |i: usize| format!("<13>line {i:06} {}", "x".repeat(100));
    let (blocked_tx, blocked_rx) = std::sync::mpsc::channel::<usize>();
    let writer = std::thread::spawn(move || -> io::Result<()> {
        let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
        sock.set_send_buffer_size(32 * 1024)?;
        sock.connect(&addr.into())?;
        let mut s: std::net::TcpStream = sock.into();
        s.set_write_timeout(Some(Duration::from_millis(500)))?;
        let mut data = Vec::new();
        for i in 0..LINES {
            data.extend_from_slice(line(i).as_bytes());
            data.push(b'\n');
        }
        let mut off = 0;
        let mut reported = false;
        while off < data.len() {
            match s.write(&data[off..]) {
                Ok(n) => off += n,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    if !reported {
                        reported = true;
                        let _ = blocked_tx.send(off);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    let written = tokio::task::spawn_blocking(move || blocked_rx.recv_timeout(WAIT))
        .await
        .unwrap()
        .expect("the sender never blocked: no backpressure");
    assert!(!writer.is_finished());
    assert!(written < LINES * 100, "sender wrote {written} bytes");
    // Nothing is lost while blocked: the collector holds at most the one
    // frame in the channel plus the one it waits to send.
    assert!(h.stats.snapshot().tcp.frames <= 2);

    for i in 0..LINES {
        let got = h.recv_bytes().await;
        assert_eq!(got, line(i).as_bytes(), "frame {i}");
    }
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .unwrap()
        .expect("writer panicked")
        .expect("writer failed");
    assert_eq!(h.stats.snapshot().tcp.frames, LINES as u64);
    h.stop().await;
}

#[tokio::test]
async fn per_source_counters_and_prometheus() {
    let stats = new_stats();
    let mut u = udp("127.0.0.1:0", ListenerConfig::default(), 16, stats.clone());
    let mut t = tcp("127.0.0.1:0", ListenerConfig::default(), 16, stats.clone());
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for m in [&b"<13>aa"[..], b"<13>bbb", b"<13>c"] {
        client.send_to(m, u.addr).await.unwrap();
        u.recv().await;
    }
    let mut c = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    c.write_all(b"<13>dddd\n<13>e\n").await.unwrap();
    t.recv().await;
    t.recv().await;

    let s = stats.snapshot();
    let src = s
        .source(SourceKey::Ip(LOCALHOST))
        .expect("localhost counters");
    assert_eq!(
        (src.frames, src.bytes, src.dropped),
        (5, 6 + 7 + 5 + 8 + 5, 0)
    );
    assert!(src.last_seen > time::OffsetDateTime::now_utc() - Duration::from_secs(60));

    let mut text = String::new();
    stats.render_prometheus(&mut text);
    for want in [
        "# TYPE vedette_collector_frames_total counter",
        "vedette_collector_frames_total{input=\"syslog-udp\"} 3",
        "vedette_collector_frames_total{input=\"syslog-tcp\"} 2",
        "vedette_collector_bytes_total{input=\"syslog-udp\"} 18",
        "vedette_udp_datagrams_total 3",
        "vedette_udp_dropped_total 0",
        "vedette_tcp_connections_accepted_total 1",
        "vedette_tcp_connections_active 1",
        "vedette_tcp_connections_rejected_total 0",
        "# TYPE vedette_source_frames_total counter",
        "vedette_source_frames_total{source=\"127.0.0.1\"} 5",
        "vedette_source_bytes_total{source=\"127.0.0.1\"} 31",
    ] {
        assert!(
            text.lines().any(|l| l == want),
            "missing {want:?} in:\n{text}"
        );
    }
    u.stop().await;
    t.stop().await;
}

#[tokio::test]
async fn dual_stack_listener_takes_ipv4() {
    let mut t = tcp("[::]:0", ListenerConfig::default(), 16, new_stats());
    let mut u = udp("[::]:0", ListenerConfig::default(), 16, new_stats());
    let v4 = |port| SocketAddr::new(LOCALHOST, port);

    let mut c = tokio::net::TcpStream::connect(v4(t.addr.port()))
        .await
        .unwrap();
    c.write_all(b"<13>over ipv4\n").await.unwrap();
    let f = t.recv().await;
    assert_eq!(f.bytes, b"<13>over ipv4");
    assert_eq!(f.origin.peer, Some(c.local_addr().unwrap()));
    assert!(t
        .stats
        .snapshot()
        .source(SourceKey::Ip(LOCALHOST))
        .is_some());

    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client
        .send_to(b"<13>udp over ipv4", v4(u.addr.port()))
        .await
        .unwrap();
    let f = u.recv().await;
    assert_eq!(f.bytes, b"<13>udp over ipv4");
    assert_eq!(f.origin.peer, Some(client.local_addr().unwrap()));
    t.stop().await;
    u.stop().await;
}

#[tokio::test]
async fn idle_connection_is_closed_and_its_last_frame_kept() {
    let cfg = ListenerConfig {
        idle_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let mut h = tcp("127.0.0.1:0", cfg, 16, new_stats());
    let addr = h.addr;
    let reader = tokio::task::spawn_blocking(move || -> io::Result<usize> {
        let mut c = std::net::TcpStream::connect(addr)?;
        c.write_all(b"<13>no newline")?;
        c.set_read_timeout(Some(WAIT))?;
        c.read(&mut [0u8; 8])
    });
    assert_eq!(h.recv_bytes().await, b"<13>no newline");
    assert_eq!(reader.await.unwrap().unwrap(), 0);
    h.stop().await;
}

#[tokio::test]
async fn shutdown_hands_over_read_frames_and_returns() {
    let mut h = tcp("127.0.0.1:0", ListenerConfig::default(), 1, new_stats());
    let mut c = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    // Three complete frames and a partial one; the channel holds one.
    c.write_all(b"<13>a\n<13>b\n<13>c\n<13>partial")
        .await
        .unwrap();
    let stats = h.stats.clone();
    wait_until("first frame", || stats.snapshot().tcp.frames >= 1).await;
    h.shutdown.cancel();
    let mut got = Vec::new();
    while let Some(f) = tokio::time::timeout(WAIT, h.rx.recv()).await.unwrap() {
        got.push(f.bytes);
    }
    assert_eq!(got, [&b"<13>a"[..], b"<13>b", b"<13>c"]);
    h.task.await.unwrap().unwrap();
    // The listener no longer accepts.
    assert!(tokio::net::TcpStream::connect(h.addr).await.is_err());
}

#[tokio::test]
async fn shutdown_is_bounded_when_the_pipeline_is_stuck() {
    let cfg = ListenerConfig {
        shutdown_grace: Duration::from_millis(300),
        ..Default::default()
    };
    let mut h = tcp("127.0.0.1:0", cfg, 1, new_stats());
    let mut c = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    c.write_all(b"<13>a\n<13>b\n").await.unwrap();
    let stats = h.stats.clone();
    wait_until("first frame", || stats.snapshot().tcp.frames >= 1).await;
    // Frame a fills the channel and b waits for room that never comes.
    let rx = std::mem::replace(&mut h.rx, mpsc::channel(1).1);
    let started = std::time::Instant::now();
    h.stop().await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    drop(rx);
}

#[tokio::test]
async fn bind_error_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    // SO_REUSEADDR does not allow two listeners on one port.
    let err = SyslogTcp::bind(addr, &ListenerConfig::default()).unwrap_err();
    assert!(matches!(err, CollectorError::Bind { addr: a, input: "syslog-tcp", .. } if a == addr));
    assert!(err.to_string().contains(&addr.to_string()));
}

/// Runs the Debian `logger` tool against the listeners.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debian_logger_tool() {
    let logger = std::path::Path::new("/usr/bin/logger");
    if !logger.exists() {
        println!("note: /usr/bin/logger is missing; skipping the logger test");
        return;
    }
    let run = |args: Vec<String>| async move {
        let out = tokio::task::spawn_blocking({
            let args = args.clone();
            move || {
                std::process::Command::new("/usr/bin/logger")
                    .args(&args)
                    .output()
            }
        })
        .await
        .expect("logger task");
        match out {
            Ok(o) if o.status.success() => true,
            Ok(o) => {
                println!(
                    "note: logger {args:?} failed ({}): {}; skipping",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                );
                false
            }
            Err(e) => {
                println!("note: cannot run logger: {e}; skipping");
                false
            }
        }
    };
    let mut t = tcp("127.0.0.1:0", ListenerConfig::default(), 16, new_stats());
    let mut u = udp("127.0.0.1:0", ListenerConfig::default(), 16, new_stats());
    let cases: [(&str, &[&str]); 4] = [
        ("tcp", &["-T", "--rfc5424"]),
        ("tcp", &["-T", "--octet-count", "--rfc5424"]),
        ("tcp", &["-T", "--rfc3164"]),
        ("udp", &["-d", "--rfc3164"]),
    ];
    for (i, (proto, flags)) in cases.into_iter().enumerate() {
        let h = if proto == "tcp" { &mut t } else { &mut u };
        let msg = format!("vedette logger test {i}");
        let mut args: Vec<String> = ["-n", "127.0.0.1", "-P"]
            .into_iter()
            .map(String::from)
            .collect();
        args.push(h.addr.port().to_string());
        args.extend(flags.iter().map(|s| s.to_string()));
        args.push("-t".into());
        args.push("vedette".into());
        args.push(msg.clone());
        if !run(args).await {
            return;
        }
        let f = h.recv().await;
        let text = String::from_utf8_lossy(&f.bytes);
        assert!(text.starts_with('<'), "{flags:?}: {text:?}");
        assert!(text.ends_with(&msg), "{flags:?}: {text:?}");
        assert!(!text.contains('\n'), "{flags:?}: {text:?}");
        assert!(!f.truncated);
    }
    t.stop().await;
    u.stop().await;
}
